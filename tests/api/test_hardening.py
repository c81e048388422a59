"""Hardening (contract v1.1), tried from outside as an attacker and an operator would: tokens, lockout, throttles,
every out-of-bounds input a 4xx in the error shape, Idempotency-Key on every creating POST, strict writes."""

import hashlib
import json
import socket
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from clinic.models import ApiToken, IdempotencyKey
from patients.models import Patient, PatientCondition
from tests import factories
from tests.api.conftest import next_weekday_at
from tests.api.test_errors import assert_error, booking
from tests.conftest import api_client_for
from treatments.models import Consent, TreatmentPlan

pytestmark = pytest.mark.django_db


def sign_in(username: str, password: str = factories.PASSWORD, address: str = "127.0.0.1"):
    return APIClient(REMOTE_ADDR=address).post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


# --- tokens ---------------------------------------------------------------------------------------------------


def test_a_token_is_stored_hashed_and_expires_after_the_ttl(settings):
    factories.front_desk_user(username="desk")
    before = timezone.now()
    answer = sign_in("desk").json()
    assert set(answer) == {"token", "expires_at"}
    ttl = timedelta(hours=settings.CLINIC_TOKEN_TTL_HOURS)
    expires_at = timezone.datetime.fromisoformat(answer["expires_at"])
    assert before + ttl <= expires_at <= timezone.now() + ttl
    stored = ApiToken.objects.get()
    assert answer["token"] not in (stored.digest, stored.token_key)  # only a digest and a short prefix are kept
    assert stored.digest == hashlib.sha512(answer["token"].encode()).hexdigest()

    client = with_token(answer["token"])
    assert client.get("/api/v1/patients/").status_code == 200
    ApiToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    assert_error(client.get("/api/v1/patients/"), 401, "not_authenticated")
    assert not ApiToken.objects.exists()  # an expired token is removed when it is used


def test_logout_revokes_the_token_it_is_called_with_only():
    factories.front_desk_user(username="desk")
    first, second = sign_in("desk").json()["token"], sign_in("desk").json()["token"]
    response = with_token(first).post("/api/v1/auth/logout/")
    assert response.status_code == 204
    assert_error(with_token(first).get("/api/v1/patients/"), 401, "not_authenticated")
    assert with_token(second).get("/api/v1/patients/").status_code == 200
    assert_error(APIClient().post("/api/v1/auth/logout/"), 401, "not_authenticated")


def test_a_password_change_revokes_every_token_of_the_user():
    user = factories.front_desk_user(username="desk")
    other = api_client_for(factories.front_desk_user(username="other-desk"))
    tokens = [sign_in("desk").json()["token"] for _ in range(2)]
    user = get_user_model().objects.get(pk=user.pk)
    user.set_password("a-brand-new-password-42")
    user.save()
    for token in tokens:
        assert_error(with_token(token).get("/api/v1/patients/"), 401, "not_authenticated")
    assert other.get("/api/v1/patients/").status_code == 200  # other users keep theirs
    assert (
        with_token(sign_in("desk", "a-brand-new-password-42").json()["token"]).get("/api/v1/patients/").status_code
        == 200
    )


# --- lockout and throttles ------------------------------------------------------------------------------------


def test_lockout_is_per_username_and_address_with_retry_after(settings):
    factories.front_desk_user(username="frontdesk")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in("frontdesk", "wrong", address="203.0.113.9")
    response = sign_in("frontdesk", address="203.0.113.9")
    assert_error(response, 429, "locked_out")
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    # The rest of the desk, at another address, still signs in with the shared account.
    assert sign_in("frontdesk", address="198.51.100.7").status_code == 200


