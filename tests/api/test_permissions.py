"""The permission matrix of README.md ("Who may do what through the API"), one test per cell."""

from contextlib import nullcontext
from datetime import timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from clinic.roles import CLINIC_ADMIN, FRONT_DESK, PRACTITIONER
from tests import factories
from tests.api.conftest import next_weekday_at
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

FD, PR, AD = FRONT_DESK, PRACTITIONER, CLINIC_ADMIN
STAFF = {FD, PR, AD}
CLINICAL = {PR, AD}

# (name, method, url, body, roles allowed, status on success)
MATRIX = [
    ("patient search", "get", "/api/v1/patients/?search=a", None, STAFF, 200),
    ("patient register", "post", "/api/v1/patients/", "new_patient", STAFF, 201),
    ("patient read", "get", "/api/v1/patients/{patient}/", None, STAFF, 200),
    ("patient edit", "patch", "/api/v1/patients/{patient}/", {"phone": "+447700900999"}, STAFF, 200),
    ("conditions list", "get", "/api/v1/patients/{patient}/conditions/", None, CLINICAL, 200),
    ("condition record", "post", "/api/v1/patients/{patient}/conditions/", "new_condition", CLINICAL, 201),
    ("condition read", "get", "/api/v1/patients/{patient}/conditions/{patient_condition}/", None, CLINICAL, 200),
    (
        "condition edit",
        "patch",
        "/api/v1/patients/{patient}/conditions/{patient_condition}/",
        {"note": "n"},
        CLINICAL,
        200,
    ),
    ("patient export", "get", "/api/v1/patients/{patient}/export/", None, CLINICAL, 200),
    ("patient access log", "get", "/api/v1/patients/{patient}/access-log/", None, {AD}, 200),
    ("catalog conditions", "get", "/api/v1/conditions/", None, STAFF, 200),
    ("catalog therapy types", "get", "/api/v1/therapy-types/", None, STAFF, 200),
    ("catalog products", "get", "/api/v1/products/", None, STAFF, 200),
    ("catalog product lots", "get", "/api/v1/product-lots/", None, STAFF, 200),
    ("catalog contraindications", "get", "/api/v1/contraindications/", None, CLINICAL, 200),
    ("lot recipients", "get", "/api/v1/product-lots/{lot}/recipients/", None, CLINICAL, 200),
    ("locations", "get", "/api/v1/locations/", None, STAFF, 200),
    ("practitioners", "get", "/api/v1/practitioners/", None, STAFF, 200),
    ("rooms", "get", "/api/v1/rooms/", None, STAFF, 200),
    ("devices", "get", "/api/v1/devices/", None, STAFF, 200),
    ("screening", "post", "/api/v1/screenings/", "screening", STAFF, 200),
    ("plans list", "get", "/api/v1/plans/?needs_attention=false", None, STAFF, 200),
    ("plan read", "get", "/api/v1/plans/{plan}/", None, STAFF, 200),
    ("plan open", "post", "/api/v1/plans/", "new_plan", CLINICAL, 201),
    (
        "plan consent",
        "post",
        "/api/v1/plans/{plan}/consent/",
        {"method": "written", "text_version": "v1"},
        CLINICAL,
        201,
    ),
    ("plan schedule", "post", "/api/v1/plans/{plan}/schedule/", None, STAFF, 200),
    ("availability", "get", "availability", None, STAFF, 200),
    ("availability days", "get", "availability/days", None, STAFF, 200),
    ("appointments list", "get", "/api/v1/appointments/?status=booked", None, STAFF, 200),
    ("appointment read", "get", "/api/v1/appointments/{appointment}/", None, STAFF, 200),
    ("appointment book", "post", "/api/v1/appointments/", "booking", STAFF, 201),
    ("appointment reschedule", "post", "/api/v1/appointments/{appointment}/reschedule/", "move", STAFF, 200),
    ("appointment cancel", "post", "/api/v1/appointments/{appointment}/cancel/", {"reason": "ill"}, STAFF, 200),
    ("appointment check in", "post", "/api/v1/appointments/{appointment}/check-in/", None, STAFF, 200),
    ("appointment no-show", "post", "/api/v1/appointments/{appointment}/no-show/", None, STAFF, 200),
    ("appointment complete", "post", "/api/v1/appointments/{appointment}/complete/", {"notes": "ok"}, CLINICAL, None),
    ("reminders", "get", "/api/v1/reminders/?status=pending", None, STAFF, 200),
    ("webhooks list", "get", "/api/v1/webhooks/", None, {AD}, 200),
    ("webhook create", "post", "/api/v1/webhooks/", "new_webhook", {AD}, 201),
    ("appointment release", "post", "/api/v1/appointments/{appointment}/release/", {}, CLINICAL, 200),
    ("attention list", "get", "/api/v1/appointments/?needs_attention=true", None, STAFF, 200),
    ("plan review", "post", "/api/v1/plans/{plan}/review/", {}, CLINICAL, None),
    ("plan cancel", "post", "/api/v1/plans/{plan}/cancel/", {"reason": "Patient moved away"}, STAFF, None),
    ("plan session skip", "post", "/api/v1/plans/{plan}/sessions/{session}/skip/", {"reason": "Away"}, CLINICAL, None),
    # The practitioner themself may too (tests/exchange/test_feeds.py); another practitioner may not.
    ("calendar feed issue", "post", "/api/v1/practitioners/{practitioner}/calendar-feed/", None, {AD}, 201),
    ("calendar feed revoke", "delete", "/api/v1/practitioners/{practitioner}/calendar-feed/", None, {AD}, 204),
    ("online requests", "get", "/api/v1/online-requests/?needs_attention=true", None, STAFF, 200),
]


