"""Full-text search: what is indexed (never the psychotherapy notes), kept in step with every
write, limited to the patients an account may see, and any text is a valid query."""

import re
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from tests.support.care_team import emergency_access, team_member
from tests.support.courses import db_course
from tests.support.database import database
from tests.support.forms import post_with_token
from tests.support.patients import add_patient
from tests.support.sessions import db_session, save_page, start_session
from tracker import create_app, migrate
from tracker.care_team.models import CareTeamMember
from tracker.db import make_engine, utcnow
from tracker.search.models import SearchDocument
from tracker.threads.models import Strategy, StrategyReview, Theme, ThemeMention


def hits(client, query, **filters) -> list[str]:
    """The titles of the results, in order; asserts the page answered."""
    response = client.get("/search", query_string={"q": query, **filters})
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    return re.findall(r'<p class="search-result__title"><a href="/sessions/(\d+)">', html)


def page(client, query, **filters) -> str:
    return client.get("/search", query_string={"q": query, **filters}).get_data(as_text=True)


@pytest.fixture
def documented(practice):
    """A patient with a course and one session documented through the session page."""
    session_id = practice.start("integration", 4)
    save_page(practice.client, session_id,
              summary="Walked along the river at dawn; grief softened.",
              intention="Stay with the sadness",
              private_notes="Countertransference: zebra crossing dream",
              **{"new_themes-0-label": "Ocean imagery", "new_themes-0-category": "imagery",
                 "new_themes-0-notes": "Waves carrying her father's voice",
                 "new_beliefs-0-old_belief": "I must hold everything together",
                 "new_beliefs-0-new_belief": "I can let others help",
                 "new_beliefs-0-old_conviction": 80, "new_beliefs-0-new_conviction": 30,
                 "new_strategies-0-category": "journaling",
                 "new_strategies-0-description": "Morning pages before breakfast",
                 "new_strategies-0-target_per_week": 5})
    return {"patient": practice.patient, "course": practice.course, "session": session_id}


def test_every_part_of_the_progress_record_is_found_with_stemming(therapist_client, documented):
    sid = str(documented["session"])
    for query in ("walking river", "dawn", "sadness", "ocean", "father's voice",
                  "hold everything", "others help", "morning pages breakfast", "GRIEF"):
        assert hits(therapist_client, query) == [sid], query
    html = page(therapist_client, "walk")
    assert "<mark>Walked</mark>" in html


def test_psychotherapy_notes_are_never_searched(app, therapist_client, documented):
    assert hits(therapist_client, "zebra") == []
    assert hits(therapist_client, "countertransference") == []
    with database(app) as db:
        assert "zebra" not in db.scalar(select(SearchDocument.body))


def test_the_index_follows_every_save_and_removal(app, therapist_client, documented):
    sid = documented["session"]
    save_page(therapist_client, sid, summary="A quiet session about the garden.")
    assert hits(therapist_client, "river") == []
    assert hits(therapist_client, "garden") == [str(sid)]
    with database(app) as db:
        theme_id = db.scalar(select(Theme.id).where(Theme.label == "Ocean imagery"))
    html = therapist_client.get(f"/sessions/{sid}/edit").get_data(as_text=True)
    editor = re.search(r'name="editor_id"[^>]*value="([0-9a-f]+)"', html).group(1)
    version = re.search(r'name="version"[^>]*value="(\d+)"', html).group(1)
    response = post_with_token(therapist_client,
                               f"/sessions/{sid}/added/theme/{theme_id}/remove",
                               {"editor_id": editor, "version": version})
    assert response.status_code == 302
    assert hits(therapist_client, "ocean") == []


def test_items_not_discussed_are_not_found_in_that_session(app, therapist, therapist_client,
                                                            documented):
    later = start_session(therapist_client, documented["patient"], documented["course"],
                          "integration", date(2026, 3, 11))
    save_page(therapist_client, later, summary="Short check of the week.")
    with database(app) as db:
        db.execute(ThemeMention.__table__.update()
                   .where(ThemeMention.session_id == later).values(decision="skip"))
        # Rewritten through the ORM so that the index follows, as every app write does.
        review = db.scalar(select(StrategyReview).where(StrategyReview.session_id == later))
        review.decision = "skip"
        db.commit()
    assert hits(therapist_client, "morning pages") == [str(documented["session"])]