def test_login_page_lockout_answers_429_with_retry_after(settings, client):
    factories.front_desk_user(username="frontdesk")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "frontdesk", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "frontdesk", "password": factories.PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_sign_in_and_booking_posts_are_throttled_with_retry_after(records, front_desk_api, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"sign_in": "2/min", "booking": "1/min", "export": "1/min"}
    )
    factories.front_desk_user(username="desk")
    assert [sign_in("desk").status_code for _ in range(2)] == [200, 200]
    response = sign_in("desk")
    assert_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60

    assert front_desk_api.post("/api/v1/appointments/", booking(records), format="json").status_code == 201
    response = front_desk_api.post("/api/v1/appointments/", booking(records), format="json")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert front_desk_api.get("/api/v1/appointments/").status_code == 200  # reading is not throttled


def test_a_booking_goes_through_when_the_rate_cache_cannot_be_reached(records, front_desk_api, settings):
    with socket.socket() as closed:  # a port nothing listens on: the cache's Redis is down
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }

    assert front_desk_api.post("/api/v1/appointments/", booking(records), format="json").status_code == 201
    assert sign_in(factories.front_desk_user(username="desk").username).status_code == 200


# --- input bounds ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start",
    ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00", "1899-12-31T10:00:00Z", "2101-01-01T10:00:00Z"],
)
def test_a_booking_start_out_of_bounds_is_a_400(front_desk_api, records, start):
    body = assert_error(
        front_desk_api.post("/api/v1/appointments/", booking(records, start=start), format="json"),
        400,
        "validation_error",
    )
    assert "start" in body["errors"]


def test_a_booking_beyond_the_horizon_is_a_400(front_desk_api, records, settings):
    start = next_weekday_at(10, days_ahead=settings.CLINIC_BOOKING_HORIZON_DAYS + 7)
    body = assert_error(
        front_desk_api.post("/api/v1/appointments/", booking(records, start=start.isoformat()), format="json"),
        400,
        "validation_error",
    )
    assert "days ahead" in body["errors"]["start"][0]


def test_a_start_without_its_offset_is_a_400_not_read_as_utc(front_desk_api, records):
    naive = next_weekday_at(13).replace(tzinfo=None).isoformat()
    body = assert_error(
        front_desk_api.post("/api/v1/appointments/", booking(records, start=naive), format="json"),
        400,
        "validation_error",
    )
    assert "offset" in body["errors"]["start"][0]


@pytest.mark.parametrize("patient", [3.5, True, "1; drop", 2**63])
def test_an_id_that_is_not_a_whole_number_is_a_400(front_desk_api, records, patient):
    records.patient  # noqa: B018 (a patient 1 exists, so 1.0 or True could have booked them)
    body = assert_error(
        front_desk_api.post("/api/v1/appointments/", booking(records, patient=patient), format="json"),
        400,
        "validation_error",
    )
    assert "patient" in body["errors"]


@pytest.mark.parametrize(
    "query",
    [
        "start=9999-12-31T00:00:00Z&end=9999-12-31T23:00:00Z",
        "start=0001-01-01T00:00:00Z&end=0001-01-02T00:00:00Z",
        "start=2030-01-01T09:00:00&end=2030-01-02T09:00:00",
    ],
)
def test_availability_out_of_bounds_or_naive_is_a_400(front_desk_api, records, query):
    url = f"/api/v1/availability/?therapy_type={records.clinic.prp.pk}&location={records.clinic.location.pk}&{query}"
    assert_error(front_desk_api.get(url), 400, "validation_error")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_day_list_out_of_bounds_is_a_400(front_desk_api, records, day):
    body = assert_error(front_desk_api.get(f"/api/v1/appointments/?date={day}"), 400, "validation_error")
    assert "date" in body["errors"]


@pytest.mark.parametrize("born", ["0001-01-01", "1899-12-31", "9999-01-01"])
def test_a_date_of_birth_out_of_bounds_is_a_400(front_desk_api, born):
    body = {"first_name": "Ada", "last_name": "Byron", "date_of_birth": born}
    answer = assert_error(front_desk_api.post("/api/v1/patients/", body, format="json"), 400, "validation_error")
    assert "date_of_birth" in answer["errors"]


