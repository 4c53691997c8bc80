
from tests.support.database import snapshot
from tests.support.forms import csrf_token, post_form
from tests.support.patients import add_patient
from tests.support.routes import urls
from tests.support.users import TEST_PASSWORD
from tracker.access import PUBLIC_ENDPOINTS


def test_the_public_allow_list_is_exactly_the_sign_in_steps_static_health_and_check_in(
        client):
    assert frozenset({"auth.login", "auth.login_code", "auth.set_password", "static",
                      "health.healthz", "csp_report", "checkin.open_link", "checkin.home",
                      "checkin.submit", "checkin.questionnaire", "checkin.crisis",
                      "checkin.leave"}) == PUBLIC_ENDPOINTS
    assert client.get("/set-password?token=guessed").status_code == 404
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/static/favicon.svg").status_code == 200


def test_every_other_endpoint_refuses_anonymous_visitors(app, client, make_user):
    owner = make_user(email="owner@example.org", is_admin=True)
    patient_id = add_patient(app, owner, "Maya Okafor")
    values = {"patient_id": patient_id, "user_id": owner.id, "filename": "favicon.svg",
              "kind": "theme", "instrument": "phq9"}
    before = snapshot(app)
    token = csrf_token(client, "/login")
    checked = set()
    for endpoint, url, methods in urls(app, values):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        if "GET" in methods:
            response = client.get(url)
            assert response.status_code == 302, (endpoint, url)
            assert response.headers["Location"].startswith("/login"), (endpoint, url)
        if "POST" in methods:
            response = client.post(
                url,
                data={
                    "csrf_token": token,
                    "display_name": "Intruder",
                    "name": "Intruder",
                    "email": "x@example.org",
                    "new_password": "x" * 20,
                    "confirm": "x" * 20,
                },
            )
            assert response.status_code == 302, (endpoint, url)
            assert response.headers["Location"] == "/login", (endpoint, url)
        checked.add(endpoint)
    assert {
        "home",
        "patients.index",
        "patients.new",
        "patients.show",
        "patients.edit",
        "patients.archive",
        "patients.restore",
        "admin.users",
        "admin.new_user",
        "admin.disable",
        "admin.enable",
        "admin.reset_password",
        "auth.logout",
        "account.change_password",
    } <= checked
    assert snapshot(app) == before


def test_another_therapists_patient_is_not_found(app, make_user, therapist_client):
    owner = make_user(email="owner@example.org")
    active_id = add_patient(
        app,
        owner,
        "Secret Person",
        record_number="SECRET-42",
        treatment_intentions="private intention",
    )
    archived_id = add_patient(app, owner, "Hidden Archived", archived=True)
    before = snapshot(app)
    token = csrf_token(therapist_client, "/patients/")
    edit = {"csrf_token": token, "display_name": "Taken Over", "weight_kg": "70"}
    responses = [
        therapist_client.get(f"/patients/{active_id}"),
        therapist_client.get(f"/patients/{active_id}/edit"),
        therapist_client.post(f"/patients/{active_id}/edit", data=edit),
        therapist_client.post(f"/patients/{archived_id}/edit", data=edit),
        therapist_client.post(f"/patients/{active_id}/archive", data={"csrf_token": token}),
        therapist_client.post(f"/patients/{archived_id}/restore", data={"csrf_token": token}),
    ]
    for response in responses:
        page = response.get_data(as_text=True)
        assert response.status_code == 404, response.request.path
        for secret in ["Secret Person", "SECRET-42", "private intention", "Hidden Archived"]:
            assert secret not in page
    assert snapshot(app) == before
    # The answer is the same as for a patient that does not exist at all.
    missing = therapist_client.get(f"/patients/{archived_id + 1000}")
    assert missing.status_code == 404
    assert "Not found" in missing.get_data(as_text=True)
    assert "Not found" in responses[0].get_data(as_text=True)


def test_a_non_admin_is_forbidden_every_admin_url(app, make_user, therapist_client):
    admin = make_user(email="admin@example.org", is_admin=True)
    before = snapshot(app)
    token = csrf_token(therapist_client, "/patients/")
    checked = set()
    for endpoint, url, methods in urls(app, {"user_id": admin.id}, prefix="/admin"):
        if "GET" in methods:
            assert therapist_client.get(url).status_code == 403, url
        if "POST" in methods:
            response = therapist_client.post(
                url,
                data={
                    "csrf_token": token,
                    "name": "Sneaky",
                    "email": "sneaky@example.org",
                    "is_admin": "y",
                },
            )
            assert response.status_code == 403, url
            assert "temporary-password" not in response.get_data(as_text=True)
        checked.add(endpoint)
    assert {
        "admin.users",
        "admin.new_user",
        "admin.disable",
        "admin.enable",
        "admin.reset_password",
    } <= checked
    assert snapshot(app) == before


def test_malformed_ids_are_not_found(therapist, therapist_client):
    for bad in [
        "abc",
        "0",
        "-1",
        "01",
        "1.5",
        "1e3",
        "99999999999999999999999",
        "2147483648",
        "999999999999999999",
        "%C2%B2",
        "%00",
    ]:
        for suffix in ["", "/edit"]:
            response = therapist_client.get(f"/patients/{bad}{suffix}")
            assert response.status_code == 404, (bad, suffix)
        response = post_form(therapist_client, f"/patients/{bad}/archive", form_path="/patients/")
        assert response.status_code == 404, bad


def test_a_temporary_password_must_be_changed_before_anything_else(app, make_user, login_as):
    user = make_user(email="new@example.org", must_change_password=True)
    client = login_as(user)
    for path in ["/patients/", "/patients/new", "/", "/admin/users"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/password", path
    response = post_form(
        client, "/patients/new", {"display_name": "Too Early"}, form_path="/account/password"
    )
    assert response.headers["Location"] == "/account/password"
    assert "Choose your own" in client.get("/account/password").get_data(as_text=True)

    response = post_form(
        client,
        "/account/password",
        {
            "current_password": TEST_PASSWORD,
            "new_password": "my very own passphrase",
            "confirm": "my very own passphrase",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/patients/"
    page = client.get("/patients/")
    assert page.status_code == 200
    assert "Too Early" not in page.get_data(as_text=True)
