"""The instrument registry (tracker/measures/instruments.py) drives every page, the route and
the check constraint: a throwaway instrument added to a copy of it, with the migration that
would come with it, is offered, entered, scored and shown everywhere; and the migrated
database admits exactly the registry's codes."""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from tests.support.courses import db_course
from tests.support.database import count, database, drop_append_only_triggers
from tests.support.forms import main_of, text_of
from tests.support.measures import (
    answers_for,
    db_measure,
    measure_path,
    questionnaire,
    saved_measure_id,
)
from tests.support.patients import add_patient
from tracker import migrate
from tracker.db import make_engine, one_of
from tracker.measures import instruments
from tracker.measures.models import MeasureResponse, SafetyFollowUp
from tracker.measures.questionnaire import Band, Finding, Instrument, Option

TODAY = date.today()
CHECK = "ck_measure_responses_instrument"


@dataclass(frozen=True)
class Throwaway(Instrument):
    """A throwaway instrument with a rule of its own, shown only through findings()."""

    def findings(self, answers: tuple[int, ...], total: int) -> tuple[Finding, ...]:
        return (Finding("Both items above 1", "Yes" if min(answers) > 1 else "No"),)


TEST2 = Throwaway(
    code="test2", name="TEST-2", title="Throwaway two-item scale (TEST-2)",
    instructions="Over the last week, how often did you notice:", timeframe="the last week",
    items=("Zebra-like stripes", "Quokka-like smiles"),
    options=(Option(0, "Never"), Option(1, "Rarely"), Option(2, "Often"), Option(3, "Always")),
    max_total=6, bands=(Band(0, 2, "Low", "minimal"), Band(3, 6, "High", "severe")), mcid=2,
    mcid_source="Made up for a test", attribution="TEST-2 attribution line",
    licence="None", response_label="Response: a drop of 2 points", response_points=2,
)


def _reflected_codes(engine) -> list[str]:
    """The codes the database's check constraint lists (SQLite keeps the text as written,
    PostgreSQL as `= ANY (ARRAY['phq9'::character varying, ...])`: the quoted words)."""
    checks = {c["name"]: c["sqltext"] for c in inspect(engine).get_check_constraints(
        "measure_responses")}
    return re.findall(r"'([^']*)'", checks[CHECK])


def upgrade_with_new_instrument(engine, folder, codes: tuple[str, ...]):
    """Migrate to head plus the one migration a new instrument comes with, written into
    `folder` as a developer would: the shared helper, the lists spelled out. Returns the
    Alembic configuration that knows that migration (for the downgrade)."""
    before = instruments.codes()
    (folder / "test2_instrument.py").write_text(textwrap.dedent(f"""\
        from alembic import op

        from tracker.migrations.checks import replace_one_of

        revision = "test2"
        down_revision = "{migrate.head_revision()}"


        def upgrade():
            replace_one_of(op, "measure_responses", "instrument", {codes!r})


        def downgrade():
            replace_one_of(op, "measure_responses", "instrument", {before!r})
    """))
    config = migrate.alembic_config(engine)
    config.set_main_option("path_separator", "space")
    config.set_main_option("version_locations",
                           f"{migrate.MIGRATIONS_DIR / 'versions'} {folder}")
    command.upgrade(config, "heads")
    return config


# The registry and the database ---------------------------------------------------------


def test_the_registry_refuses_malformed_and_repeated_codes():
    for code in instruments.codes():
        assert re.fullmatch(instruments.CODE_PATTERN, code)
        assert len(code) <= MeasureResponse.__table__.c.instrument.type.length
    assert instruments.registry(*instruments.all_instruments(), TEST2)["test2"] is TEST2
    for bad in ("", "PHQ9", "9phq", "a/b", "toolongcode"):
        with pytest.raises(ValueError):
            instruments.registry(Throwaway(**{**TEST2.__dict__, "code": bad}))
    with pytest.raises(ValueError):
        instruments.registry(TEST2, TEST2)


