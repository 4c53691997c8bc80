import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.support.forms import post_form
from tests.support.patients import add_patient, created_id
from tracker.db import get_db
from tracker.patients.models import Patient

FULL = {
    "display_name": "Maya Okafor",
    "preferred_name": "May",
    "pronouns": "she/her",
    "date_of_birth": "1984-03-09",
    "record_number": "MRN-2231",
    "weight_kg": "68.4",
    "treatment_intentions": "Grieve my father. Sleep through the night.",
}


def load_patient(app, patient_id) -> Patient | None:
    with app.app_context():
        return get_db().get(Patient, patient_id)


def patient_count(app) -> int:
    with app.app_context():
        return get_db().scalar(select(func.count()).select_from(Patient))


def field_errors(page: str, field: str) -> str:
    """The error list rendered next to one field ('' when the field has none)."""
    match = re.search(rf'<ul class="field__errors" id="{field}-error">(.*?)</ul>', page, re.S)
    return match.group(1) if match else ""


def create(client, **changes):
    return post_form(client, "/patients/new", {**FULL, **changes})


# Create and view


def test_create_with_every_field_then_the_detail_page_shows_them(app, therapist_client):
    patient_id = created_id(create(therapist_client))
    page = therapist_client.get(f"/patients/{patient_id}").get_data(as_text=True)
    assert "Patient created." in page
    for shown in [
        "Maya Okafor",
        "May",
        "she/her",
        "1984-03-09",
        "MRN-2231",
        "68.4 kg",
        "Grieve my father. Sleep through the night.",
    ]:
        assert shown in page, shown
    stored = load_patient(app, patient_id)
    assert stored.weight_kg == Decimal("68.4")
    assert stored.date_of_birth == date(1984, 3, 9)
    assert stored.status == "active"


def test_missing_name_is_shown_next_to_the_field_and_keeps_everything_typed(app, therapist_client):
    response = create(therapist_client, display_name="   ")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This field is required." in field_errors(page, "display_name")
    assert page.count('class="field__errors"') == 1
    for kept in [
        'value="May"',
        'value="she/her"',
        'value="1984-03-09"',
        'value="MRN-2231"',
        'value="68.4"',
        "Grieve my father. Sleep through the night.</textarea>",
    ]:
        assert kept in page, kept
    assert patient_count(app) == 0


@pytest.mark.parametrize(
    "field, limit",
    [
        ("display_name", 120),
        ("preferred_name", 80),
        ("pronouns", 40),
        ("record_number", 64),
        ("treatment_intentions", 5000),
    ],
)
def test_text_lengths_are_limited(app, therapist_client, field, limit):
    response = create(therapist_client, **{field: "x" * (limit + 1)})
    assert response.status_code == 200
    assert f"longer than {limit} characters" in field_errors(response.get_data(as_text=True), field)
    assert patient_count(app) == 0
    patient_id = created_id(create(therapist_client, **{field: "x" * limit}))
    assert getattr(load_patient(app, patient_id), field) == "x" * limit


@pytest.mark.parametrize(
    "weight",
    [
        "5",
        "19.9",
        "350.1",
        "1000",
        "-70",
        "abc",
        "NaN",
        "-nan",
        "sNaN",
        "Infinity",
        "-Infinity",
        "1e400",
        "1e-400",
    ],
)
def test_implausible_or_non_numeric_weight_is_refused(app, therapist_client, weight):
    response = create(therapist_client, weight_kg=weight)
    assert response.status_code == 200
    errors = field_errors(response.get_data(as_text=True), "weight_kg")
    assert any(
        message in errors
        for message in [
            "Enter a weight between 20 and 350 kg.",
            "Not a valid decimal value.",
            "Enter a number.",
        ]
    )
    assert patient_count(app) == 0


@pytest.mark.parametrize(
    "weight, stored", [("20", Decimal("20")), ("350", Decimal("350")), ("", None)]
)
def test_weight_limits_are_inclusive_and_weight_is_optional(app, therapist_client, weight, stored):
    patient_id = created_id(create(therapist_client, weight_kg=weight))
    assert load_patient(app, patient_id).weight_kg == stored


