"""The reminder outbox and its dispatcher, without Celery: rows on book/move/cancel, claims, retries, DST, links."""

import time
from datetime import datetime, timedelta
from smtplib import SMTPServerDisconnected
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail, signing
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from care import booking
from clinic.celery import app as celery_app
from messaging import reminders, tasks
from messaging.emails import appointment_link_url
from scheduling.choices import AppointmentStatus, ReminderKind, ReminderStatus
from scheduling.models import Reminder
from tests.factories import AppointmentFactory, PatientFactory, ReminderFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def next_monday_at(hour: int, *, weeks_ahead: int = 1) -> datetime:
    today = timezone.now().astimezone(LONDON).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7) + timedelta(weeks=weeks_ahead - 1)
    return datetime(monday.year, monday.month, monday.day, hour, tzinfo=LONDON)


def book(clinic, start, **kwargs):
    return booking.appointment_book(
        patient=kwargs.pop("patient", None) or PatientFactory(),
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[0],
        start=start,
        **kwargs,
    )


def rows(appointment) -> dict[str, Reminder]:
    return {r.kind: r for r in appointment.reminders.all()}


def synced(appointment, event: str):
    with transaction.atomic():
        reminders.appointment_reminders_sync(appointment, event=event)


def move(appointment, start):
    """What the booking service does on a move: new time, next calendar sequence, reminders recomputed."""
    appointment.start, appointment.end = start, start + (appointment.end - appointment.start)
    appointment.sequence += 1
    appointment.save()
    synced(appointment, "moved")


class FailingBackend(BaseEmailBackend):
    """A mail server that is down: every send raises, as smtplib does."""

    def send_messages(self, email_messages):
        raise SMTPServerDisconnected("Connection unexpectedly closed")


def test_booking_writes_a_confirmation_due_now_and_reminders_before_the_start(clinic):
    start = next_monday_at(10)
    before = timezone.now()
    appointment = book(clinic, start)

    written = rows(appointment)
    assert set(written) == {"confirmation", "reminder_48h", "reminder_2h"}
    assert all(r.status == ReminderStatus.PENDING for r in written.values())
    assert before <= written["confirmation"].due_at <= timezone.now()
    assert written["reminder_48h"].due_at == start - timedelta(hours=48)
    assert written["reminder_2h"].due_at == start - timedelta(hours=2)


def test_offsets_already_past_are_not_created(clinic):
    appointment = AppointmentFactory(start=timezone.now() + timedelta(hours=3))
    synced(appointment, "booked")
    assert set(rows(appointment)) == {"confirmation", "reminder_2h"}


def test_the_confirmation_is_kicked_to_a_worker_after_commit(clinic, django_capture_on_commit_callbacks):
    with mock.patch.object(celery_app, "send_task") as send_task:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            appointment = book(clinic, next_monday_at(10))
        send_task.assert_not_called()  # nothing leaves before the booking is committed
        for callback in callbacks:
            callback()
    confirmation = rows(appointment)["confirmation"]
    send_task.assert_called_once_with("scheduling.tasks.send_reminder", args=[confirmation.pk], retry=False)


