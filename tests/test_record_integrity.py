"""Signed sessions and questionnaires are tamper-evident (issue 12, items 3 and 4): the
signature covers the strategies, themes and beliefs created in the session (and its print
shows them), each questionnaire carries a content hash, and `verify-records` names every
record whose stored hash no longer matches, without printing clinical text."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update

from tests.support.courses import db_course
from tests.support.database import database
from tests.support.forms import text_of
from tests.support.measures import db_measure, questionnaire, saved_measure_id
from tests.support.patients import add_patient
from tests.support.sessions import db_session, db_sign, save_page, sign
from tests.support.threads import db_strategy
from tests.support.users import TEST_PASSWORD
from tracker import create_app, migrate
from tracker.auth import services as accounts
from tracker.db import get_db
from tracker.export.session_record import (
    HASH_VERSION,
    content_hash,
    session_record_options,
)
from tracker.measures import integrity
from tracker.measures.models import MeasureResponse
from tracker.sessions.models import TherapySession
from tracker.threads.models import Belief, Strategy, Theme

STRATEGY = "Walk by the river before breakfast"
THEME = "the lighthouse"
BELIEF = "I can rest without earning it"


def _signed_session_with_new_items(practice) -> int:
    """A preparation session that agrees a new strategy, names a theme and a belief, signed
    through the pages."""
    sid = practice.start("preparation", 2)
    save_page(practice.client, sid, **{
        "summary": "Preparation: safety plan, music.",
        "new_strategies-0-category": "nature",
        "new_strategies-0-description": STRATEGY,
        "new_strategies-0-target_per_week": 5,
        "new_themes-0-label": THEME,
        "new_themes-0-category": "imagery",
        "new_beliefs-0-old_belief": "I have to earn rest",
        "new_beliefs-0-new_belief": BELIEF,
    })
    assert sign(practice.client, sid).status_code == 302
    return sid


def _verify(runner):
    return runner.invoke(args=["verify-records"])


def test_verify_records_passes_on_intact_records(app, runner, practice):
    sid = _signed_session_with_new_items(practice)
    saved_measure_id(questionnaire(practice.client, practice.patient, "phq9", [1] * 9,
                                   course_id=practice.course, taken_on=date(2026, 3, 2)))
    with database(app) as db:
        session = db.get(TherapySession, sid)
        assert session.hash_version == HASH_VERSION == 2
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "1 signed session" in result.output and "1 questionnaire" in result.output


def test_a_created_strategy_edited_in_the_database_breaks_its_sessions_hash(app, runner,
                                                                            practice):
    sid = _signed_session_with_new_items(practice)
    assert _verify(runner).exit_code == 0
    with database(app) as db:
        db.execute(update(Strategy).where(Strategy.first_session_id == sid)
                   .values(description="Run ten kilometres every day"))
        db.commit()
    result = _verify(runner)
    assert result.exit_code != 0
    assert f"session {sid}" in result.output.lower()
    # Ids only: none of the record's text is printed.
    for text in (STRATEGY, "Run ten kilometres", THEME, BELIEF, "Preparation"):
        assert text not in result.output


def test_created_themes_and_beliefs_are_covered_too(app, runner, practice):
    sid = _signed_session_with_new_items(practice)
    for model, values in ((Theme, {"category": "memory"}),
                          (Belief, {"old_belief": "I have to earn rest, always"})):
        with database(app) as db:
            before = db.scalar(select(model).where(model.first_session_id == sid))
            original = {key: getattr(before, key) for key in values}
            db.execute(update(model).where(model.id == before.id).values(**values))
            db.commit()
        result = _verify(runner)
        assert result.exit_code != 0 and f"session {sid}" in result.output.lower(), model
        with database(app) as db:
            db.execute(update(model).where(model.id == before.id).values(**original))
            db.commit()
        assert _verify(runner).exit_code == 0


def test_the_session_print_shows_the_strategies_agreed_in_it(practice):
    sid = _signed_session_with_new_items(practice)
    page = practice.client.get(f"/patients/{practice.patient}/sessions/print")
    assert page.status_code == 200
    text = text_of(page.get_data(as_text=True))
    assert STRATEGY in text and "5× a week" in text
    assert practice.client.get(f"/sessions/{sid}").status_code == 200


def test_sessions_signed_under_the_first_hash_version_still_verify(app, db, runner,
                                                                   make_user):
    """Signed before created items were covered: the stored hash is of the old form, and
    stays valid under it; a change the old form covers is still found."""
    user = make_user()
    patient_id = add_patient(app, user)
    course = db_course(db, patient_id, "Course", date(2026, 3, 1))
    session = db_session(db, user.id, course, "preparation", datetime(2026, 3, 2, 10, 0),
                         summary="Old signature.")
    db_strategy(db, patient_id, session.id, STRATEGY)
    db.commit()
    db.expunge_all()
    loaded = db.scalars(select(TherapySession).where(TherapySession.id == session.id)
                        .options(*session_record_options())).one()
    old_hash = content_hash(loaded, version=1)
    assert old_hash != content_hash(loaded)  # the new form also covers the strategy
    loaded.status, loaded.signed_at, loaded.signed_by_id = "signed", datetime.now(UTC), user.id
    loaded.content_hash, loaded.hash_version = old_hash, 1
    db.commit()
    assert _verify(runner).exit_code == 0
    db.execute(update(TherapySession).where(TherapySession.id == session.id)
               .values(summary="Rewritten."))
    db.commit()
    result = _verify(runner)
    assert result.exit_code != 0 and f"session {session.id}" in result.output.lower()


def test_questionnaires_get_a_content_hash_when_stored(app, practice):
    measure = saved_measure_id(questionnaire(practice.client, practice.patient, "phq9",
                                             [2] * 9, course_id=practice.course,
                                             taken_on=date(2026, 3, 2)))
    with database(app) as db:
        response = db.get(MeasureResponse, measure)
        assert response.content_hash and len(response.content_hash) == 64
        assert response.hash_version == integrity.HASH_VERSION == 2


def _tamper(app, *statements) -> None:
    """Change rows behind the app's back, as someone with database access could."""
    with database(app) as db:
        for statement in statements:
            db.execute(statement)
        db.commit()