def test_only_the_patients_an_account_may_see_are_searched(app, make_user, login_as, documented,
                                                             therapist):
    sid = str(documented["session"])
    other = login_as(make_user(email="other@example.org"))
    assert hits(other, "river") == []
    assert "Maya" not in page(other, "river")
    member = make_user(email="member@example.org")
    with database(app) as db:
        db.add(team_member(documented["patient"], member.id, "read", added_by=therapist.id,
                           relationship="supervisor"))
        db.commit()
    member_client = login_as(member)
    assert hits(member_client, "river") == [sid]
    with database(app) as db:
        db.scalar(select(CareTeamMember)).revoked_at = utcnow()
        db.commit()
    assert hits(member_client, "river") == []
    admin = make_user(email="admin@example.org", is_admin=True)
    admin_client = login_as(admin)
    assert hits(admin_client, "river") == []
    with database(app) as db:
        db.add(emergency_access(documented["patient"], admin.id, "Crisis call on the weekend",
                                minutes=30))
        db.commit()
    assert hits(admin_client, "river") == [sid]
    # A patient filter naming someone else's patient is ignored, never a way in.
    assert hits(other, "river", patient=documented["patient"]) == []


def test_filters_and_newest_first(app, therapist, therapist_client, documented):
    other_patient = add_patient(app, therapist, "Daniel Reyes")
    with database(app) as db:
        course = db_course(db, documented["patient"], "Second course")
        ids = [db_session(db, therapist.id, course, kind, datetime(2026, 5, day, 10),
                          summary=f"Lantern walk number {day}").id
               for day, kind in ((1, "dosing"), (3, "integration"), (2, "dosing"))]
        db.commit()
    with database(app) as db:
        other_course = db_course(db, other_patient, "Course")
        other = db_session(db, therapist.id, other_course, "dosing", datetime(2026, 5, 4, 10),
                           summary="Lantern by the door").id
        db.commit()
    assert hits(therapist_client, "lantern") == [str(i) for i in (other, ids[1], ids[2], ids[0])]
    assert hits(therapist_client, "lantern", kind="dosing") == [str(i) for i in
                                                                (other, ids[2], ids[0])]
    assert hits(therapist_client, "lantern", patient=documented["patient"]) == [
        str(i) for i in (ids[1], ids[2], ids[0])]
    assert hits(therapist_client, "lantern walk", patient=documented["patient"],
                kind="integration") == [str(ids[1])]


def test_pages_of_twenty(app, therapist, therapist_client, documented):
    with database(app) as db:
        course = db_course(db, documented["patient"], "Long course")
        for i in range(25):
            db_session(db, therapist.id, course, "check_in",
                       datetime(2026, 6, 1, 9) + timedelta(days=i), summary="Sunflower check")
        db.commit()
    assert len(hits(therapist_client, "sunflower")) == 20
    assert len(hits(therapist_client, "sunflower", page=2)) == 5
    assert 'rel="next"' in page(therapist_client, "sunflower")
    assert 'rel="next"' not in page(therapist_client, "sunflower", page=2)


def test_snippets_escape_the_stored_text(app, therapist, therapist_client, documented):
    with database(app) as db:
        course = db_course(db, documented["patient"], "Course")
        db_session(db, therapist.id, course, "dosing", datetime(2026, 7, 1, 9),
                   summary='<script>alert("x")</script> quokka <img src=x onerror=alert(1)>')
        db.commit()
    html = page(therapist_client, "quokka")
    assert "<mark>quokka</mark>" in html
    # Escaped (SQLite keeps the tags as text; PostgreSQL's headline drops tags it parsed).
    assert "<script>alert" not in html and "<img src=x" not in html


NASTY = ['"', '""', "'", "AND", "OR NOT", "NEAR(river dawn)", "river*", "^river", "body:river",
         "patient_id:1", "{body patient_id}: x", "(((", ")", "-", "--", "*", "a" * 10_000,
         "river " * 3000, "\x00river", "\ue000river\ue001", "rivér", "Straße", "川", "🙂",
         "%", "_", "\\", "';DROP TABLE search_documents;--", "!(", "&|", "<->", ":*"]


