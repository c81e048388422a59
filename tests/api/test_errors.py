"""Every error code of the contract, reached through the API, in the one shape {"code", "detail", "errors"}."""

import pytest
import time_machine
from django.db import IntegrityError
from rest_framework.test import APIClient

from clinic.api.errors import exception_handler
from scheduling.choices import AppointmentStatus
from tests import factories
from tests.api.conftest import next_weekday_at
from treatments.choices import SessionStatus

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    return body


def booking(records, **overrides) -> dict:
    clinic = records.clinic
    body = {
        "patient": records.patient.pk,
        "therapy_type": clinic.exosome.pk,
        "product": clinic.plant_product.pk,
        "practitioner": clinic.practitioners[1].pk,
        "start": next_weekday_at(13).isoformat(),
    }
    if "therapy_type" in overrides or "session" in overrides:
        del body["product"]  # the plant product is for a one-off exosome visit only
    return {**body, **overrides}


def test_validation_error_names_the_fields(practitioner_api):
    body = assert_error(
        practitioner_api.post("/api/v1/patients/", {"phone": "0770"}, format="json"), 400, "validation_error"
    )
    assert set(body["errors"]) >= {"first_name", "last_name", "date_of_birth", "phone"}


def test_a_whitespace_phone_is_refused_not_stored_as_none(practitioner_api):
    """The schema's pattern allows an E.164 number or nothing; a vertical tab is neither (found by schemathesis)."""
    body = {"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1980-01-01", "phone": "\u000b"}
    response = assert_error(practitioner_api.post("/api/v1/patients/", body, format="json"), 400, "validation_error")
    assert set(response["errors"]) == {"phone"}


def test_malformed_json_is_a_parse_error(practitioner_api):
    response = practitioner_api.post("/api/v1/patients/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_not_authenticated_without_or_with_a_bad_token():
    assert_error(APIClient().get("/api/v1/patients/"), 401, "not_authenticated")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(client.get("/api/v1/patients/"), 401, "not_authenticated")


def test_permission_denied(front_desk_api, records):
    assert_error(front_desk_api.get(f"/api/v1/patients/{records.patient.pk}/conditions/"), 403, "permission_denied")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/patients/999999/",
        "/api/v1/patients/99999999999999999999999/",
        "/api/v1/nothing-here/",
        "/api/v1/patients/?page=99",
        "/api/v1/plans/%0A/schedule/",  # a line break in the path (found by schemathesis)
        "/api/v1/plans/1%0A/schedule/",
        # ids past the largest a database holds (SQLite could not even bind them: a 500 before)
        "/api/v1/patients/99999999999999999999999/conditions/",
        "/api/v1/patients/99999999999999999999999/conditions/1/",
        "/api/v1/patients/1/conditions/99999999999999999999999/",
        "/api/v1/plans/99999999999999999999999/schedule/",
    ],
)
def test_not_found(practitioner_api, path):
    assert_error(practitioner_api.get(path), 404, "not_found")


def test_method_not_allowed(clinic_admin_api, records):
    assert_error(clinic_admin_api.delete(f"/api/v1/patients/{records.patient.pk}/"), 405, "method_not_allowed")


def test_not_acceptable(practitioner_api):
    assert_error(practitioner_api.get("/api/v1/patients/", HTTP_ACCEPT="text/html"), 406, "not_acceptable")


