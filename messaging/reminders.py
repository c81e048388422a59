"""The reminder outbox: Reminder rows written in the booking's own transaction, claimed and sent by workers.

Nothing lost: a row exists as soon as the booking commits, whatever the broker does; the beat sweep finds every
due row, and a row left `sending` by a dead worker is claimed again after CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS.
Nothing twice: a row is sent only by the worker that claimed it (skip-locked rows on PostgreSQL, a conditional
UPDATE on SQLite), a claim lasts longer than any one send can (EMAIL_TIMEOUT bounds each SMTP step; settings.py
checks the two), and each email carries a deterministic Message-ID so a mail system can drop a rare re-send.
A failed send is retried with back-off for as long as the email is useful, i.e. until the appointment starts.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from clinic.celery import enqueue_on_commit
from clinic.exceptions import InvalidTransition
from clinic.outbox import outbox_claim
from messaging import emails
from scheduling.choices import AppointmentStatus, ReminderKind, ReminderStatus
from scheduling.models import Appointment, Reminder

logger = logging.getLogger(__name__)

EVENT_NOTICES = {
    "booked": ReminderKind.CONFIRMATION,
    "moved": ReminderKind.RESCHEDULED,
    "cancelled": ReminderKind.CANCELLATION,
}
OFFSET_PREFIX = f"{ReminderKind.REMINDER}_"


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
        pending.update(status=ReminderStatus.CANCELLED, updated_at=now)
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
            stale.exclude(kind__in=wanted).update(status=ReminderStatus.CANCELLED, updated_at=now)
    notice_kind = EVENT_NOTICES[event]
    notice = _reset_all(appointment, {**wanted, notice_kind: now}, now)[notice_kind]
    if appointment.on_hold and event != "cancelled":
        # A held appointment's emails wait for its release (a cancellation is still told at once).
        appointment_reminders_hold(appointment)
        return
    # A broker outage only delays the notice until the next sweep.
    enqueue_on_commit("scheduling.tasks.send_reminder", notice.pk)


def appointment_reminders_hold(appointment: Appointment) -> int:
    """The appointment went on hold: its pending emails are `held`, not sent, until it is released. Returns how
    many. Inside the hold's transaction."""
    return appointment.reminders.filter(status=ReminderStatus.PENDING).update(
        status=ReminderStatus.HELD, updated_at=timezone.now()
    )


def appointment_reminders_release(appointment: Appointment) -> None:
    """The hold was lifted: each held email is recomputed from the appointment's time. A reminder whose time has
    passed meanwhile is `skipped` (an overdue "your appointment is in 48 hours" would mislead); a held notice
    still goes out while the appointment is ahead. Inside the release's transaction."""
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


def _claimable(now: datetime) -> Q:
    stale = now - timedelta(seconds=settings.CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS)
    due = Q(status=ReminderStatus.PENDING, due_at__lte=now) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return due | Q(status=ReminderStatus.SENDING, claimed_at__lte=stale)


def _claim(*, now: datetime, limit: int, reminder_id: int | None = None) -> list[Reminder]:
    """Mark up to `limit` claimable rows `sending` for this worker alone and return them."""
    rows = Reminder.objects.select_related(
        "appointment__patient",
        "appointment__practitioner",
        "appointment__location",
        "appointment__therapy_type",
    ).order_by("due_at", "id")
    return outbox_claim(
        rows,
        claimable=_claimable(now),
        limit=limit,
        mark={"status": ReminderStatus.SENDING, "claimed_at": now, "updated_at": now},
        pk=reminder_id,
    )