def test_a_phq9_total_changed_in_the_database_is_named(app, runner, practice):
    measure = saved_measure_id(questionnaire(practice.client, practice.patient, "phq9",
                                             [2] * 9, course_id=practice.course,
                                             taken_on=date(2026, 3, 2)))
    with database(app) as db:
        user_id = db.get(MeasureResponse, measure).recorded_by_id
        other = db_measure(db, user_id, practice.patient, practice.course, "gad7", 9,
                           date(2026, 3, 3)).id
        db.commit()
    assert _verify(runner).exit_code == 0
    row = MeasureResponse.__table__
    _tamper(app, update(row).where(row.c.id == measure).values(total=3))
    result = _verify(runner)
    assert result.exit_code != 0
    assert f"questionnaire {measure}" in result.output.lower()
    assert f"questionnaire {other}" not in result.output.lower()
    # The answers are covered too, and a missing hash is reported.
    _tamper(app, update(row).where(row.c.id == measure).values(total=18),
            update(row).where(row.c.id == other).values(answers=[0] * 7),
            )
    result = _verify(runner)
    assert result.exit_code != 0
    assert f"questionnaire {measure}" not in result.output.lower()
    assert f"questionnaire {other}" in result.output.lower()
    _tamper(app, update(row).where(row.c.id == other).values(content_hash=None))
    result = _verify(runner)
    assert result.exit_code != 0 and "no stored hash" in result.output.lower()