def test_a_broker_outage_at_booking_time_loses_neither_booking_nor_email(clinic, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(celery_app, "send_task", side_effect=OperationalError("connection refused")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        appointment = book(clinic, next_monday_at(10))
    assert appointment.pk
    assert rows(appointment)["confirmation"].status == ReminderStatus.PENDING
    assert reminders.reminders_dispatch_due() == 1  # the sweep sends it
    assert len(mail.outbox) == 1


def test_moving_recomputes_reminders_and_announces_the_new_time(clinic):
    start = next_monday_at(10)
    appointment = book(clinic, start)
    reminders.reminders_dispatch_due()  # the confirmation goes out
    later = start + timedelta(days=7)
    move(appointment, later)

    written = rows(appointment)
    assert written["confirmation"].status == ReminderStatus.SENT
    assert written["rescheduled"].status == ReminderStatus.PENDING
    assert written["reminder_48h"].due_at == later - timedelta(hours=48)
    assert written["reminder_2h"].due_at == later - timedelta(hours=2)


def test_moving_closer_cancels_a_reminder_whose_time_has_passed(clinic):
    appointment = AppointmentFactory(start=timezone.now() + timedelta(days=5))
    synced(appointment, "booked")
    move(appointment, timezone.now() + timedelta(hours=5))
    written = rows(appointment)
    assert written["reminder_48h"].status == ReminderStatus.CANCELLED
    assert written["reminder_2h"].status == ReminderStatus.PENDING
    assert written["confirmation"].status == ReminderStatus.CANCELLED  # the unsent one told the old time


def test_a_reminder_already_sent_goes_out_again_for_the_new_time(clinic):
    appointment = AppointmentFactory(start=timezone.now() + timedelta(days=1))
    synced(appointment, "booked")
    reminders.reminders_dispatch_due(now=appointment.start - timedelta(hours=2))
    assert rows(appointment)["reminder_2h"].status == ReminderStatus.SENT
    move(appointment, appointment.start + timedelta(days=7))
    assert rows(appointment)["reminder_2h"].status == ReminderStatus.PENDING


def test_cancelling_cancels_pending_reminders_and_sends_a_cancellation(clinic):
    appointment = AppointmentFactory(start=timezone.now() + timedelta(days=5))
    synced(appointment, "booked")
    reminders.reminders_dispatch_due()
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save()
    synced(appointment, "cancelled")

    written = rows(appointment)
    assert written["confirmation"].status == ReminderStatus.SENT
    assert written["reminder_48h"].status == ReminderStatus.CANCELLED
    assert written["reminder_2h"].status == ReminderStatus.CANCELLED
    assert reminders.reminders_dispatch_due() == 1
    assert mail.outbox[-1].subject.startswith("Cancelled:")
    assert b"METHOD:CANCEL" in mail.outbox[-1].attachments[0][1].encode()


def test_dispatch_sends_what_is_due_once_and_leaves_the_rest(clinic):
    appointment = AppointmentFactory(start=timezone.now() + timedelta(days=5))
    synced(appointment, "booked")
    assert reminders.reminders_dispatch_due() == 1
    assert reminders.reminders_dispatch_due() == 0
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Booked"]
    written = rows(appointment)
    assert written["confirmation"].status == ReminderStatus.SENT
    assert written["confirmation"].sent_at is not None
    assert written["reminder_48h"].status == ReminderStatus.PENDING


def test_a_row_is_claimed_by_one_caller_only(clinic):
    appointment = AppointmentFactory()
    synced(appointment, "booked")
    now = timezone.now()
    first = reminders._claim(now=now, limit=10)
    second = reminders._claim(now=now, limit=10)
    assert [r.kind for r in first] == ["confirmation"]
    assert second == []


@pytest.mark.parametrize(
    ("patient_fields", "reason"),
    [({"email": ""}, "no email address"), ({"email_reminders": False}, "turned email reminders off")],
)
def test_no_email_or_reminders_off_gets_nothing_and_the_desk_sees_why(clinic, patient_fields, reason):
    appointment = AppointmentFactory(patient=PatientFactory(**patient_fields))
    synced(appointment, "booked")
    reminders.reminders_dispatch_due()
    confirmation = rows(appointment)["confirmation"]
    assert mail.outbox == []
    assert confirmation.status == ReminderStatus.SKIPPED
    assert reason in confirmation.last_error


def test_failed_sends_back_off_and_are_retried_until_the_appointment_starts(clinic, settings):
    """An outage longer than the old five-attempt budget (about 15 minutes) fails nothing: the email is tried
    again, the wait doubling up to its maximum, for as long as it is useful."""
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    settings.CLINIC_REMINDER_RETRY_BASE_SECONDS = 60
    settings.CLINIC_REMINDER_RETRY_MAX_SECONDS = 1800
    appointment = AppointmentFactory(start=timezone.now() + timedelta(hours=6))
    synced(appointment, "booked")
    now = timezone.now()

    reminders.reminders_dispatch_due(now=now)
    confirmation = rows(appointment)["confirmation"]
    assert (confirmation.status, confirmation.attempts) == (ReminderStatus.PENDING, 1)
    assert confirmation.next_attempt_at == now + timedelta(seconds=60)
    assert "Connection unexpectedly closed" in confirmation.last_error
    assert reminders.reminders_dispatch_due(now=now + timedelta(seconds=59)) == 0  # backing off

    waits = []
    at = now
    while confirmation.status == ReminderStatus.PENDING:
        at = confirmation.next_attempt_at
        reminders.reminders_dispatch_due(now=at)
        confirmation.refresh_from_db()
        if confirmation.next_attempt_at:
            waits.append((confirmation.next_attempt_at - at).total_seconds())
    assert waits[:5] == [120, 240, 480, 960, 1800]  # doubling, then capped
    assert set(waits[5:]) == {1800}
    assert confirmation.attempts > 5  # more than the old budget
    assert confirmation.status == ReminderStatus.FAILED
    assert at + timedelta(seconds=1800) >= appointment.start  # given up only when another try would be too late
    assert "appointment starts before another try" in confirmation.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert reminders.reminders_dispatch_due(now=at + timedelta(minutes=1)) == 0  # failed stays failed, visibly


def test_a_row_left_sending_by_a_dead_worker_is_reclaimed_after_the_timeout(clinic, settings):
    settings.CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS = 300
    appointment = AppointmentFactory(start=timezone.now() + timedelta(days=5))
    synced(appointment, "booked")
    now = timezone.now()
    assert len(reminders._claim(now=now, limit=10)) == 1  # ... and the worker dies here

    assert reminders.reminders_dispatch_due(now=now + timedelta(seconds=299)) == 0
    assert reminders.reminders_dispatch_due(now=now + timedelta(seconds=300)) == 1
    assert rows(appointment)["confirmation"].status == ReminderStatus.SENT
    assert len(mail.outbox) == 1


def test_a_reminder_for_an_appointment_no_longer_booked_is_not_sent(clinic):
    appointment = AppointmentFactory(start=timezone.now() + timedelta(days=5))
    synced(appointment, "booked")
    reminders.reminders_dispatch_due()
    appointment.status = AppointmentStatus.CHECKED_IN
    appointment.save()
    reminders.reminders_dispatch_due(now=appointment.start - timedelta(hours=2))
    assert rows(appointment)["reminder_2h"].status == ReminderStatus.CANCELLED
    assert len(mail.outbox) == 1


def test_dst_nine_oclock_london_after_the_october_change_says_nine_and_fires_48_hours_before(clinic, clock):
    # Clocks go back on Sunday 31 October 2027; Monday 1 November 09:00 is 09:00 GMT (UTC+0), while 48 hours
    # earlier London was still on BST, so the reminder goes at 10:00 local on the Saturday: 48 h, not "2 days".
    clock.move_to(datetime(2027, 10, 1, 12, tzinfo=LONDON))  # a month before: every reminder is still ahead
    start = datetime(2027, 11, 1, 9, tzinfo=LONDON)
    appointment = AppointmentFactory(location=clinic.location, start=start, end=start + timedelta(hours=1))
    synced(appointment, "booked")
    reminder = rows(appointment)["reminder_48h"]
    assert reminder.due_at == datetime(2027, 10, 30, 9, tzinfo=ZoneInfo("UTC"))

    reminders.reminders_dispatch_due(now=reminder.due_at - timedelta(minutes=1))
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING
    reminders.reminders_dispatch_due(now=reminder.due_at)
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT

    email = mail.outbox[-1]
    assert email.subject.startswith("Reminder:")
    assert "Monday 1 November 2027 at 09:00 GMT (Europe/London)" in email.body
    assert "DTSTART;TZID=Europe/London:20271101T090000" in email.attachments[0][1]


# --- signed links ------------------------------------------------------------------------------------------


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_the_confirm_link_asks_then_records_the_confirmation(clinic, client):
    appointment = AppointmentFactory(location=clinic.location)
    url = appointment_link_url(appointment, action="confirm")
    page = client.get(url)
    assert page.status_code == 200
    assert b"Yes, I will come" in page.content
    appointment.refresh_from_db()
    assert appointment.patient_confirmed_at is None  # a mail scanner opening the link changes nothing

    done = client.post(url)
    assert done.status_code == 200
    assert b"confirmed" in done.content
    appointment.refresh_from_db()
    assert appointment.patient_confirmed_at is not None


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_changes_nothing_and_says_so(clinic, client, method):
    appointment = AppointmentFactory(location=clinic.location)
    url = appointment_link_url(appointment, action="confirm")
    response = getattr(client, method)(url.replace(token_of(url), token_of(url)[:-2] + "xx"))
    assert response.status_code == 400
    assert b"not valid. Nothing was changed" in response.content
    appointment.refresh_from_db()
    assert appointment.patient_confirmed_at is None


def test_a_confirm_token_does_not_cancel(clinic, client):
    appointment = AppointmentFactory(location=clinic.location, start=timezone.now() + timedelta(days=5))
    confirm = token_of(appointment_link_url(appointment, action="confirm"))
    response = client.post(f"/appointments/cancel/{confirm}/")
    assert response.status_code == 400
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_an_expired_link_changes_nothing_and_says_so(clinic, client, settings):
    settings.CLINIC_EMAIL_LINK_MAX_AGE_DAYS = 30
    appointment = AppointmentFactory(location=clinic.location, start=timezone.now() + timedelta(days=40))
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 31 * 86400):
        url = appointment_link_url(appointment, action="cancel")
    response = client.post(url)
    assert response.status_code == 400
    assert b"expired" in response.content
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_a_link_from_before_a_move_changes_nothing_and_says_so(clinic, client):
    appointment = AppointmentFactory(location=clinic.location)
    url = appointment_link_url(appointment, action="confirm")
    move(appointment, appointment.start + timedelta(days=1))
    response = client.post(url)
    assert response.status_code == 400
    assert b"has moved since this email" in response.content
    appointment.refresh_from_db()
    assert appointment.patient_confirmed_at is None


def test_the_cancel_link_cancels_through_the_booking_service_and_emails_the_patient(
    clinic, client, django_capture_on_commit_callbacks
):
    appointment = book(clinic, next_monday_at(10))
    url = appointment_link_url(appointment, action="cancel")
    assert b"Cancel my appointment" in client.get(url).content
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url)
    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert rows(appointment)[ReminderKind.CANCELLATION].status == ReminderStatus.PENDING
    again = client.post(url)
    assert again.status_code in (400, 409)  # a second click changes nothing and says so


