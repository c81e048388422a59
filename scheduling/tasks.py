"""Celery tasks: thin wrappers that take ids and call services (all logic is tested without Celery)."""

import math
import time

from celery import shared_task

from scheduling import holds, planning, reminders, waitlist

SWEEP_BATCH = 200
# At most this many sweeps run at once: enough to keep every worker process of a small deployment busy.
SWEEP_FAN_OUT = 8
# A sweep stops claiming after this long; by then beat has started fresh sweeps for whatever is left.
SWEEP_BUDGET_SECONDS = 300


@shared_task
def dispatch_due_reminders() -> int:
    """Beat, every minute: start one sweep per batch of due reminders (up to SWEEP_FAN_OUT), so every worker
    process shares a backlog. Returns how many sweeps were started. Sweeps never claim the same row twice."""
    due = reminders.reminders_due_count()
    sweeps = min(SWEEP_FAN_OUT, math.ceil(due / SWEEP_BATCH))
    for _ in range(sweeps):
        sweep_due_reminders.delay()
    return sweeps


@shared_task
def sweep_due_reminders() -> int:
    """Claim and send due reminders batch after batch until a batch comes back short; returns how many."""
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


@shared_task
def rescreen_at_local_midnight() -> int:
    """Beat, every 15 minutes: where a new local day has just begun, re-screen patients with dated conditions so
    holds appear and lift with the dates. Returns how many holds changed."""
    return holds.holds_rescreen_at_midnight(locations=holds.locations_at_midnight())


@shared_task
def offer_freed_time(freed_id: int) -> int:
    """Offer time that has just freed up to the waitlist (once per FreedTime row); returns how many offers."""
    return waitlist.freed_time_match(freed_id=freed_id)


@shared_task
def send_waitlist_offer(offer_id: int) -> bool:
    """Send one offer email now if it is still due and unclaimed (the kick after the offer commits)."""
    return waitlist.offer_send(offer_id=offer_id)


@shared_task
def sweep_waitlist() -> dict:
    """Beat, every minute: expire entries and offers, pass expired slots on, match leftover freed time, send due
    offer emails."""
    return waitlist.waitlist_sweep()