def test_a_date_of_birth_in_the_future_is_a_400(front_desk_api):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    body = {"first_name": "Ada", "last_name": "Byron", "date_of_birth": tomorrow}
    answer = assert_error(front_desk_api.post("/api/v1/patients/", body, format="json"), 400, "validation_error")
    assert "future" in answer["errors"]["date_of_birth"][0]
    assert not Patient.objects.filter(last_name="Byron").exists()


@pytest.mark.parametrize("page", ["9223372036854775807", "99999999999999999999999", "1000001", "3"])
def test_a_page_past_the_end_or_huge_is_a_404(front_desk_api, records, page):
    assert_error(front_desk_api.get(f"/api/v1/appointments/?page={page}"), 404, "not_found")
    assert_error(front_desk_api.get(f"/api/v1/patients/?page={page}"), 404, "not_found")


def test_a_body_over_a_megabyte_is_a_413_before_it_is_read(front_desk_api):
    padding = "x" * (1024 * 1024 + 1)
    response = front_desk_api.post(
        "/api/v1/patients/", json.dumps({"first_name": padding}), content_type="application/json"
    )
    assert_error(response, 413, "payload_too_large")


def test_json_nested_5000_deep_is_a_400(front_desk_api):
    deep = "[" * 5000 + "]" * 5000
    assert_error(front_desk_api.post("/api/v1/patients/", deep, content_type="application/json"), 400, "parse_error")
    deep_object = '{"a":' * 100 + "1" + "}" * 100
    response = front_desk_api.post("/api/v1/screenings/", deep_object, content_type="application/json")
    assert_error(response, 400, "parse_error")


# --- strict writes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/patients/", {"first_name": "Ada", "last_name": "Byron", "date_of_birth": "1990-01-01"}),
        ("/api/v1/screenings/", {}),
        ("/api/v1/plans/", {}),
        ("/api/v1/appointments/", {}),
    ],
)
def test_an_unknown_field_in_a_write_is_a_400_naming_it(practitioner_api, records, url, body):
    if url in ("/api/v1/screenings/", "/api/v1/plans/"):
        body = {"patient": records.patient.pk, "therapy_type": records.clinic.exosome.pk}
    if url == "/api/v1/plans/":
        body["indication"] = "scars"
    if url == "/api/v1/appointments/":
        body = booking(records)
    answer = assert_error(
        practitioner_api.post(url, {**body, "colour": "blue"}, format="json"), 400, "validation_error"
    )
    assert list(answer["errors"]) == ["colour"]


def test_a_patch_with_an_unknown_or_read_only_field_changes_nothing(practitioner_api, records):
    url = f"/api/v1/patients/{records.patient.pk}/"
    answer = assert_error(
        practitioner_api.patch(url, {"last_name": "New", "ended": "2020-01-01"}, format="json"),
        400,
        "validation_error",
    )
    assert list(answer["errors"]) == ["ended"]
    answer = assert_error(practitioner_api.patch(url, {"active": False}, format="json"), 400, "validation_error")
    assert list(answer["errors"]) == ["active"]
    records.patient.refresh_from_db()
    assert records.patient.last_name != "New" and records.patient.active
    condition_url = f"/api/v1/patients/{records.patient.pk}/conditions/{records.patient_condition.pk}/"
    answer = assert_error(
        practitioner_api.patch(condition_url, {"ended": "2020-01-01"}, format="json"), 400, "validation_error"
    )
    assert list(answer["errors"]) == ["ended"]


# --- Idempotency-Key on every creating POST -------------------------------------------------------------------