def test_unsupported_media_type(practitioner_api):
    response = practitioner_api.post("/api/v1/patients/", "first_name=Ada", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_slot_unavailable_when_the_time_is_taken(front_desk_api, records):
    assert front_desk_api.post("/api/v1/appointments/", booking(records), format="json").status_code == 201
    other_patient = factories.PatientFactory()
    response = front_desk_api.post("/api/v1/appointments/", booking(records, patient=other_patient.pk), format="json")
    assert_error(response, 409, "slot_unavailable")


def test_a_database_clash_other_than_an_overlap_is_a_conflict_not_slot_unavailable():
    response = exception_handler(IntegrityError("UNIQUE constraint failed: clinic_idempotencykey.key"), {})
    assert response.status_code == 409
    assert response.data["code"] == "conflict"


def test_the_overlap_constraint_is_slot_unavailable(front_desk_api, records, monkeypatch):
    """The booking service knows the overlap constraints: their violation (a race the checks lost) is still the
    contract's slot_unavailable."""
    from scheduling import booking as booking_service

    def lose_the_race(**kwargs):
        raise IntegrityError('violates exclusion constraint "appointment_no_practitioner_overlap"')

    monkeypatch.setattr(booking_service, "place", lose_the_race)
    response = front_desk_api.post("/api/v1/appointments/", booking(records), format="json")
    assert_error(response, 409, "slot_unavailable")


def test_contraindicated_carries_blocking_and_warnings(practitioner_api, records):
    records.patient_condition.active = True
    records.patient_condition.save()
    response = practitioner_api.post(
        "/api/v1/appointments/", booking(records, therapy_type=records.clinic.prp.pk), format="json"
    )
    body = assert_error(response, 409, "contraindicated")
    assert body["blocking"][0]["condition_code"] == "pregnancy"
    assert body["warnings"] == []


def test_the_front_desks_contraindicated_names_the_findings_only(front_desk_api, records):
    records.patient_condition.active = True
    records.patient_condition.save()
    response = front_desk_api.post(
        "/api/v1/appointments/", booking(records, therapy_type=records.clinic.prp.pk), format="json"
    )
    body = assert_error(response, 409, "contraindicated")
    assert body["blocking"] == [{"condition_name": records.patient_condition.condition.name}]
    assert "rationale" not in str(body) and "rule_id" not in str(body)
    assert records.patient_condition.condition.name not in body["detail"]


def test_outside_plan_window(front_desk_api, records):
    session = records.session
    session.window_start = session.window_end = next_weekday_at(10, days_ahead=20).date()
    session.save()
    response = front_desk_api.post(
        "/api/v1/appointments/",
        booking(records, therapy_type=records.clinic.prp.pk, session=session.pk, start=next_weekday_at(15).isoformat()),
        format="json",
    )
    assert_error(response, 409, "outside_plan_window")


def test_invalid_transition(front_desk_api, records):
    url = f"/api/v1/appointments/{records.appointment.pk}"
    assert front_desk_api.post(f"{url}/cancel/", {"reason": "moved away"}, format="json").status_code == 200
    assert_error(front_desk_api.post(f"{url}/check-in/"), 409, "invalid_transition")


def test_consent_missing_before_completing(practitioner_api, records):
    records.session.status = SessionStatus.BOOKED
    records.session.save()
    appointment = records.appointment
    appointment.session, appointment.plan = records.session, records.plan
    appointment.status = AppointmentStatus.CHECKED_IN
    appointment.save()
    with time_machine.travel(appointment.start, tick=False):
        response = practitioner_api.post(
            f"/api/v1/appointments/{appointment.pk}/complete/", {"notes": "ok"}, format="json"
        )
    assert_error(response, 409, "consent_missing")


def test_idempotency_key_reused(front_desk_api, records):
    headers = {"HTTP_IDEMPOTENCY_KEY": "key-1"}
    assert front_desk_api.post("/api/v1/appointments/", booking(records), format="json", **headers).status_code == 201
    other = booking(records, start=next_weekday_at(15).isoformat())
    assert_error(
        front_desk_api.post("/api/v1/appointments/", other, format="json", **headers), 422, "idempotency_key_reused"
    )


def test_locked_out_after_repeated_failed_sign_ins(settings):
    factories.UserFactory(username="desk")
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/api/v1/auth/token/", {"username": "desk", "password": "wrong"}, format="json")
        assert_error(response, 401, "not_authenticated")
    response = client.post("/api/v1/auth/token/", {"username": "desk", "password": "wrong"}, format="json")
    assert_error(response, 429, "locked_out")
    # Even the right password is refused while locked out, and the answer says why.
    response = client.post("/api/v1/auth/token/", {"username": "desk", "password": factories.PASSWORD}, format="json")
    body = assert_error(response, 429, "locked_out")
    assert "Too many failed sign-in attempts" in body["detail"]


def test_admin_login_lockout_is_a_clear_error(settings, client):
    factories.clinic_admin_user(username="boss")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "boss", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "boss", "password": factories.PASSWORD})
    assert response.status_code == 429
    assert "Account locked: Too many failed sign-in attempts" in response.content.decode()


def test_token_sign_in_returns_a_token_that_works():
    factories.front_desk_user(username="frontdesk")
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "frontdesk", "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/patients/").status_code == 200