def test_the_migrated_check_constraint_admits_exactly_the_registry_codes(
        app, database_url, therapist):
    """The migrations and the registry cannot drift apart: an entry added without its
    migration (or a migration without its entry) fails here, on SQLite and PostgreSQL."""
    engine = make_engine(database_url)
    try:
        assert sorted(_reflected_codes(engine)) == sorted(instruments.codes())
    finally:
        engine.dispose()
    model_check = next(c for c in MeasureResponse.__table__.constraints if c.name == CHECK)
    assert str(model_check.sqltext) == one_of("instrument", instruments.codes())

    patient_id = add_patient(app, therapist)
    with database(app) as db:
        course_id = db_course(db, patient_id).id

        def row(code: str) -> MeasureResponse:
            return MeasureResponse(patient_id=patient_id, course_id=course_id, instrument=code,
                                   taken_on=TODAY, answers=[0], total=0,
                                   recorded_by_id=therapist.id)

        for code in instruments.codes():
            db.add(row(code))
            db.flush()
        for code in ("test2", "PHQ9", "phq", ""):
            with pytest.raises(IntegrityError), db.begin_nested():
                db.add(row(code))
        assert count(db, MeasureResponse) == len(instruments.codes())


@pytest.fixture
def scratch_engine(app_config, scratch_url):
    """A database of the test's own, migrated to head, that `app` (asked for after this
    fixture) then uses: the shared one must keep the registry's constraint."""
    engine = make_engine(scratch_url)
    migrate.upgrade(engine)
    drop_append_only_triggers(engine)
    app_config["DATABASE_URL"] = scratch_url
    yield engine
    engine.dispose()


def test_the_migration_helper_widens_the_check_on_a_database_in_use(
        scratch_engine, app, therapist, tmp_path):
    """replace_one_of (tracker/migrations/checks.py) in a new migration, on a database with
    a followed-up questionnaire: the new code is admitted, nothing is lost, foreign keys
    hold (SQLite rebuilds the table), and the downgrade narrows the list again."""
    patient_id = add_patient(app, therapist)
    with database(app) as db:
        course_id = db_course(db, patient_id).id
        flagged = db_measure(db, therapist.id, patient_id, course_id, "phq9", 6, TODAY,
                             item_9=1, followed_up=True).id
        db.commit()
    codes = (*instruments.codes(), "test2")

    config = upgrade_with_new_instrument(scratch_engine, tmp_path, codes)
    assert _reflected_codes(scratch_engine) == list(codes)
    with database(app) as db:
        stored = db.get(MeasureResponse, flagged)
        assert (stored.answers, stored.safety_flag) == (answers_for("phq9", 6, item_9=1), True)
        assert count(db, SafetyFollowUp, SafetyFollowUp.response_id == flagged) == 1
        db.add(MeasureResponse(patient_id=patient_id, course_id=course_id, instrument="test2",
                               taken_on=TODAY, answers=[1, 1], total=2,
                               recorded_by_id=therapist.id))
        db.commit()
        db.execute(MeasureResponse.__table__.delete().where(
            MeasureResponse.instrument == "test2"))
        db.commit()
    if scratch_engine.dialect.name == "sqlite":
        with scratch_engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []

    command.downgrade(config, migrate.head_revision())
    assert _reflected_codes(scratch_engine) == list(instruments.codes())
    with database(app) as db:
        assert count(db, SafetyFollowUp, SafetyFollowUp.response_id == flagged) == 1


# A throwaway instrument on every page ----------------------------------------------------


def _main_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return text_of(main_of(response.get_data(as_text=True)))


def _entry_links(response, patient_id: int) -> list[str]:
    return re.findall(rf'href="/patients/{patient_id}/measures/new/(\w+)"',
                      response.get_data(as_text=True))