@pytest.mark.parametrize("query", NASTY, ids=range(len(NASTY)))
def test_any_text_is_a_valid_query(therapist_client, documented, query):
    response = therapist_client.get("/search", query_string={"q": query})
    assert response.status_code == 200


def test_operators_are_words_not_syntax(therapist_client, documented):
    sid = str(documented["session"])
    assert hits(therapist_client, '"river" OR zzz') == []  # Every word is required.
    assert hits(therapist_client, "river*") == [sid]
    assert hits(therapist_client, "body:river") == []  # "body" is not in the text.
    assert hits(therapist_client, "NEAR(river dawn)") == []  # "near" is a word too.


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=300), kind=st.text(max_size=12), patient=st.text(max_size=12))
def test_fuzzed_queries_and_filters_never_fail(therapist_client, documented, query, kind,
                                               patient):
    response = therapist_client.get("/search", query_string={"q": query, "kind": kind,
                                                              "patient": patient})
    assert response.status_code == 200


def test_the_search_page_runs_the_same_queries_whatever_the_data(app, therapist,
                                                                 therapist_client, documented,
                                                                 count_queries):
    def queries() -> int:
        with count_queries() as statements:
            assert therapist_client.get("/search?q=lantern").status_code == 200
        return len(statements)

    with database(app) as db:
        course = db_course(db, documented["patient"], "Course")
        db_session(db, therapist.id, course, "dosing", datetime(2026, 8, 1), summary="lantern")
        db.commit()
    few = queries()
    with database(app) as db:
        for i in range(40):
            db_session(db, therapist.id, course, "check_in", datetime(2026, 8, 2) +
                       timedelta(days=i), summary="lantern glow")
        db.commit()
    assert queries() == few


def test_search_is_audited_without_the_words(app, therapist_client, documented):
    from tracker.audit.models import AuditEvent

    hits(therapist_client, "secretword")
    with database(app) as db:
        actions = list(db.scalars(select(AuditEvent.action)))
    assert "view search.index" in actions
    assert not any("secretword" in action for action in actions)


def test_the_migration_indexes_sessions_written_before_it(app_config, scratch_url):
    from tests.support.app import dispose
    from tracker.auth.models import User
    from tracker.patients.models import Patient

    engine = make_engine(scratch_url)
    migrate.upgrade(engine)
    application = create_app({**app_config, "DATABASE_URL": scratch_url})
    try:
        with database(application) as db:
            user = User(email="a@example.org", name="A", password_hash="x")
            db.add(user)
            db.flush()
            patient = Patient(therapist_id=user.id, display_name="P")
            db.add(patient)
            db.flush()
            session = db_session(db, user.id, db_course(db, patient.id), "dosing",
                                 datetime(2026, 3, 2), summary="Heron by the lake")
            db.add(Strategy(patient_id=patient.id, category="nature", description="Birdsong",
                            target_per_week=3, first_session_id=session.id))
            db.commit()
        migrate.downgrade(engine, "0007")
        migrate.upgrade(engine)
        with engine.connect() as connection:
            body = connection.execute(text("SELECT body FROM search_documents")).scalar()
        assert body == "Heron by the lake\nBirdsong"
    finally:
        dispose(application)
        engine.dispose()


def test_search_reindex_rebuilds_a_lost_index(app, runner, therapist_client, documented):
    with app.extensions["tracker.engine"].begin() as connection:
        connection.execute(SearchDocument.__table__.delete())
    assert hits(therapist_client, "river") == []
    result = runner.invoke(args=["search-reindex"])
    assert result.exit_code == 0, result.output
    assert "1 sessions" in result.output
    assert hits(therapist_client, "river") == [str(documented["session"])]


def test_stored_text_cannot_forge_highlight_marks(app, therapist, therapist_client, documented):
    with database(app) as db:
        course = db_course(db, documented["patient"], "Course")
        db_session(db, therapist.id, course, "dosing", datetime(2026, 7, 2, 9),
                   summary="\ue001\ue001 wombat \ue000")
        db.commit()
    html = page(therapist_client, "wombat")
    assert html.count("<mark>") == html.count("</mark>") == 1
