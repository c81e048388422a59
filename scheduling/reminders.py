"""The reminder outbox: Reminder rows written in the booking's own transaction (completed by the Celery issue)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from scheduling.choices import ReminderKind, ReminderStatus
from scheduling.models import Appointment, Reminder


def appointment_reminders_sync(appointment: Appointment, *, event: str) -> None:
    """Bring an appointment's pending reminders in line with it; call inside the booking transaction.

    `event` is "booked", "moved" or "cancelled".
    """
    now = timezone.now()
    if event == "cancelled":
        appointment.reminders.filter(status=ReminderStatus.PENDING).update(status=ReminderStatus.CANCELLED)
        return
    kind = ReminderKind.CONFIRMATION if event == "booked" else ReminderKind.RESCHEDULED
    Reminder.objects.update_or_create(
        appointment=appointment, kind=kind, defaults={"due_at": now, "status": ReminderStatus.PENDING}
    )
    for hours in settings.CLINIC_REMINDER_OFFSETS_HOURS:
        due_at = appointment.start - timedelta(hours=hours)
        if due_at > now:
            Reminder.objects.update_or_create(
                appointment=appointment,
                kind=f"{ReminderKind.REMINDER}_{hours}h",
                defaults={"due_at": due_at, "status": ReminderStatus.PENDING},
            )
