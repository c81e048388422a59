"""The reminder outbox: Reminder rows written in the booking's own transaction, claimed and sent by workers.

Nothing lost: a row exists as soon as the booking commits, whatever the broker does; the beat sweep finds every
due row, and a row left `sending` by a dead worker is claimed again after CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS
without a renewal. Nothing twice: the one outbox sender (clinic.outbox) gives a row to one worker only, renews the
claim while that worker sends, and each email carries a deterministic Message-ID so a mail system can drop the
rare re-send (a worker killed after the server took the email).
A failed send is retried with back-off for as long as the email is useful, i.e. until the appointment starts.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from clinic.celery import enqueue_on_commit
from clinic.exceptions import InvalidTransition
from clinic.outbox import Outbox, outbox_dispatch, outbox_due_count, outbox_retry
from clinic.transitions import status_bulk_update
from messaging import emails
from messaging.emails import mail_connection, send_email
from scheduling.choices import REMINDER_TRANSITIONS, AppointmentStatus, ReminderKind, ReminderStatus
from scheduling.models import Appointment, Reminder

logger = logging.getLogger(__name__)

EVENT_NOTICES = {
    "booked": ReminderKind.CONFIRMATION,
    "moved": ReminderKind.RESCHEDULED,
    "cancelled": ReminderKind.CANCELLATION,
}
OFFSET_PREFIX = f"{ReminderKind.REMINDER}_"
# What a patient is told whatever makes their appointment's emails wait: that it was cancelled, or moved (both in
# neutral words: a hold's reason is never in an email).
ALWAYS_TOLD = (ReminderKind.CANCELLATION, ReminderKind.RESCHEDULED)


def reminders_wait(appointment: Appointment) -> bool:
    """Whether the appointment's emails wait: it is on hold, or its patient or practitioner was deactivated."""
    return appointment.on_hold or not appointment.patient.active or not appointment.practitioner.active


def offset_kind(hours: int) -> str:
    """The Reminder.kind of the reminder sent `hours` before the start, e.g. reminder_48h."""
    return f"{OFFSET_PREFIX}{hours}h"


# What a (re)written row starts from: pending, never tried, never sent.
_FRESH = {
    "status": ReminderStatus.PENDING,
    "attempts": 0,
    "next_attempt_at": None,
    "claimed_at": None,
    "sent_at": None,
    "last_error": "",
}


def _reset_all(appointment: Appointment, due: dict[str, datetime], now: datetime) -> dict[str, Reminder]:
    """Make each (appointment, kind) row of `due` pending again from scratch, in one statement: a new time deserves
    a new email. An upsert on the (appointment, kind) unique constraint, so no savepoint or read is needed."""
    rows = [
        Reminder(appointment=appointment, kind=kind, due_at=due_at, created_at=now, updated_at=now, **_FRESH)
        for kind, due_at in due.items()
    ]
    Reminder.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["appointment", "kind"],
        update_fields=["due_at", "updated_at", *_FRESH],
    )
    return {row.kind: row for row in rows}


