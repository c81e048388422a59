"""The desk pages: who may open them and what the shell hands the scripts (the data itself comes from the API)."""

import json

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def desk_config(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="desk-config" type="application/json">') + len(
        '<script id="desk-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_anonymous_visitor_is_sent_to_the_login_page():
    response = Client().get("/desk/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/desk/")


def test_login_page_has_labelled_username_and_password_fields():
    html = Client().get("/accounts/login/").content.decode()
    assert '<label for="id_username">' in html and 'name="username"' in html
    assert '<label for="id_password">' in html and 'name="password"' in html


def test_front_desk_logs_in_and_lands_on_the_desk():
    factories.front_desk_user(username="desk")
    client = Client()
    response = client.post("/accounts/login/", {"username": "desk", "password": factories.PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/desk/"
    assert b"Day view" in response.content


def test_desk_hands_the_script_the_api_root_roles_and_choice_labels():
    response = logged_in(factories.front_desk_user()).get("/desk/")
    assert response.status_code == 200
    config = desk_config(response)
    assert config["api"] == "/api/v1/"
    assert config["roles"] == ["front_desk"]
    assert config["appointment_statuses"]["no_show"] == "No-show"
    assert "csrftoken" in response.cookies


def test_a_user_without_a_clinic_role_is_refused():
    assert logged_in(factories.UserFactory()).get("/desk/").status_code == 403


def test_practitioner_opens_a_patient_record_shell():
    response = logged_in(factories.practitioner_user()).get("/desk/patients/42/")
    assert response.status_code == 200
    assert desk_config(response)["patient_id"] == 42
    assert b'id="plan-form"' in response.content


@pytest.mark.parametrize("name", ["desk.js", "patient.js", "api.js", "ui.js", "desk.css"])
def test_static_files_are_found_for_whitenoise(name):
    assert finders.find(f"frontdesk/{name}")
