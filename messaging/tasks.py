"""Celery tasks of messaging: thin wrappers that take ids and call services (all logic is tested without Celery)."""

import time

from celery import shared_task

from messaging.webhooks import delivery

BATCH = 100
BUDGET_SECONDS = 300


@shared_task
def fan_out_events() -> int:
    """After an event commits: one delivery per subscribed endpoint (their sending is queued); returns how many."""
    return delivery.events_fan_out()


@shared_task
def dispatch_webhooks() -> int:
    """Send due webhook deliveries, batch after batch until a batch comes back short; returns how many claimed."""
    deadline = time.monotonic() + BUDGET_SECONDS
    total = 0
    while True:
        claimed = delivery.webhooks_dispatch_due(limit=BATCH).claimed
        total += claimed
        if claimed < BATCH or time.monotonic() > deadline:
            return total


@shared_task
def send_webhook(delivery_id: int) -> bool:
    """Send one delivery now if it is still due and unclaimed (the kick after a Retry)."""
    return delivery.webhook_send(delivery_id=delivery_id)


@shared_task
def sweep_webhooks() -> int:
    """Beat: fan out events no task fanned out (broker outage) and send deliveries whose retry time has come."""
    delivery.events_fan_out()
    return dispatch_webhooks()