def appointment_reminders_sync(appointment: Appointment, *, event: str) -> None:
    """Bring an appointment's reminders in line with it; call inside the booking transaction.

    `event` is "booked", "moved" or "cancelled". Guarantees, atomically with the caller's transaction: a notice
    (confirmation, change of time or cancellation) due now; for a booked or moved appointment one reminder per
    CLINIC_REMINDER_OFFSETS_HOURS whose time is still ahead (earlier pending ones cancelled); for a cancelled one
    every pending email cancelled. After commit the notice is handed to a worker at once; if the broker is down
    the beat sweep sends it later.
    """
    if event not in EVENT_NOTICES:
        raise ValueError(f"unknown reminder event {event!r}")
    now = timezone.now()
    pending = appointment.reminders.filter(status__in=(ReminderStatus.PENDING, ReminderStatus.HELD))
    wanted = {}
    if event == "cancelled":
        status_bulk_update(pending, table=REMINDER_TRANSITIONS, new=ReminderStatus.CANCELLED, updated_at=now)
    else:
        # In UTC: subtracting from a local time would count wall-clock hours, wrong across a DST change.
        start = appointment.start.astimezone(UTC)
        for hours in settings.CLINIC_REMINDER_OFFSETS_HOURS:
            due_at = start - timedelta(hours=hours)
            if due_at > now:
                wanted[offset_kind(hours)] = due_at
        # A pending confirmation or reminder about the old time must not go out after a move.
        if event != "booked":  # a booking is a new appointment: it has no reminders yet
            stale = pending.filter(Q(kind=ReminderKind.CONFIRMATION) | Q(kind__startswith=OFFSET_PREFIX))
            status_bulk_update(
                stale.exclude(kind__in=wanted), table=REMINDER_TRANSITIONS, new=ReminderStatus.CANCELLED, updated_at=now
            )
    notice_kind = EVENT_NOTICES[event]
    notice = _reset_all(appointment, {**wanted, notice_kind: now}, now)[notice_kind]
    if reminders_wait(appointment) and event != "cancelled":
        # A held appointment's emails wait for its release; its cancellation or new time is still told at once.
        appointment_reminders_hold(appointment)
        if notice_kind not in ALWAYS_TOLD:
            return
    # A broker outage only delays the notice until the next sweep.
    enqueue_on_commit("scheduling.tasks.send_reminder", notice.pk)


def appointment_reminders_hold(appointment: Appointment) -> int:
    """The appointment went on hold (or its patient or practitioner left): its pending emails are `held`, not
    sent, until it is released; a pending cancellation or change of time still goes. Returns how many. Inside the
    hold's transaction."""
    return status_bulk_update(
        appointment.reminders.filter(status=ReminderStatus.PENDING).exclude(kind__in=ALWAYS_TOLD),
        table=REMINDER_TRANSITIONS,
        new=ReminderStatus.HELD,
        updated_at=timezone.now(),
    )


def appointment_reminders_release(appointment: Appointment) -> None:
    """The hold was lifted: each held email is recomputed from the appointment's time. A reminder whose time has
    passed meanwhile is `skipped` (an overdue "your appointment is in 48 hours" would mislead); a held notice
    still goes out while the appointment is ahead. Nothing is released while something else still makes the
    emails wait (reminders_wait). Inside the release's transaction."""
    if reminders_wait(appointment):
        return
    now = timezone.now()
    start = appointment.start.astimezone(UTC)
    offsets = {offset_kind(hours): start - timedelta(hours=hours) for hours in settings.CLINIC_REMINDER_OFFSETS_HOURS}
    kicks = []
    for reminder in appointment.reminders.filter(status=ReminderStatus.HELD):
        # A reminder is due at its offset before the start; a notice (confirmation, change of time) at once.
        due_at = offsets.get(reminder.kind, reminder.due_at) if reminder.kind.startswith(OFFSET_PREFIX) else now
        if due_at < now or start <= now:
            reminder.status, reminder.last_error = ReminderStatus.SKIPPED, "overdue when the hold was released"
        else:
            reminder.status, reminder.due_at = ReminderStatus.PENDING, due_at
            if due_at == now:
                kicks.append(reminder.pk)
        reminder.save(update_fields=["status", "due_at", "last_error", "updated_at"])
    for reminder_id in kicks:
        enqueue_on_commit("scheduling.tasks.send_reminder", reminder_id)