def _finish(reminder: Reminder, **fields) -> None:
    """Record the outcome, unless another worker has reclaimed the row meanwhile (its outcome wins)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Without waiting for the WAL flush: one commit per email would otherwise bound throughput by the
            # disk. A crashed worker loses nothing by it; only a crash of PostgreSQL itself within a fraction of
            # a second can forget a mark, and the row is then re-sent with the same Message-ID.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.SENDING, claimed_at=reminder.claimed_at).update(
            updated_at=timezone.now(), **fields
        )


def _renew(batch: list[Reminder]) -> None:
    """Re-stamp the claims of the rows still to send in a long batch, so they do not look abandoned; a row another
    worker reclaimed meanwhile is dropped from this batch (claimed_at None) and left to that worker."""
    at = timezone.now()
    for claimed_at in {r.claimed_at for r in batch if r.claimed_at}:
        ids = [r.pk for r in batch if r.claimed_at == claimed_at]
        Reminder.objects.filter(pk__in=ids, status=ReminderStatus.SENDING, claimed_at=claimed_at).update(claimed_at=at)
    still_mine = set(
        Reminder.objects.filter(pk__in=[r.pk for r in batch], status=ReminderStatus.SENDING, claimed_at=at).values_list(
            "pk", flat=True
        )
    )
    for reminder in batch:
        reminder.claimed_at = at if reminder.pk in still_mine else None


def _not_to_send(reminder: Reminder) -> tuple[str, str] | None:
    """(status, reason) when this email must not go out, else None."""
    appointment = reminder.appointment
    patient = appointment.patient
    if reminder.kind.startswith(OFFSET_PREFIX) and appointment.status != AppointmentStatus.BOOKED:
        return ReminderStatus.CANCELLED, f"the appointment is {appointment.get_status_display().lower()}"
    if appointment.on_hold and reminder.kind != ReminderKind.CANCELLATION:
        return ReminderStatus.HELD, "the appointment is on hold"
    if not patient.email:
        return ReminderStatus.SKIPPED, "the patient has no email address"
    if not patient.email_reminders:
        return ReminderStatus.SKIPPED, "the patient turned email reminders off"
    return None


def _retry_delay(attempts: int) -> timedelta:
    seconds = settings.CLINIC_REMINDER_RETRY_BASE_SECONDS * 2 ** min(attempts - 1, 32)
    return timedelta(seconds=min(seconds, settings.CLINIC_REMINDER_RETRY_MAX_SECONDS))


def _deliver(reminders: list[Reminder], *, now: datetime) -> int:
    """Send claimed reminders over one SMTP connection; returns how many were sent."""
    sent = 0
    renew_after = timedelta(seconds=settings.CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS / 3)
    mail = get_connection()
    try:
        for index, reminder in enumerate(reminders):
            if reminder.claimed_at and timezone.now() - reminder.claimed_at > renew_after:
                _renew(reminders[index:])
            if reminder.claimed_at is None:
                continue
            refusal = _not_to_send(reminder)
            if refusal:
                _finish(reminder, status=refusal[0], last_error=refusal[1])
                continue
            attempts = reminder.attempts + 1
            try:
                mail.open()  # kept open across the batch; send_messages alone would reconnect for every email
                mail.send_messages([emails.reminder_message(reminder)])
            except Exception as exc:  # SMTP refusals, network errors, timeouts: all mean "try again later"
                mail.close()  # a half-broken connection would fail the next message too
                next_attempt_at = now + _retry_delay(attempts)
                # Worth another try only while the appointment has not started; after that the email is no use.
                failed = next_attempt_at >= reminder.appointment.start
                error = f"{type(exc).__name__}: {exc}"
                if failed:
                    error = f"Gave up: the appointment starts before another try. Last error: {error}"
                _finish(
                    reminder,
                    status=ReminderStatus.FAILED if failed else ReminderStatus.PENDING,
                    attempts=attempts,
                    next_attempt_at=None if failed else next_attempt_at,
                    last_error=error[:2000],
                )
                logger.warning("reminder %s attempt %s failed: %s", reminder.pk, attempts, exc)
                continue
            _finish(reminder, status=ReminderStatus.SENT, attempts=F("attempts") + 1, sent_at=timezone.now())
            sent += 1
    finally:
        mail.close()
    logger.info("reminders: %s claimed, %s sent", len(reminders), sent)
    return sent


def reminders_due_count(*, now: datetime | None = None) -> int:
    """How many reminders a sweep could claim now (due, retry time reached, or abandoned while sending)."""
    return Reminder.objects.filter(_claimable(now or timezone.now())).count()


def reminders_dispatch_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Claim up to `limit` due reminders and send them; returns how many were claimed.

    Guarantees: each claimed row ends `sent`, `skipped` (no email, reminders off), `cancelled` (appointment no
    longer booked), `pending` again with a later `next_attempt_at` (send failed: back-off doubling from
    CLINIC_REMINDER_RETRY_BASE_SECONDS up to CLINIC_REMINDER_RETRY_MAX_SECONDS), or `failed` once the next try
    would come after the appointment starts. Concurrent callers never claim the same row.
    """
    now = now or timezone.now()
    reminders = _claim(now=now, limit=limit)
    if reminders:
        _deliver(reminders, now=now)
    return len(reminders)


def reminder_send(*, reminder_id: int, now: datetime | None = None) -> bool:
    """Send one reminder if it is due and nobody else holds it; True when this call sent it."""
    now = now or timezone.now()
    reminders = _claim(now=now, limit=1, reminder_id=reminder_id)
    return bool(reminders) and _deliver(reminders, now=now) == 1


def reminder_retry(*, reminder: Reminder, by=None) -> Reminder:
    """Give a failed reminder a fresh round of attempts and ask a worker to send it now.

    Guarantees: only a `failed` reminder changes (anything else raises InvalidTransition and writes nothing, also
    when another request retried it a moment ago); it becomes `pending` with its attempts counted from zero, its
    last error kept until the next attempt; after commit a worker is asked to send it, and if the broker is down
    the sweep sends it. Whether it still goes out is decided at sending time, as for any reminder (a reminder of an
    appointment no longer booked is cancelled then). Who asked is logged.
    """
    with transaction.atomic():
        retried = Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.FAILED).update(
            status=ReminderStatus.PENDING, attempts=0, next_attempt_at=None, claimed_at=None, updated_at=timezone.now()
        )
        reminder.refresh_from_db()
        if not retried:
            raise InvalidTransition(
                f"Only a failed reminder can be retried; this one is {reminder.get_status_display().lower()}.",
                current=reminder.status,
            )
        enqueue_on_commit("scheduling.tasks.send_reminder", reminder.pk)
    logger.info("reminder %s re-queued by %s", reminder.pk, by)
    return reminder