def test_patient_creation_honours_idempotency_key(front_desk_api):
    body = {"first_name": "Ada", "last_name": "Byron", "date_of_birth": "1990-01-01"}
    first = front_desk_api.post("/api/v1/patients/", body, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    again = front_desk_api.post("/api/v1/patients/", body, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Patient.objects.filter(last_name="Byron").count() == 1


def test_plan_consent_and_condition_creation_honour_idempotency_key(practitioner_api, records):
    plan_body = {
        "patient": records.patient.pk,
        "therapy_type": records.clinic.exosome.pk,
        "product": records.lot.product_id,
        "indication": "scars",
    }
    plans = [
        practitioner_api.post("/api/v1/plans/", plan_body, format="json", HTTP_IDEMPOTENCY_KEY="plan-1")
        for _ in range(2)
    ]
    assert [p.status_code for p in plans] == [201, 201] and plans[0].json() == plans[1].json()
    assert TreatmentPlan.objects.filter(therapy_type=records.clinic.exosome).count() == 1

    plan_id = plans[0].json()["id"]
    consent = {"method": "written", "text_version": "v1"}
    answers = [
        practitioner_api.post(f"/api/v1/plans/{plan_id}/consent/", consent, format="json", HTTP_IDEMPOTENCY_KEY="c")
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert Consent.objects.filter(plan_id=plan_id).count() == 1

    url = f"/api/v1/patients/{records.patient.pk}/conditions/"
    condition = {"condition": records.other_condition.pk, "active": True}
    answers = [practitioner_api.post(url, condition, format="json", HTTP_IDEMPOTENCY_KEY="pc") for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201]
    assert PatientCondition.objects.filter(patient=records.patient, condition=records.other_condition).count() == 1
    assert IdempotencyKey.objects.count() == 3


# --- patients are kept ----------------------------------------------------------------------------------------


def test_a_deactivated_patient_is_hidden_from_search_kept_and_not_bookable(front_desk_api, records):
    from patients.services import patients_set_active

    patient = records.patient
    assert patients_set_active(patients=Patient.objects.filter(pk=patient.pk), active=False) == 1
    found = front_desk_api.get(f"/api/v1/patients/?search={patient.last_name}").json()
    assert patient.pk not in [p["id"] for p in found["results"]]
    assert front_desk_api.get(f"/api/v1/patients/{patient.pk}/").json()["active"] is False
    answer = assert_error(
        front_desk_api.post("/api/v1/appointments/", booking(records), format="json"), 400, "validation_error"
    )
    assert "patient" in answer["errors"]
    assert date.fromisoformat(front_desk_api.get(f"/api/v1/patients/{patient.pk}/").json()["date_of_birth"])


def test_the_admin_offers_deactivation_not_deletion(records, client):
    from django.urls import reverse

    client.force_login(factories.clinic_admin_user())
    patient = records.patient
    changelist = reverse("admin:patients_patient_changelist")
    page = client.get(changelist).content.decode()
    assert 'value="deactivate"' in page and 'value="delete_selected"' not in page
    assert client.get(reverse("admin:patients_patient_delete", args=[patient.pk])).status_code == 403
    response = client.post(changelist, {"action": "deactivate", "_selected_action": [patient.pk]})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.active is False
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_the_access_log_keeps_the_patient_id_whatever_happens_to_the_row(records, practitioner_api):
    from django.db import connection

    from patients.models import AccessLog

    patient_id = records.patient.pk
    assert practitioner_api.get(f"/api/v1/patients/{patient_id}/").status_code == 200
    logged = AccessLog.objects.filter(patient_id=patient_id).count()
    assert logged >= 1
    # Even a row removed behind the application's back (raw SQL, as an operator might) leaves the log intact.
    with connection.cursor() as cursor:
        for table in ("scheduling_reminder", "scheduling_appointment"):
            cursor.execute(f"DELETE FROM {table}")
        for table, column in (("treatments_treatmentsession", None), ("treatments_treatmentplan", "patient_id")):
            cursor.execute(
                f"DELETE FROM {table}" if column is None else f"DELETE FROM {table} WHERE {column} = %s",
                [] if column is None else [patient_id],
            )
        cursor.execute("DELETE FROM patients_patientcondition WHERE patient_id = %s", [patient_id])
        cursor.execute("DELETE FROM patients_patient WHERE id = %s", [patient_id])
    assert AccessLog.objects.filter(patient_id=patient_id).count() == logged
