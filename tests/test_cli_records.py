"""The operator's commands that read or rewrite records (issue 13): each writes an audit
event naming the command and the operating-system account; a patient is found by id or by
record number; the schema can be taken back a revision."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.support.database import database
from tests.support.patients import add_patient
from tracker import create_app, migrate
from tracker.audit.models import AuditEvent


def _events(app) -> list[tuple[str, int | None, str | None]]:
    with database(app) as db:
        return [(e.action, e.patient_id, (e.remote_addr or "")[:4])
                for e in db.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


def test_export_patient_by_id_or_record_number_is_audited(app, runner, therapist, tmp_path):
    patient_id = add_patient(app, therapist, "Maya Okafor", record_number="KAP-0042")
    by_id = runner.invoke(args=["export-patient", str(patient_id)])
    assert by_id.exit_code == 0, by_id.output
    assert json.loads(by_id.output)["patient"]["display_name"] == "Maya Okafor"
    out = tmp_path / "record.json"
    by_number = runner.invoke(args=["export-patient", "--record-number", "KAP-0042",
                                    "--output", str(out)])
    assert by_number.exit_code == 0, by_number.output
    assert json.loads(out.read_text())["patient"]["id"] == patient_id
    assert _events(app) == [("command export-patient", patient_id, "cli:")] * 2
    assert runner.invoke(args=["export-patient"]).exit_code != 0
    missing = runner.invoke(args=["export-patient", "--record-number", "nope"])
    assert missing.exit_code != 0 and "No such patient" in missing.output


def test_patients_list_gives_ids_and_record_numbers_and_is_audited(app, runner, therapist):
    first = add_patient(app, therapist, "Maya Okafor", record_number="KAP-0042")
    add_patient(app, therapist, "Daniel Reyes")
    listed = runner.invoke(args=["patients", "list"])
    assert listed.exit_code == 0, listed.output
    line = next(row for row in listed.output.splitlines() if "Maya Okafor" in row)
    assert line.split()[:2] == [str(first), "KAP-0042"] and therapist.email in line
    only = runner.invoke(args=["patients", "list", "--search", "reyes"])
    assert "Daniel Reyes" in only.output and "Maya Okafor" not in only.output
    assert [action for action, _, _ in _events(app)] == ["command patients list"] * 2


def test_key_rotation_and_reindexing_are_audited(app, runner):
    assert runner.invoke(args=["rotate-keys"]).exit_code == 0
    assert runner.invoke(args=["search-reindex"]).exit_code == 0
    assert [action for action, _, _ in _events(app)] == ["command rotate-keys",
                                                         "command search-reindex"]


def test_the_access_history_names_command_line_exports(app, runner, therapist,
                                                       therapist_client):
    patient_id = add_patient(app, therapist, "Maya Okafor")
    runner.invoke(args=["export-patient", str(patient_id)])
    page = therapist_client.get(f"/patients/{patient_id}/access-history").get_data(
        as_text=True)
    assert "Ran `export-patient` on the server&#39;s command line" in page


def test_db_downgrade_goes_back_and_upgrade_comes_forward(app_config, scratch_url):
    app = create_app({**app_config, "DATABASE_URL": scratch_url})
    engine = app.extensions["tracker.engine"]
    migrate.upgrade(engine)
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["db", "downgrade", "--revision", "0008"], input="n\n")
    assert refused.exit_code != 0
    assert migrate.current_revision(engine) == migrate.head_revision()
    done = runner.invoke(args=["db", "downgrade", "--revision", "0008", "--yes"])
    assert done.exit_code == 0, done.output
    assert migrate.current_revision(engine) == "0008"
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()