def test_signing_a_session_records_the_current_hash_version(app, practice):
    sid = _signed_session_with_new_items(practice)
    with database(app) as db:
        session = db.scalars(select(TherapySession).where(TherapySession.id == sid)
                             .options(*session_record_options())).one()
        assert session.content_hash == content_hash(session)
        assert session.hash_version == HASH_VERSION


def test_db_sign_helper_signs_under_the_current_version(app, db, make_user):
    user = make_user()
    patient_id = add_patient(app, user)
    course = db_course(db, patient_id, "Course", date(2026, 3, 1))
    session = db_session(db, user.id, course, "preparation", datetime(2026, 3, 2, 10, 0))
    db.commit()
    signed = db_sign(db, session.id, user.id, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    assert signed.hash_version == HASH_VERSION


def test_every_questionnaire_column_is_hashed_or_left_out_with_a_reason():
    """A column added to measure_responses must be covered by the hash (a new version) or
    named as not covered, with why."""
    columns = set(MeasureResponse.__table__.c.keys())
    hashed = set(integrity.HASHED[integrity.HASH_VERSION])
    assert not hashed & set(integrity.NOT_HASHED)
    assert columns == hashed | set(integrity.NOT_HASHED)
    assert all(reason.strip() for reason in integrity.NOT_HASHED.values())


def test_the_migration_hashes_existing_records_and_keeps_old_signatures(app_config,
                                                                        scratch_url):
    """Records written before revision 0013: the questionnaires get their hash, and sessions
    signed then are marked as signed in the first form, under which they still verify."""
    scratch = create_app({**app_config, "DATABASE_URL": scratch_url})
    engine = scratch.extensions["tracker.engine"]
    migrate.upgrade(engine)
    with scratch.app_context():
        db = get_db()
        user = accounts.create_user(db, email="old@example.org", name="Old Therapist",
                                    password=TEST_PASSWORD)
        db.commit()
    patient_id = add_patient(scratch, user)
    with scratch.app_context():
        db = get_db()
        course = db_course(db, patient_id, "Course", date(2026, 3, 1))
        session = db_session(db, user.id, course, "preparation", datetime(2026, 3, 2, 10, 0),
                             summary="Signed before the new form.")
        db_strategy(db, patient_id, session.id, STRATEGY)
        measure = db_measure(db, user.id, patient_id, course.id, "phq9", 11, date(2026, 3, 2))
        db.commit()
        loaded = db.scalars(select(TherapySession).where(TherapySession.id == session.id)
                            .options(*session_record_options())).one()
        old_form = content_hash(loaded, version=1)
        loaded.status, loaded.signed_at, loaded.signed_by_id = ("signed", datetime.now(UTC),
                                                                user.id)
        loaded.content_hash = old_form
        expected = integrity.response_hash(measure, 1)  # The form the migration writes.
        db.commit()
        session_id, measure_id = session.id, measure.id
    migrate.downgrade(engine, "0012")
    migrate.upgrade(engine)
    with scratch.app_context():
        db = get_db()
        assert db.get(TherapySession, session_id).hash_version == 1
        stored = db.get(MeasureResponse, measure_id)
        assert (stored.content_hash, stored.hash_version) == (expected, 1)
    result = scratch.test_cli_runner().invoke(args=["verify-records"])
    assert result.exit_code == 0, result.output
    engine.dispose()


def test_a_detached_session_is_not_hashed_without_what_it_created(app, db, make_user):
    """Outside a database session the created items cannot be read: refuse rather than sign
    a hash that leaves them out."""
    user = make_user()
    patient_id = add_patient(app, user)
    course = db_course(db, patient_id, "Course", date(2026, 3, 1))
    session = db_session(db, user.id, course, "preparation", datetime(2026, 3, 2, 10, 0))
    db_strategy(db, patient_id, session.id, STRATEGY)
    db.commit()
    loaded = db.scalars(select(TherapySession).where(TherapySession.id == session.id)
                        .options(*session_record_options())).one()
    db.expunge(loaded)
    with pytest.raises(ValueError, match="created"):
        content_hash(loaded)