@pytest.mark.parametrize(
    "birth_date, message",
    [
        ((date.today() + timedelta(days=1)).isoformat(), "cannot be in the future"),
        ("2999-01-01", "cannot be in the future"),
        ("1899-12-31", "after 1900"),
        ("31/12/1980", "Not a valid date"),
        ("1980-02-30", "Not a valid date"),
    ],
)
def test_implausible_date_of_birth_is_refused(app, therapist_client, birth_date, message):
    response = create(therapist_client, date_of_birth=birth_date)
    assert response.status_code == 200
    assert message in field_errors(response.get_data(as_text=True), "date_of_birth")
    assert patient_count(app) == 0


def test_control_characters_are_stripped_from_text(app, therapist_client):
    response = create(
        therapist_client,
        display_name="\x00Maya\x07 Oka\x1bfor\x7f",
        preferred_name="Ma\x00y",
        pronouns="she/\x08her",
        record_number="MRN\x0c-1",
        treatment_intentions="Line one\x00\nLine\x0b two\twith a tab",
    )
    stored = load_patient(app, created_id(response))
    assert stored.display_name == "Maya Okafor"
    assert stored.preferred_name == "May"
    assert stored.pronouns == "she/her"
    assert stored.record_number == "MRN-1"
    assert stored.treatment_intentions == "Line one\nLine two\twith a tab"


