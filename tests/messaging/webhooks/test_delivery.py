"""Webhooks delivered to a receiver this test runs on a free loopback port: signatures verified with the
`standardwebhooks` package, retries after 500s and timeouts with the same webhook-id, no second copy after a
success, a day of back-off then `failed`, an endpoint failing for a day disabled, addresses checked at delivery."""

import json
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from care.booking import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_no_show,
    appointment_reschedule,
)
from clinic.models import Event
from messaging.webhooks import addresses
from messaging.webhooks.choices import DeliveryStatus
from messaging.webhooks.delivery import events_fan_out, webhooks_dispatch_due
from messaging.webhooks.models import WebhookDelivery
from messaging.webhooks.services import webhook_endpoint_create
from tests import factories
from tests.factories import PatientFactory, future_weekday, local_time
from tests.messaging.receiver import Receiver

pytestmark = pytest.mark.django_db

ALL = ["appointment.booked", "appointment.cancelled", "appointment.rescheduled", "patient.created"]


@pytest.fixture
def receiver(settings):
    settings.CLINIC_WEBHOOKS_ALLOW_PRIVATE = True  # the receiver listens on loopback, over http
    settings.CLINIC_WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.CLINIC_WEBHOOK_RETRY_BASE_SECONDS = 60
    settings.CLINIC_WEBHOOK_RETRY_MAX_SECONDS = 3600
    started = Receiver().start()
    yield started
    started.stop()


def subscribe(receiver, events=ALL):
    endpoint = webhook_endpoint_create(url=receiver.url, events=events)
    receiver.secret = endpoint.secret
    return endpoint


def book(clinic, hour=10, patient=None):
    return appointment_book(
        patient=patient or PatientFactory(),
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[0],
        start=local_time(future_weekday(0, after_days=7), hour),
    )


def run_outbox() -> None:
    events_fan_out()
    webhooks_dispatch_due()


def retry_time_reached(clock, delivery) -> None:
    delivery.refresh_from_db()
    clock.move_to(delivery.next_attempt_at + timedelta(seconds=1))


def test_a_booking_reaches_the_endpoint_signed_with_its_ids_times_and_status(clinic, receiver):
    subscribe(receiver)
    appointment = book(clinic)
    run_outbox()

    [received] = [r for r in receiver.received if r.payload["type"] == "appointment.booked"]
    assert received.error == "" and received.payload is not None  # standardwebhooks verified the signature
    assert received.headers["webhook-signature"].startswith("v1,")
    assert set(received.payload) == {"type", "timestamp", "data"}
    data = received.payload["data"]
    assert data["appointment"] == appointment.pk and data["status"] == "booked"
    assert data["start"] == appointment.start.isoformat() and data["practitioner"] == appointment.practitioner_id
    delivery = WebhookDelivery.objects.get(event__type="appointment.booked")
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 1, 200)
    assert received.webhook_id == delivery.webhook_id

    run_outbox()  # nothing is owed any more: no second copy
    assert [r.webhook_id for r in receiver.received].count(delivery.webhook_id) == 1


def test_a_wrong_secret_does_not_verify(clinic, receiver):
    subscribe(receiver)
    receiver.secret = "whsec_" + "A" * 44
    book(clinic)
    run_outbox()
    assert receiver.received and all(r.payload is None for r in receiver.received)


def test_500s_are_retried_with_back_off_and_the_same_webhook_id(clinic, receiver, clock):
    subscribe(receiver, ["appointment.booked"])
    receiver.answers = [500, 503]
    book(clinic)
    run_outbox()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
    assert "HTTP 500" in delivery.last_error
    first_wait = delivery.next_attempt_at - timezone.now()

    run_outbox()  # not yet: the retry time has not come
    assert len(receiver.received) == 1

    retry_time_reached(clock, delivery)
    run_outbox()
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 503)
    assert delivery.next_attempt_at - timezone.now() > first_wait  # the wait doubles

    retry_time_reached(clock, delivery)
    run_outbox()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 3, 200)
    assert {r.webhook_id for r in receiver.received} == {delivery.webhook_id}
    assert len(receiver.received) == 3
    assert all(r.payload is not None for r in receiver.received)  # each try signed afresh, and verified
    assert len({r.body for r in receiver.received}) == 1  # the same body every time

    clock.shift(timedelta(days=2))
    run_outbox()
    assert len(receiver.received) == 3


def test_a_timeout_is_retried_with_the_same_webhook_id(clinic, receiver, clock):
    subscribe(receiver, ["appointment.booked"])
    receiver.answers = [("hang", 2)]
    book(clinic)
    run_outbox()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and "Timeout" in delivery.last_error
    assert delivery.last_status_code is None

    retry_time_reached(clock, delivery)
    run_outbox()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert [r.webhook_id for r in receiver.received] == [delivery.webhook_id] * 2


def test_a_delivery_failing_for_a_day_ends_failed_and_retry_sends_it_again(clinic, receiver, clock, settings):
    settings.CLINIC_WEBHOOK_DISABLE_AFTER_HOURS = 1000  # this test is about the delivery, not the endpoint
    settings.CLINIC_WEBHOOK_RETRY_MAX_SECONDS = 4 * 3600
    subscribe(receiver, ["appointment.booked"])
    receiver.answers = [500] * 100
    book(clinic)
    run_outbox()
    delivery = WebhookDelivery.objects.get()
    while delivery.status == DeliveryStatus.PENDING:
        retry_time_reached(clock, delivery)
        run_outbox()
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("Gave up: not delivered within 24 hours of the event")
    assert timezone.now() - delivery.event.occurred_at < timedelta(hours=24)
    tries = len(receiver.received)
    assert 5 < tries < 20

    from messaging.webhooks.services import webhook_delivery_retry

    receiver.answers = []
    webhook_delivery_retry(delivery=delivery)
    run_outbox()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert {r.webhook_id for r in receiver.received} == {delivery.webhook_id}
    assert len(receiver.received) == tries + 1