def test_a_new_instrument_is_offered_entered_scored_and_shown_on_every_page(
        scratch_engine, app, therapist, therapist_client, tmp_path, monkeypatch):
    """One entry in a copy of the registry plus its migration: nothing else changes. The
    copy is swapped in after the app was built, so nothing may have kept the old one."""
    client = therapist_client
    patient_id = add_patient(app, therapist)
    with database(app) as db:
        db_course(db, patient_id, "Initial course", TODAY - timedelta(days=30))
        db.commit()
    assert client.get(measure_path(patient_id, "test2")).status_code == 404
    codes = [*instruments.codes(), "test2"]
    names = [i.name for i in instruments.all_instruments()] + ["TEST-2"]
    upgrade_with_new_instrument(scratch_engine, tmp_path, tuple(codes))
    monkeypatch.setattr(instruments, "INSTRUMENTS",
                        instruments.registry(*instruments.all_instruments(), TEST2))

    # Offered, after the others, wherever questionnaires are entered from.
    progress = client.get(f"/patients/{patient_id}/progress")
    assert _entry_links(progress, patient_id) == codes
    assert f"Enter a questionnaire: {' '.join(names)}" in _main_text(progress)
    brief = client.get(f"/patients/{patient_id}/brief")
    assert _entry_links(brief, patient_id) == codes
    assert f"Enter: {' · '.join(names)}" in _main_text(brief)

    # The form, as the entry defines it.
    page = _main_text(client.get(measure_path(patient_id, "test2")))
    assert "Throwaway two-item scale (TEST-2)" in page
    assert "Over the last week, how often did you notice:" in page
    assert "1. Zebra-like stripes Never Rarely Often Always" in page
    assert "2. Quokka-like smiles" in page and "TEST-2 attribution line" in page

    # Entered, scored by the entry's bands and thresholds, shown with its own rule.
    first = saved_measure_id(questionnaire(client, patient_id, "test2", [2, 3]))
    later = saved_measure_id(questionnaire(client, patient_id, "test2", [1, 0]))
    with database(app) as db:
        stored = db.get(MeasureResponse, first)
        assert (stored.instrument, stored.answers, stored.total) == ("test2", [2, 3], 5)
    page = _main_text(client.get(f"/patients/{patient_id}/measures/{first}"))
    assert "5 of 6 · High" in page
    assert "Both items above 1 Yes" in page
    assert "Quokka-like smiles — Always (3)" in page
    page = _main_text(client.get(f"/patients/{patient_id}/measures/{later}"))
    assert "1 of 6 · Low" in page
    assert "Change from baseline -4 (baseline 5" in page
    assert ("Minimal clinically important difference (2 points) Improved by at least the MCID"
            in page)
    assert "Response (Response: a drop of 2 points) Yes" in page
    assert "Both items above 1 No" in page
    assert "Cut-off range" not in page and "DSM-5" not in page  # The PCL-5's rules are its own.

    # Its scores on the progress page (table and chart) and in the brief.
    progress = client.get(f"/patients/{patient_id}/progress")
    assert 'id="chart-test2"' in progress.get_data(as_text=True)
    assert "TEST-2 scores" in _main_text(progress)
    brief = _main_text(client.get(f"/patients/{patient_id}/brief"))
    assert f"TEST-2, {TODAY:%d %b} : 5 (high), +0 from baseline" in brief
    assert f"TEST-2, {TODAY:%d %b} : 1 (low), -4 from baseline, response" in brief

    # Codes outside the registry are still no page at all.
    assert client.get(measure_path(patient_id, "test3")).status_code == 404


# Nothing else names an instrument ---------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
# The entries spell their own codes; the demo practice keeps codes as data; migrations are
# frozen history (their lists never follow the registry).
SPELL_CODES = {"tracker/measures/phq9_gad7.py", "tracker/measures/pcl5.py",
               "tracker/demo/measures.py", "tracker/demo/between.py"}


def _names_a_code(source: str, codes: re.Pattern) -> list[int]:
    """Lines with a string (not a docstring) or an attribute that names an instrument code."""
    tree = ast.parse(source)
    docstrings = {id(node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    return sorted({node.lineno for node in ast.walk(tree)
                   if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                       and id(node) not in docstrings and codes.search(node.value))
                   or (isinstance(node, ast.Attribute) and codes.fullmatch(node.attr))})


def test_the_code_check_finds_a_code():
    codes = re.compile(r"\b(?:phq9|pcl5)\b")
    assert _names_a_code('if response.instrument == "pcl5":\n    pass\n', codes) == [1]
    assert _names_a_code('ROUTE = "/new/<any(phq9,pcl5):instrument>"\n', codes) == [1]
    assert _names_a_code("x = scored.pcl5\n", codes) == [1]
    assert _names_a_code('"""About the pcl5 entry."""\nx = get_instrument(code)\n', codes) == []


def test_no_code_or_template_names_an_instrument_but_the_entries():
    codes = re.compile(rf"\b(?:{'|'.join(instruments.codes())})\b")
    offenders = {
        name: lines for path in (ROOT / "tracker").rglob("*.py")
        if "migrations" not in path.parts
        and (name := str(path.relative_to(ROOT))) not in SPELL_CODES
        and (lines := _names_a_code(path.read_text(encoding="utf-8"), codes))}
    assert offenders == {}
    in_templates = [str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*.html")
                    if codes.search(p.read_text(encoding="utf-8"))]
    assert in_templates == []
