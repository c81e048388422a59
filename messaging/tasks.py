"""Celery tasks of the outgoing messages: thin wrappers that take ids and call services (all logic is tested without
Celery). The task names are kept from before the apps were split (beat schedules them and services queue them by
name: clinic.settings.CELERY_BEAT_SCHEDULE, clinic.celery.enqueue_on_commit)."""

import math
import time

from celery import shared_task

from messaging import reminders

SWEEP_BATCH = 200
# At most this many sweeps run at once: enough to keep every worker process of a small deployment busy.
SWEEP_FAN_OUT = 8
# A sweep stops claiming after this long; by then beat has started fresh sweeps for whatever is left.
SWEEP_BUDGET_SECONDS = 300


@shared_task(name="scheduling.tasks.dispatch_due_reminders")
def dispatch_due_reminders() -> int:
    """Beat, every minute: start one sweep per batch of due reminders (up to SWEEP_FAN_OUT), so every worker
    process shares a backlog. Returns how many sweeps were started. Sweeps never claim the same row twice."""
    due = reminders.reminders_due_count()
    sweeps = min(SWEEP_FAN_OUT, math.ceil(due / SWEEP_BATCH))
    for _ in range(sweeps):
        sweep_due_reminders.delay()
    return sweeps


@shared_task(name="scheduling.tasks.sweep_due_reminders")
def sweep_due_reminders() -> int:
    """Claim and send due reminders batch after batch until a batch comes back short; returns how many."""
    deadline = time.monotonic() + SWEEP_BUDGET_SECONDS
    total = 0
    while True:
        claimed = reminders.reminders_dispatch_due(limit=SWEEP_BATCH)
        total += claimed
        if claimed < SWEEP_BATCH or time.monotonic() > deadline:
            return total


@shared_task(name="scheduling.tasks.send_reminder")
def send_reminder(reminder_id: int) -> bool:
    """Send one reminder now if it is still due and unclaimed (the kick after a booking commits)."""
    return reminders.reminder_send(reminder_id=reminder_id)