def test_a_name_made_only_of_control_characters_is_missing(app, therapist_client):
    response = create(
        therapist_client,
        display_name="\x00\x01\x1f",
        weight_kg="7\x005",
        date_of_birth="1980-01-01\x00",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This field is required." in field_errors(page, "display_name")
    assert field_errors(page, "weight_kg") and field_errors(page, "date_of_birth")
    assert patient_count(app) == 0


def test_names_that_grow_when_case_folded_are_saved_and_found(app, therapist_client):
    # "ﬃ" case-folds to three characters: the search key can be longer than the names.
    patient_id = created_id(
        create(therapist_client, display_name="ﬃ" * 120, preferred_name="ß" * 80)
    )
    assert load_patient(app, patient_id).display_name == "ﬃ" * 120
    page = therapist_client.get("/patients/", query_string={"q": "FFI"}).get_data(as_text=True)
    assert f"/patients/{patient_id}" in page


# Edit


def test_edit_form_shows_the_current_values(app, therapist, therapist_client):
    patient_id = created_id(create(therapist_client))
    page = therapist_client.get(f"/patients/{patient_id}/edit").get_data(as_text=True)
    for kept in [
        'value="Maya Okafor"',
        'value="May"',
        'value="she/her"',
        'value="1984-03-09"',
        'value="MRN-2231"',
        'value="68.4"',
        "Grieve my father. Sleep through the night.</textarea>",
    ]:
        assert kept in page, kept


def test_edit_saves_changes(app, therapist_client):
    patient_id = created_id(create(therapist_client))
    response = post_form(
        therapist_client,
        f"/patients/{patient_id}/edit",
        {
            **FULL,
            "display_name": "Maya O. Okafor",
            "weight_kg": "70.2",
            "pronouns": "",
            "treatment_intentions": "Reconnect with my body.",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/patients/{patient_id}"
    page = therapist_client.get(f"/patients/{patient_id}").get_data(as_text=True)
    assert "Changes saved." in page
    assert "Maya O. Okafor" in page and "70.2 kg" in page and "Reconnect with my body." in page
    stored = load_patient(app, patient_id)
    assert stored.pronouns is None
    assert stored.record_number == "MRN-2231"
    assert patient_count(app) == 1


def test_invalid_edit_keeps_what_was_typed_and_saves_nothing(app, therapist_client):
    patient_id = created_id(create(therapist_client))
    response = post_form(
        therapist_client,
        f"/patients/{patient_id}/edit",
        {**FULL, "display_name": "Renamed", "weight_kg": "1000"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="Renamed"' in page and 'value="1000"' in page
    assert "Enter a weight between 20 and 350 kg." in field_errors(page, "weight_kg")
    stored = load_patient(app, patient_id)
    assert (stored.display_name, stored.weight_kg) == ("Maya Okafor", Decimal("68.4"))


# Archive and restore


def test_archive_and_restore_move_the_patient_between_lists(app, therapist, therapist_client):
    patient_id = add_patient(app, therapist, "Maya Okafor")
    assert "Maya Okafor" in therapist_client.get("/patients/").get_data(as_text=True)

    response = post_form(
        therapist_client, f"/patients/{patient_id}/archive", {"confirmed": "yes"},
        form_path=f"/patients/{patient_id}")
    assert response.headers["Location"] == f"/patients/{patient_id}"
    page = therapist_client.get(f"/patients/{patient_id}").get_data(as_text=True)
    assert "Maya Okafor was archived." in page and "Restore to active" in page
    assert "Maya Okafor" not in therapist_client.get("/patients/").get_data(as_text=True)
    archived = therapist_client.get("/patients/?status=archived").get_data(as_text=True)
    assert "Maya Okafor" in archived
    stored = load_patient(app, patient_id)
    assert stored.status == "archived" and stored.archived_at is not None

    post_form(
        therapist_client, f"/patients/{patient_id}/restore", form_path=f"/patients/{patient_id}"
    )
    assert "Maya Okafor" in therapist_client.get("/patients/").get_data(as_text=True)
    archived = therapist_client.get("/patients/?status=archived").get_data(as_text=True)
    assert "Maya Okafor" not in archived
    stored = load_patient(app, patient_id)
    assert stored.status == "active" and stored.archived_at is None


@pytest.mark.parametrize("action, status", [("archive", "active"), ("restore", "archived")])
def test_archive_and_restore_require_post_with_csrf(
    app, therapist, therapist_client, action, status
):
    patient_id = add_patient(app, therapist, archived=status == "archived")
    assert therapist_client.get(f"/patients/{patient_id}/{action}").status_code == 405
    assert therapist_client.post(f"/patients/{patient_id}/{action}").status_code == 400
    assert (
        therapist_client.post(
            f"/patients/{patient_id}/{action}", data={"csrf_token": "forged"}
        ).status_code
        == 400
    )
    assert load_patient(app, patient_id).status == status


# List: search, filters, pagination


def names_listed(client, **query) -> set[str]:
    page = client.get("/patients/", query_string=query).get_data(as_text=True)
    return set(re.findall(r'<a href="/patients/\d+">([^<]*)</a>', page))


def test_search_is_case_insensitive_including_non_ascii(app, therapist, therapist_client):
    for name in ["Émile Zoë", "Maya Okafor", "Zoe Emile"]:
        add_patient(app, therapist, name)
    assert names_listed(therapist_client, q="émile") == {"Émile Zoë"}
    assert names_listed(therapist_client, q="ZOË") == {"Émile Zoë"}
    assert names_listed(therapist_client, q="ÉMILE ZOË") == {"Émile Zoë"}
    assert names_listed(therapist_client, q="okaf") == {"Maya Okafor"}
    assert names_listed(therapist_client, q="  maya  ") == {"Maya Okafor"}
    assert names_listed(therapist_client, q="nobody") == set()
    assert names_listed(therapist_client) == {"Émile Zoë", "Maya Okafor", "Zoe Emile"}


def test_search_finds_the_preferred_name(app, therapist, therapist_client):
    add_patient(app, therapist, "Margaret Hale", preferred_name="Peggy")
    add_patient(app, therapist, "Maya Okafor")
    assert names_listed(therapist_client, q="PEGGY") == {"Margaret Hale"}


def test_search_treats_like_wildcards_literally(app, therapist, therapist_client):
    for name in ["Ann_Lee", "Annalee Smith", "Bob 100% Sure", "Bob 1000 Sure", "Back/Slash"]:
        add_patient(app, therapist, name)
    assert names_listed(therapist_client, q="n_l") == {"Ann_Lee"}
    assert names_listed(therapist_client, q="_") == {"Ann_Lee"}
    assert names_listed(therapist_client, q="%") == {"Bob 100% Sure"}
    assert names_listed(therapist_client, q="0%") == {"Bob 100% Sure"}
    assert names_listed(therapist_client, q="k/s") == {"Back/Slash"}
    assert names_listed(therapist_client, q="\\") == set()


@pytest.mark.parametrize(
    "query",
    [
        "status=abc",
        "status=",
        "status=ARCHIVED",
        "status=active&status=archived",
        "page=abc",
        "page=-1",
        "page=0",
        "page=1.5",
        "page=",
        "page=99999999999",
        "page=%C2%B2",
        "page=%D9%A3",
        "page=1e3",
        "status=archived&page=abc",
        "q=%00",
        "q=%25%00%5F",
        "q=" + "x" * 5000,
    ],
)
def test_odd_list_parameters_never_fail(app, therapist, therapist_client, query):
    add_patient(app, therapist, "Maya Okafor")
    response = therapist_client.get("/patients/?" + query)
    assert response.status_code == 200
    assert "Your patients" in response.get_data(as_text=True) or "Archived patients" in (
        response.get_data(as_text=True)
    )


def test_unknown_status_shows_the_active_list(app, therapist, therapist_client):
    add_patient(app, therapist, "Maya Okafor")
    add_patient(app, therapist, "Ari Archived", archived=True)
    assert names_listed(therapist_client, status="abc") == {"Maya Okafor"}
    assert names_listed(therapist_client, status="archived") == {"Ari Archived"}


def test_pagination(app, therapist, therapist_client):
    app.config["PATIENTS_PER_PAGE"] = 2
    for number in range(1, 6):
        add_patient(app, therapist, f"Patient {number}")

    first = therapist_client.get("/patients/").get_data(as_text=True)
    assert "Page 1 of 3" in first
    assert 'href="/patients/?status=active&amp;page=2" rel="next"' in first
    assert 'rel="prev"' not in first
    assert names_listed(therapist_client) == {"Patient 1", "Patient 2"}

    second = therapist_client.get("/patients/?page=2").get_data(as_text=True)
    assert "Page 2 of 3" in second
    assert 'href="/patients/?status=active&amp;page=1" rel="prev"' in second
    assert 'href="/patients/?status=active&amp;page=3" rel="next"' in second
    assert names_listed(therapist_client, page=2) == {"Patient 3", "Patient 4"}

    last = therapist_client.get("/patients/?page=3").get_data(as_text=True)
    assert "Page 3 of 3" in last and 'rel="next"' not in last
    assert names_listed(therapist_client, page=3) == {"Patient 5"}
    # Past the end: the last page.
    assert "Page 3 of 3" in therapist_client.get("/patients/?page=50").get_data(as_text=True)

    searched = therapist_client.get("/patients/?q=patient").get_data(as_text=True)
    assert 'href="/patients/?q=patient&amp;status=active&amp;page=2" rel="next"' in searched


def test_no_pagination_when_everything_fits(app, therapist, therapist_client):
    app.config["PATIENTS_PER_PAGE"] = 2
    add_patient(app, therapist, "Patient 1")
    add_patient(app, therapist, "Patient 2")
    page = therapist_client.get("/patients/").get_data(as_text=True)
    assert "Page 1 of" not in page and 'rel="next"' not in page


def test_the_list_runs_a_constant_number_of_queries(
    app, therapist, therapist_client, count_queries
):
    for number in range(2):
        add_patient(app, therapist, f"Patient {number}", pronouns="they/them")
    therapist_client.get("/patients/")  # Warm up.
    with count_queries() as few:
        assert therapist_client.get("/patients/").status_code == 200
    for number in range(2, 30):
        add_patient(
            app,
            therapist,
            f"Patient {number}",
            pronouns="they/them",
            preferred_name=f"P{number}",
            record_number=f"R{number}",
        )
    with count_queries() as many:
        page = therapist_client.get("/patients/").get_data(as_text=True)
    assert page.count('<th scope="row">') == 25
    assert len(many) == len(few), many


def test_the_list_shows_only_the_therapists_own_patients(
    app, make_user, therapist, therapist_client
):
    colleague = make_user(email="colleague@example.org")
    add_patient(app, therapist, "Mine")
    add_patient(app, colleague, "Theirs")
    assert names_listed(therapist_client) == {"Mine"}
    assert names_listed(therapist_client, q="theirs") == set()


def test_the_lists_links_are_what_url_for_gives_under_a_prefix_too(app, therapist,
                                                                  therapist_client):
    from flask import url_for

    from tracker.converters import MAX_ID, id_url

    patient_id = add_patient(app, therapist, "Linked Patient")
    page = therapist_client.get("/patients/").get_data(as_text=True)
    for path in ("", "/brief", "/progress"):
        assert f'href="/patients/{patient_id}{path}"' in page
    for base in ("http://localhost/", "http://localhost/tracker/"):
        with app.test_request_context("/", base_url=base):
            for endpoint in ("patients.show", "progress.brief", "sessions.show"):
                argument = "session_id" if endpoint.startswith("sessions") else "patient_id"
                link = id_url(endpoint, argument)
                assert [link(n) for n in (1, 42, MAX_ID)] == [
                    url_for(endpoint, **{argument: n}) for n in (1, 42, MAX_ID)]
            assert id_url("patients.show", "patient_id")(7).startswith(base[16:])
            with pytest.raises(ValueError):  # Where the id could not be told apart.
                id_url("patients.show", "patient_id", q=str(MAX_ID))
