"""The one place test data is built (docs: DESIGN.md, "Test data").

A module per entity, each with its builders (`db_*` store rows directly; the others go
through the pages as a therapist does) and its fixtures, loaded as plugins by
tests/conftest.py:

    database    the test database, scratch databases, snapshots and counts
    app         app_config, app (one shared app per test process for the default
                configuration), db, client, runner, count_queries
    users       make_user, therapist, admin
    sign_in     login_as, therapist_client, two-factor codes and enrolment
    patients    add_patient, new_patient
    courses     db_course, make_course
    sessions    db_session, db_sign, the session page flow, the `practice` fixture
    threads     strategies, beliefs and themes, with their reviews, ratings and mentions
    dosing      the dosing record, boosters and vital signs
    measures    questionnaires, answers and safety follow-ups
    care_team   care-team members and emergency access
    histories   whole histories: build_history, build_course
    forms       what a browser submits for a form, posting like one, reading pages back
    routes      every URL of the app, from its URL map
    queries     statements per page
    fuzzing     Hypothesis values and submissions for the fuzz tests
    browser     a plain HTTP client for real servers
    server      the environment and port of a gunicorn-served app
    keys        test-only keys
"""
