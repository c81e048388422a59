"""The pages as a browser and an operator meet them: a Content-Security-Policy without inline script everywhere,
API docs that work offline, /healthz, and no 500 on the login page when collectstatic has not run."""

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client, override_settings

from clinic import health
from messaging.emails import appointment_link_url
from tests import factories
from tests.integration.celery_harness import free_port

pytestmark = pytest.mark.django_db

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
DATA_TYPES = ("application/json", "application/ld+json", "text/template")


def inline_scripts(html: str) -> list[str]:
    """Opening tags of scripts that run from the page itself (no src); JSON data blocks do not run."""
    found = []
    for attributes in SCRIPT_TAG.findall(html):
        if "src=" in attributes:
            continue
        script_type = re.search(r"type=[\"']([^\"']+)", attributes)
        if script_type and script_type.group(1).lower() in DATA_TYPES:
            continue
        found.append(attributes)
    return found


def script_src(response) -> list[str]:
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    return directives["script-src"].split()


def pages(clinic) -> list[tuple[str, Client]]:
    admin = Client()
    admin.force_login(factories.clinic_admin_user())
    desk = Client()
    desk.force_login(factories.front_desk_user())
    patient = factories.PatientFactory()
    appointment = factories.AppointmentFactory(
        patient=patient, location=clinic.location, practitioner=clinic.practitioners[0], therapy_type=clinic.prp
    )
    link = urlsplit(appointment_link_url(appointment, action="confirm")).path
    anonymous = Client()
    return [
        ("/accounts/login/", anonymous),
        ("/desk/", desk),
        (f"/desk/patients/{patient.pk}/", desk),
        ("/admin/", admin),
        ("/admin/login/", anonymous),
        ("/admin/patients/patient/", admin),
        (f"/admin/patients/patient/{patient.pk}/change/", admin),
        ("/admin/treatments/contraindication/add/", admin),
        ("/api/docs/", anonymous),
        (link, anonymous),
        ("/healthz", anonymous),
    ]


def test_every_page_has_a_csp_without_unsafe_inline_and_no_inline_script(clinic):
    for path, client in pages(clinic):
        response = client.get(path)
        assert response.status_code in (200, 503), (path, response.status_code)
        sources = script_src(response)
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, path
        assert "'self'" in sources
        if "html" in response["Content-Type"]:
            assert inline_scripts(response.content.decode()) == [], path


def test_the_api_docs_work_offline_from_our_own_static_files():
    client = Client()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert sources and all(not re.match(r"(https?:)?//", source) for source in sources), sources
    assert any("swagger-ui-dist" in source for source in sources)
    for source in sources:
        if source.startswith("/static/") or source.startswith("/api/"):
            answer = client.get(source)
            assert answer.status_code == 200, source
            body = b"".join(answer.streaming_content) if answer.streaming else answer.content
            assert b"cdn.jsdelivr" not in body and b"unpkg.com" not in body, source


def test_healthz_answers_without_sign_in_when_everything_is_up():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_healthz_names_the_broker_when_it_is_down(settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "down"}


def test_healthz_names_the_database_when_it_is_down(monkeypatch):
    monkeypatch.setattr(health, "_database", lambda: False)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_the_login_page_works_with_debug_off_before_collectstatic(tmp_path):
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "clinic.staticfiles.ForgivingManifestStaticFilesStorage"},
    }
    with override_settings(DEBUG=False, STATIC_ROOT=tmp_path / "never-collected", STORAGES=storages):
        response = Client(raise_request_exception=False).get("/accounts/login/")
        assert response.status_code == 200
        assert "/static/frontdesk/desk.css" in response.content.decode()
        assert Client().get("/static/frontdesk/desk.css").status_code == 200  # served from the app's folder
