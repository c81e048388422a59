"""Idempotency-Key: a retried booking or life-cycle POST returns the first answer and writes nothing twice."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.api.idempotency import idempotency_keys_prune
from clinic.models import IdempotencyKey
from clinic.tasks import prune_expired_idempotency_keys
from scheduling.models import Appointment, Reminder
from tests import factories
from tests.api.conftest import next_weekday_at
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def booking(clinic, patient, hour=11) -> dict:
    return {
        "patient": patient.pk,
        "therapy_type": clinic.exosome.pk,
        "product": clinic.plant_product.pk,
        "practitioner": clinic.practitioners[1].pk,
        "start": next_weekday_at(hour).isoformat(),
    }


def test_retry_with_the_same_key_returns_the_first_booking_without_a_second_write(clinic, front_desk_api):
    body = booking(clinic, factories.PatientFactory())
    first = front_desk_api.post("/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    reminders = Reminder.objects.count()
    retry = front_desk_api.post("/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Appointment.objects.count() == 1
    assert Reminder.objects.count() == reminders


def test_same_key_with_another_body_is_refused(clinic, front_desk_api):
    patient = factories.PatientFactory()
    front_desk_api.post("/api/v1/appointments/", booking(clinic, patient), format="json", HTTP_IDEMPOTENCY_KEY="k")
    response = front_desk_api.post(
        "/api/v1/appointments/", booking(clinic, patient, hour=14), format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Appointment.objects.count() == 1


def test_keys_belong_to_one_user(clinic, front_desk_api):
    other_desk = api_client_for(factories.front_desk_user())
    front_desk_api.post(
        "/api/v1/appointments/", booking(clinic, factories.PatientFactory()), format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    response = other_desk.post(
        "/api/v1/appointments/",
        booking(clinic, factories.PatientFactory(), 14),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 201
    assert Appointment.objects.count() == 2


def test_keys_expire_after_a_day(clinic, front_desk_api, settings):
    body = booking(clinic, factories.PatientFactory())
    first = front_desk_api.post("/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    stored = IdempotencyKey.objects.get()
    assert stored.expires_at - stored.created_at == timedelta(hours=settings.CLINIC_IDEMPOTENCY_TTL_HOURS)
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    Appointment.objects.filter(pk=first.json()["id"]).delete()
    again = front_desk_api.post("/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert again.status_code == 201
    assert again.json()["id"] != first.json()["id"]
    # The expired row was claimed afresh: a retry now replays the second answer, and it lives for another TTL.
    retry = front_desk_api.post("/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert retry["Idempotent-Replayed"] == "true" and retry.json()["id"] == again.json()["id"]
    assert IdempotencyKey.objects.get().expires_at > timezone.now()


def test_a_refused_request_stores_no_key_so_the_retry_runs(clinic, front_desk_api):
    patient = factories.PatientFactory()
    taken = booking(clinic, factories.PatientFactory())
    assert front_desk_api.post("/api/v1/appointments/", taken, format="json").status_code == 201
    body = {**taken, "patient": patient.pk}
    refused = front_desk_api.post("/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert refused.status_code == 409
    assert not IdempotencyKey.objects.exists()
    Appointment.objects.update(status="cancelled")
    assert (
        front_desk_api.post("/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    )


def test_retried_cancel_answers_like_the_first(records, front_desk_api):
    url = f"/api/v1/appointments/{records.appointment.pk}/cancel/"
    first = front_desk_api.post(url, {"reason": "ill"}, format="json", HTTP_IDEMPOTENCY_KEY="cancel-1")
    retry = front_desk_api.post(url, {"reason": "ill"}, format="json", HTTP_IDEMPOTENCY_KEY="cancel-1")
    assert first.status_code == retry.status_code == 200
    assert retry.json()["status"] == "cancelled"


def test_an_unusable_key_is_a_validation_error(clinic, front_desk_api):
    body = booking(clinic, factories.PatientFactory())
    response = front_desk_api.post("/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_twins_with_one_key_book_once(clinic):
    client = api_client_for(factories.front_desk_user())
    body = booking(clinic, factories.PatientFactory())
    barrier = threading.Barrier(2)
    statuses = []

    def send():
        try:
            barrier.wait()
            response = client.post("/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY="twin")
            statuses.append((response.status_code, response.json().get("id")))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in statuses] == [201, 201]
    assert statuses[0][1] == statuses[1][1]
    assert Appointment.objects.count() == 1


def test_a_request_writes_only_its_own_key_and_the_daily_prune_removes_the_expired_rest(clinic, front_desk_api):
    """A keyed POST claims its own (user, key) row in one statement, whatever the user's history; the beat task's
    function removes every expired key and keeps live ones, so retries within the TTL still replay."""
    now = timezone.now()
    user = front_desk_api.user
    for i in range(5):
        IdempotencyKey.objects.create(user=user, key=f"old-{i}", request_hash="x", expires_at=now - timedelta(hours=1))
    with CaptureQueriesContext(connection) as queries:
        body = booking(clinic, factories.PatientFactory())
        response = front_desk_api.post("/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 201
    key_statements = [q["sql"] for q in queries if "clinic_idempotencykey" in q["sql"]]
    assert [sql.split()[0] for sql in key_statements] == ["INSERT", "UPDATE"]
    assert IdempotencyKey.objects.filter(user=user, key__startswith="old-").count() == 5

    assert idempotency_keys_prune() == 5
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["k"]
    assert prune_expired_idempotency_keys.apply().get() == 0
    retry = front_desk_api.post("/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert retry["Idempotent-Replayed"] == "true"
    assert "prune-expired-idempotency-keys" in settings.CELERY_BEAT_SCHEDULE
