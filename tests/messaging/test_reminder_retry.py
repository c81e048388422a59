"""A failed reminder can be sent again: the reminder_retry service, and the admin's one action that calls it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clinic.exceptions import InvalidTransition
from messaging import reminders
from scheduling.choices import ReminderStatus
from scheduling.models import Reminder
from tests.factories import AppointmentFactory, ReminderFactory, clinic_admin_user

pytestmark = pytest.mark.django_db


def failed_confirmation(**fields) -> Reminder:
    appointment = AppointmentFactory(start=timezone.now() + timedelta(days=5))
    return ReminderFactory(
        appointment=appointment,
        kind="confirmation",
        due_at=timezone.now() - timedelta(hours=1),
        status=ReminderStatus.FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
        **fields,
    )


def test_a_failed_reminder_is_retried_with_fresh_attempts_and_sent(clinic, django_capture_on_commit_callbacks):
    reminder = failed_confirmation()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        retried = reminders.reminder_retry(reminder=reminder, by=clinic_admin_user())
    assert (retried.status, retried.attempts) == (ReminderStatus.PENDING, 0)
    assert len(queued) == 1  # a worker is asked to send it once the retry commits
    assert reminders.reminders_dispatch_due() == 1
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("status", [ReminderStatus.PENDING, ReminderStatus.SENT, ReminderStatus.CANCELLED])
def test_only_a_failed_reminder_can_be_retried(clinic, status):
    reminder = failed_confirmation()
    Reminder.objects.filter(pk=reminder.pk).update(status=status)
    reminder.refresh_from_db()
    with pytest.raises(InvalidTransition):
        reminders.reminder_retry(reminder=reminder, by=None)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (status, 5)


@pytest.fixture
def admin_client(client):
    client.force_login(clinic_admin_user())
    return client


def test_the_admin_shows_reminders_but_does_not_edit_add_or_delete_them(clinic, admin_client):
    reminder = failed_confirmation()
    change = admin_client.get(reverse("admin:scheduling_reminder_change", args=[reminder.pk]))
    assert change.status_code == 200
    assert b'name="status"' not in change.content  # shown, not a form field
    assert admin_client.get(reverse("admin:scheduling_reminder_add")).status_code == 403
    assert admin_client.post(reverse("admin:scheduling_reminder_delete", args=[reminder.pk])).status_code == 403


def test_the_admin_retry_action_retries_failed_reminders_and_leaves_the_others(clinic, admin_client):
    failed = failed_confirmation()
    sent = failed_confirmation()
    Reminder.objects.filter(pk=sent.pk).update(status=ReminderStatus.SENT)
    response = admin_client.post(
        reverse("admin:scheduling_reminder_changelist"),
        {"action": "retry", "_selected_action": [failed.pk, sent.pk]},
        follow=True,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "1 reminder(s) queued to be sent again." in text
    assert "1 reminder(s) left as they were" in text
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts) == (ReminderStatus.PENDING, 0)
    assert sent.status == ReminderStatus.SENT