class ReminderOutbox(Outbox):
    """Reminders in the one outbox (clinic.outbox): due at `due_at`, tried until the appointment starts."""

    model = Reminder
    name = "reminder"
    PENDING, SENDING, DONE, FAILED = (
        ReminderStatus.PENDING,
        ReminderStatus.SENDING,
        ReminderStatus.SENT,
        ReminderStatus.FAILED,
    )
    task = "scheduling.tasks.send_reminder"

    def rows(self) -> QuerySet:
        return Reminder.objects.select_related(
            "appointment__patient",
            "appointment__practitioner",
            "appointment__location",
            "appointment__therapy_type",
        ).order_by("due_at", "id")

    def due(self, now: datetime) -> Q:
        return Q(due_at__lte=now)

    def claim_seconds(self) -> float:
        return settings.CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS

    def retry_delay(self, attempts: int) -> timedelta:
        seconds = settings.CLINIC_REMINDER_RETRY_BASE_SECONDS * 2 ** min(attempts - 1, 32)
        return timedelta(seconds=min(seconds, settings.CLINIC_REMINDER_RETRY_MAX_SECONDS))

    def give_up_reason(self, row: Reminder, *, next_attempt_at: datetime) -> str | None:
        # Worth another try only while the appointment has not started; after that the email is no use.
        if next_attempt_at >= row.appointment.start:
            return "the appointment starts before another try"
        return None

    def refusal(self, row: Reminder) -> tuple[dict, str] | None:
        appointment = row.appointment
        patient = appointment.patient
        if row.kind.startswith(OFFSET_PREFIX) and appointment.status != AppointmentStatus.BOOKED:
            return _status(ReminderStatus.CANCELLED), f"the appointment is {appointment.get_status_display().lower()}"
        if reminders_wait(appointment) and row.kind not in ALWAYS_TOLD:
            return _status(
                ReminderStatus.HELD
            ), "the appointment is on hold, or its patient or practitioner is inactive"
        if not patient.email:
            return _status(ReminderStatus.SKIPPED), "the patient has no email address"
        if not patient.email_reminders:
            return _status(ReminderStatus.SKIPPED), "the patient turned email reminders off"
        return None

    def transport(self):
        return mail_connection()

    def send(self, row: Reminder, transport) -> dict:
        return send_email(transport, emails.reminder_message(row))


WAITING = "the appointment is on hold, or its patient or practitioner is inactive"


def _status(status: str) -> dict:
    return {"status": status}


REMINDERS = ReminderOutbox()


def reminders_due_count(*, now: datetime | None = None) -> int:
    """How many reminders a sweep could claim now (due, retry time reached, or abandoned while sending)."""
    return outbox_due_count(REMINDERS, now=now)


def reminders_dispatch_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Claim up to `limit` due reminders and send them; returns how many were claimed.

    Guarantees (clinic.outbox.outbox_dispatch): each claimed row ends `sent`, `skipped` (no email, reminders off),
    `cancelled` (appointment no longer booked), `held`, `pending` again with a later `next_attempt_at` (send failed:
    back-off doubling from CLINIC_REMINDER_RETRY_BASE_SECONDS up to CLINIC_REMINDER_RETRY_MAX_SECONDS), or `failed`
    once the next try would come after the appointment starts. Concurrent callers never claim the same row, and a
    row being sent is never claimed by a second worker while the first renews its claim.
    """
    return outbox_dispatch(REMINDERS, now=now, limit=limit).claimed


def reminder_send(*, reminder_id: int, now: datetime | None = None) -> bool:
    """Send one reminder if it is due and nobody else holds it; True when this call sent it."""
    return outbox_dispatch(REMINDERS, now=now, limit=1, pk=reminder_id).sent == 1


def reminder_retry(*, reminder: Reminder, by=None) -> Reminder:
    """Give a failed reminder a fresh round of attempts and ask a worker to send it now.

    Guarantees (clinic.outbox.outbox_retry): only a `failed` reminder changes (anything else raises
    InvalidTransition and writes nothing, also when another request retried it a moment ago); it becomes `pending`
    with its attempts counted from zero, its last error kept until the next attempt; after commit a worker is asked
    to send it, and if the broker is down the sweep sends it. Whether it still goes out is decided at sending time,
    as for any reminder (a reminder of an appointment no longer booked is cancelled then). Who asked is logged.
    """
    try:
        return outbox_retry(REMINDERS, reminder, by=by, what="reminder")
    except InvalidTransition as exc:
        raise InvalidTransition(
            f"Only a failed reminder can be retried; this one is {reminder.get_status_display().lower()}.",
            current=reminder.status,
        ) from exc
