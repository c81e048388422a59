"""Celery tasks: thin wrappers that take ids and call services (all logic is tested without Celery)."""

import time

from celery import shared_task

from scheduling import planning, reminders

# A sweep stops claiming new batches after this long, so beat ticks do not pile up behind one long sweep.
SWEEP_BUDGET_SECONDS = 50
SWEEP_BATCH = 200


@shared_task
def dispatch_due_reminders() -> int:
    """Send every due reminder, batch after batch, until a batch comes back short; returns how many were claimed.

    Run by beat every minute; several sweeps at once are safe because each row is claimed by one worker only.
    """
    deadline = time.monotonic() + SWEEP_BUDGET_SECONDS
    total = 0
    while True:
        claimed = reminders.reminders_dispatch_due(limit=SWEEP_BATCH)
        total += claimed
        if claimed < SWEEP_BATCH or time.monotonic() > deadline:
            return total


@shared_task
def send_reminder(reminder_id: int) -> bool:
    """Send one reminder now if it is still due and unclaimed (the kick after a booking commits)."""
    return reminders.reminder_send(reminder_id=reminder_id)


@shared_task
def book_next_session(session_id: int) -> int | None:
    """Book the plan's next session after `session_id` was completed; idempotent. Returns the appointment id."""
    appointment = planning.session_book_next(session_id=session_id)
    return appointment.pk if appointment else None


@shared_task
def flag_plans_with_closing_windows() -> int:
    """Nightly: flag plans whose next window closes within 7 days with nothing booked; returns how many."""
    return planning.plans_flag_closing_windows()