def test_the_cancel_link_is_refused_inside_the_policy_window(clinic, client, settings):
    settings.CLINIC_CANCELLATION_POLICY_HOURS = 24
    appointment = AppointmentFactory(location=clinic.location, start=timezone.now() + timedelta(hours=23))
    url = appointment_link_url(appointment, action="cancel")
    page = client.get(url)
    assert page.status_code == 409
    assert b"Cancel my appointment" not in page.content
    response = client.post(url)
    assert response.status_code == 409
    assert b"until 24 hours before" in response.content
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_signed_tokens_name_the_appointment_version_its_link_secret_and_action():
    appointment = AppointmentFactory()
    token = token_of(appointment_link_url(appointment, action="confirm"))
    payload = signing.loads(token, salt="scheduling.appointment-link")
    assert payload == {"a": appointment.pk, "s": appointment.sequence, "n": appointment.link_secret, "do": "confirm"}
    assert len(appointment.link_secret) >= 20 and AppointmentFactory().link_secret != appointment.link_secret


def test_a_worker_whose_row_was_reclaimed_does_not_send_it_too(clinic, settings):
    settings.CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS = 300
    appointment = AppointmentFactory(start=timezone.now() + timedelta(days=5))
    synced(appointment, "booked")
    now = timezone.now()
    slow_worker = reminders._claim(now=now, limit=10)  # claims, then stalls for over five minutes
    assert reminders.reminders_dispatch_due(now=now + timedelta(seconds=301)) == 1  # another one takes over

    with mock.patch.object(reminders.timezone, "now", return_value=now + timedelta(seconds=302)):
        assert reminders._deliver(slow_worker, now=now) == 0
    assert len(mail.outbox) == 1
    assert rows(appointment)["confirmation"].status == ReminderStatus.SENT