def _bodies(records) -> dict:
    clinic = records.clinic
    return {
        "new_patient": {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1980-12-10"},
        "new_condition": {"condition": records.other_condition.pk, "note": "reported at intake"},
        "screening": {"patient": records.patient.pk, "therapy_type": clinic.exosome.pk},
        "new_plan": {
            "patient": records.patient.pk,
            "therapy_type": clinic.exosome.pk,
            "product": clinic.plant_product.pk,
            "indication": "acne_scars",
        },
        "booking": {
            "patient": factories.PatientFactory().pk,
            "therapy_type": clinic.exosome.pk,
            "product": clinic.plant_product.pk,
            "practitioner": clinic.practitioners[1].pk,
            "start": next_weekday_at(14).isoformat(),
        },
        "new_webhook": {"url": "http://127.0.0.1:9/hooks", "events": ["appointment.booked"]},
        "move": {"start": (records.appointment.start + timedelta(hours=3)).isoformat()},
    }


def _request(client, records, method, url, body):
    if url.startswith("availability"):
        start = next_weekday_at(9)
        url = (
            f"/api/v1/{url}/?therapy_type={records.clinic.exosome.pk}&location={records.clinic.location.pk}"
            f"&start={start.isoformat()}&end={(start + timedelta(hours=8)).isoformat()}".replace("+", "%2B")
        )
    url = url.format(
        patient=records.patient.pk,
        patient_condition=records.patient_condition.pk,
        lot=records.lot.pk,
        plan=records.plan.pk,
        appointment=records.appointment.pk,
        session=records.session.pk,
        practitioner=records.clinic.practitioners[0].pk,
    )
    if isinstance(body, str):
        body = _bodies(records)[body]
    return getattr(client, method)(url, body, format="json") if method != "get" else client.get(url)


CELLS = [(row, role) for row in MATRIX for role in (FD, PR, AD)]


@pytest.fixture(autouse=True)
def _webhooks_to_loopback(settings):
    settings.CLINIC_WEBHOOKS_ALLOW_PRIVATE = True  # the matrix's webhook is created without a real receiver


@pytest.mark.parametrize(("row", "role"), CELLS, ids=[f"{row[0]}-{role}" for row, role in CELLS])
def test_role_matrix_cell(records, row, role):
    name, method, url, body, allowed, success = row
    client = api_client_for(factories.user_with_role(role))
    # Check-in and no-show are only open around the appointment's start: the clock is put there.
    at_start = url.endswith(("check-in/", "no-show/"))
    with time_machine.travel(records.appointment.start, tick=False) if at_start else nullcontext():
        response = _request(client, records, method, url, body)
    if role in allowed:
        if success is None:
            assert response.status_code not in (401, 403) and response.status_code < 500, response.content
        else:
            assert response.status_code == success, response.content
    else:
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("row", MATRIX, ids=[row[0] for row in MATRIX])
def test_anonymous_gets_401(records, row):
    name, method, url, body, allowed, success = row
    response = _request(APIClient(), records, method, url, body)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("row", MATRIX[:4] + MATRIX[20:23], ids=[row[0] for row in MATRIX[:4] + MATRIX[20:23]])
def test_signed_in_user_without_a_role_gets_403(records, row):
    name, method, url, body, allowed, success = row
    response = _request(api_client_for(factories.UserFactory()), records, method, url, body)
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_need_no_sign_in(path):
    assert APIClient().get(path).status_code == 200


def test_front_desk_sees_demographics_only(records, front_desk_api):
    patient = front_desk_api.get(f"/api/v1/patients/{records.patient.pk}/").json()
    assert set(patient) == {
        "id",
        "first_name",
        "last_name",
        "date_of_birth",
        "email",
        "phone",
        "email_reminders",
        "no_show_count",
        "late_cancellation_count",
        "active",
        "source",
    }


def test_front_desk_sees_plans_without_override_reason_or_notes(records, front_desk_api, practitioner_api):
    desk_plan = front_desk_api.get(f"/api/v1/plans/{records.plan.pk}/").json()
    assert "override_reason" not in desk_plan and "notes" not in desk_plan
    assert desk_plan["sessions"][0]["appointment"] is None
    assert practitioner_api.get(f"/api/v1/plans/{records.plan.pk}/").json()["override_reason"] == "Reviewed."


def test_front_desk_screening_names_findings_without_clinical_detail(records, front_desk_api, practitioner_api):
    records.patient_condition.active = True
    records.patient_condition.save()
    body = {"patient": records.patient.pk, "therapy_type": records.clinic.prp.pk}
    desk = front_desk_api.post("/api/v1/screenings/", body, format="json").json()
    practitioner = practitioner_api.post("/api/v1/screenings/", body, format="json").json()
    assert desk["eligible"] is practitioner["eligible"] is False
    assert desk["blocking"] == [{"condition_name": "Pregnancy"}]
    assert practitioner["blocking"][0]["rationale"] == "Test rule."