def test_an_endpoint_failing_for_a_day_is_disabled_and_a_success_resets_its_clock(clinic, receiver, clock):
    endpoint = subscribe(receiver, ["appointment.booked", "appointment.cancelled"])
    receiver.answers = [500]
    appointment = book(clinic, 10)
    run_outbox()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None
    retry_time_reached(clock, WebhookDelivery.objects.get())
    run_outbox()  # delivered: the endpoint is healthy again
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.active

    receiver.answers = [500] * 1000
    book(clinic, 12)
    run_outbox()
    clock.shift(timedelta(hours=23, minutes=30))
    run_outbox()
    endpoint.refresh_from_db()
    assert endpoint.active  # 23.5 hours of failures: still on
    appointment_cancel(appointment=appointment)  # another event, still owed
    clock.shift(timedelta(hours=1))
    run_outbox()
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_at is not None
    assert "Failing for 24 hours" in endpoint.disabled_reason and "HTTP 500" in endpoint.disabled_reason
    assert not WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).exists()
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).count() == 2

    tried = len(receiver.received)
    book(clinic, 14)  # a disabled endpoint is sent nothing more
    clock.shift(timedelta(hours=2))
    run_outbox()
    assert len(receiver.received) == tried


def test_events_an_endpoint_did_not_subscribe_to_are_not_sent(clinic, receiver):
    subscribe(receiver, ["appointment.cancelled"])
    appointment = book(clinic)
    appointment_cancel(appointment=appointment, reason="Platelet count 40k")
    run_outbox()
    assert [r.payload["type"] for r in receiver.received] == ["appointment.cancelled"]
    assert b"Platelet" not in receiver.received[0].body


def test_no_clinical_text_leaves_in_any_event(clinic, receiver, clock):
    subscribe(receiver, ["appointment.booked", "appointment.checked_in", "appointment.completed", "plan.created"])
    factories.open_plan(patient=PatientFactory(), therapy_type=clinic.prp, notes="History of warfarin use")
    appointment = book(clinic)
    appointment.consent = factories.ConsentFactory(patient=appointment.patient, plan=None)
    appointment.save(update_fields=["consent"])
    clock.move_to(appointment.start + timedelta(minutes=5))
    appointment_check_in(appointment=appointment)
    appointment_complete(appointment=appointment, by=factories.practitioner_user(), notes="Warfarin started; bruising")
    run_outbox()
    types = sorted(r.payload["type"] for r in receiver.received)
    assert types == ["appointment.booked", "appointment.checked_in", "appointment.completed", "plan.created"]
    for received in receiver.received:
        assert b"arfarin" not in received.body and b"bruising" not in received.body


def test_every_life_cycle_use_case_records_its_event_in_its_own_transaction(clinic, clock):
    patient_api_event = Event.objects.count()
    patient = factories.PatientFactory()  # a raw row, not a registration: no event
    assert Event.objects.count() == patient_api_event
    from patients.services import patient_register

    patient_register(first_name="Ada", last_name="Eventful", date_of_birth=factories.clock.today().replace(1980))
    first, second, third = (book(clinic, hour, patient) for hour in (9, 11, 13))
    appointment_reschedule(appointment=first, start=local_time(future_weekday(1, after_days=7), 10))
    appointment_cancel(appointment=second)
    clock.move_to(third.start + timedelta(minutes=5))
    appointment_no_show(appointment=third)
    types = list(Event.objects.order_by("id").values_list("type", flat=True))
    assert types == [
        "patient.created",
        "appointment.booked",
        "appointment.booked",
        "appointment.booked",
        "appointment.rescheduled",
        "appointment.cancelled",
        "appointment.no_show",
    ]
    assert Event.objects.get(type="appointment.no_show").data["status"] == "no_show"


def test_a_refused_booking_records_no_event(clinic):
    book(clinic, 10)
    before = Event.objects.count()
    with pytest.raises(Exception):  # noqa: B017 - the slot is taken, whatever the refusal's class
        book(clinic, 10)
    assert Event.objects.count() == before


def test_an_address_that_turned_private_after_creation_is_refused_at_delivery(clinic, receiver, settings, monkeypatch):
    settings.CLINIC_WEBHOOKS_ALLOW_PRIVATE = False
    port = receiver.server.server_address[1]
    answers = iter([[("93.184.216.34", port)], [("127.0.0.1", port)]])

    def resolve(host, port_, *args, **kwargs):
        address = next(answers)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", address[0])]

    monkeypatch.setattr(addresses.socket, "getaddrinfo", resolve)
    endpoint = webhook_endpoint_create(url=f"https://hooks.example.com:{port}/in", events=["appointment.booked"])
    assert endpoint.pk  # public when it was created
    book(clinic)
    run_outbox()  # now the name points at loopback: nothing is sent
    delivery = WebhookDelivery.objects.get()
    assert receiver.received == []
    assert delivery.status == DeliveryStatus.PENDING
    assert "127.0.0.1 is a loopback address" in delivery.last_error


def test_the_body_is_the_events_json(clinic, receiver):
    subscribe(receiver, ["patient.created"])
    from patients.services import patient_register

    patient = patient_register(first_name="Ada", last_name="Body", date_of_birth=factories.clock.today().replace(1980))
    run_outbox()
    body = json.loads(receiver.received[0].body)
    assert body["data"] == {"patient": patient.pk}
    assert body["type"] == "patient.created"
