"""Reminders with real parts: a Redis broker, `celery -A clinic worker` processes and an SMTP server on localhost.

Each test checks what the patient's mailbox receives: exactly one email per reminder, whatever fails.
"""

import time
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar

from care import booking
from clinic.celery import app
from scheduling.choices import ReminderStatus
from scheduling.models import Reminder
from tests.factories import AppointmentFactory, PatientFactory, ReminderFactory
from tests.integration.celery_harness import SmtpSink, Workers, free_port, publishing_to, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
LONDON = ZoneInfo("Europe/London")


def next_monday_at(hour: int) -> datetime:
    today = timezone.now().astimezone(LONDON).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    return datetime(monday.year, monday.month, monday.day, hour, tzinfo=LONDON)


def book(clinic):
    return booking.appointment_book(
        patient=PatientFactory(),
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[0],
        start=next_monday_at(10),
    )


def confirmation_of(appointment) -> Reminder:
    return appointment.reminders.get(kind="confirmation")


def calendar_in(message) -> Calendar:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return Calendar.from_ical(part.get_payload(decode=True))


def assert_exactly_once(smtp: SmtpSink, expected: int, workers: Workers, settle: float = 1.5):
    """Wait for `expected` emails, give the workers time to (wrongly) send more, then count per Message-ID."""
    wait_for(lambda: smtp.count() >= expected, timeout=30, what=f"{expected} emails\n{workers.logs()}")
    time.sleep(settle)
    counts = Counter(smtp.message_ids())
    assert len(counts) == expected, workers.logs()
    assert set(counts.values()) == {1}, f"duplicates: {[k for k, v in counts.items() if v > 1]}"


def test_booking_sends_exactly_one_confirmation_whose_calendar_starts_at_the_appointment(clinic, workers, smtp):
    workers.start(smtp.url)  # no beat: the confirmation arrives through the kick after commit
    appointment = book(clinic)

    assert_exactly_once(smtp, 1, workers)
    message = smtp.received()[0]
    assert message["Subject"].startswith("Booked: your PRP appointment")
    assert message["To"] == appointment.patient.email
    event = next(iter(calendar_in(message).walk("VEVENT")))
    assert event.decoded("DTSTART") == appointment.start
    assert confirmation_of(appointment).status == ReminderStatus.SENT


def test_a_due_reminder_is_received_exactly_once_with_two_workers_racing_for_it(clinic, workers, smtp):
    due = [
        ReminderFactory(
            appointment=AppointmentFactory(location=clinic.location, start=timezone.now() + timedelta(hours=47)),
            kind="reminder_48h",
            due_at=timezone.now() - timedelta(minutes=1),
        )
        for _ in range(30)
    ]
    workers.start(smtp.url, pool="prefork", conc=2)
    workers.start(smtp.url, pool="prefork", conc=2)
    # Every reminder is asked for twice, and four sweeps run besides: both workers race for the same rows.
    for reminder in due:
        app.send_task("scheduling.tasks.send_reminder", args=[reminder.pk])
        app.send_task("scheduling.tasks.send_reminder", args=[reminder.pk])
    for _ in range(4):
        app.send_task("scheduling.tasks.dispatch_due_reminders")

    assert_exactly_once(smtp, len(due), workers)
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.SENT}


def test_broker_down_at_booking_time_the_booking_stands_and_the_email_follows(clinic, workers, smtp):
    with publishing_to(f"redis://127.0.0.1:{free_port()}/0", workers.queue):  # nothing listens there
        began = time.monotonic()
        appointment = book(clinic)
        assert time.monotonic() - began < 3  # the desk is not kept waiting by the outage
    assert confirmation_of(appointment).status == ReminderStatus.PENDING

    workers.start(smtp.url, beat=True)  # the broker is back; the beat sweep finds the outbox row
    assert_exactly_once(smtp, 1, workers)
    assert confirmation_of(appointment).status == ReminderStatus.SENT


def test_smtp_down_the_email_is_retried_and_delivered_when_it_returns(clinic, workers):
    smtp = SmtpSink()  # its port is chosen, nothing listens yet
    workers.start(smtp.url, beat=True)
    try:
        appointment = book(clinic)
        wait_for(
            lambda: confirmation_of(appointment).attempts >= 2,
            timeout=20,
            what=f"two failed attempts\n{workers.logs()}",
        )
        failed = confirmation_of(appointment)
        assert failed.status in (ReminderStatus.PENDING, ReminderStatus.SENDING)
        assert "refused" in failed.last_error.lower()

        smtp.start()
        assert_exactly_once(smtp, 1, workers)
        assert confirmation_of(appointment).status == ReminderStatus.SENT
    finally:
        smtp.stop()


def test_a_worker_killed_while_sending_does_not_lose_the_email(clinic, workers, smtp):
    smtp.stall.set()  # the first SMTP conversation hangs before the message is accepted
    first = workers.start(smtp.url)
    appointment = book(clinic)
    wait_for(smtp.stalled.is_set, timeout=20, what=f"the worker to be mid-send\n{workers.logs()}")
    assert confirmation_of(appointment).status == ReminderStatus.SENDING

    first.kill()
    smtp.stall.clear()
    workers.start(smtp.url, beat=True)  # reclaims the row once CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS have passed

    assert_exactly_once(smtp, 1, workers)
    assert confirmation_of(appointment).status == ReminderStatus.SENT