def test_a_long_batch_renews_its_claims_so_nobody_takes_them_over(clinic, settings):
    settings.CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS = 300
    appointment = AppointmentFactory(start=timezone.now() + timedelta(days=5))
    synced(appointment, "booked")
    now = timezone.now()
    batch = reminders._claim(now=now, limit=10)
    with mock.patch.object(reminders.timezone, "now", return_value=now + timedelta(seconds=200)):
        reminders._renew(batch)  # what _deliver does once a third of the timeout has gone by
    assert reminders._claim(now=now + timedelta(seconds=301), limit=10) == []  # not taken over
    assert reminders._deliver(batch, now=now) == 1
    assert len(mail.outbox) == 1


# --- tasks (called directly: they only hand ids to the services above) ---------------------------------------


def due_confirmations(count: int) -> list[Reminder]:
    return [
        ReminderFactory(appointment=AppointmentFactory(start=timezone.now() + timedelta(days=3)), kind="confirmation")
        for _ in range(count)
    ]


def test_the_beat_task_starts_one_sweep_per_batch_of_due_reminders(clinic, monkeypatch):
    monkeypatch.setattr(tasks, "SWEEP_BATCH", 2)
    due_confirmations(5)
    with mock.patch.object(tasks.sweep_due_reminders, "delay") as delay:
        assert tasks.dispatch_due_reminders() == 3
    assert delay.call_count == 3


def test_a_sweep_sends_batch_after_batch_until_nothing_is_due(clinic, monkeypatch):
    monkeypatch.setattr(tasks, "SWEEP_BATCH", 2)
    due_confirmations(5)
    assert tasks.sweep_due_reminders() == 5
    assert len(mail.outbox) == 5
    assert tasks.sweep_due_reminders() == 0


def test_the_kick_task_sends_its_reminder_once(clinic):
    (reminder,) = due_confirmations(1)
    assert tasks.send_reminder(reminder.pk) is True
    assert tasks.send_reminder(reminder.pk) is False
    assert tasks.send_reminder(10**9) is False  # a row gone since the kick was queued
    assert len(mail.outbox) == 1
