"""Telling the waitlist that time has freed up: a FreedTime row written in the freeing transaction, and a task
queued when it commits.

Kept apart from scheduling.waitlist (which books through scheduling.booking) so that booking can call it without
an import cycle. The task is named, not imported, like the reminder kick; the waitlist sweep matches any row the
task never reached.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from clinic.celery import app as celery_app
from scheduling.models import FreedTime

logger = logging.getLogger(__name__)

OFFER_FREED_TIME_TASK = "scheduling.tasks.offer_freed_time"


def _publish(freed_id: int) -> None:
    try:
        celery_app.send_task(OFFER_FREED_TIME_TASK, args=[freed_id], retry=False)
    except Exception:  # any broker failure: the row is committed and the waitlist sweep matches it later
        logger.warning("broker unavailable, freed time %s waits for the waitlist sweep", freed_id, exc_info=True)


def time_freed(*, practitioner_id: int, location_id: int, start: datetime, end: datetime, reason: str) -> None:
    """Record that [start, end) of the practitioner at the location is free again; call inside the freeing
    transaction. After it commits a worker offers the time to the waitlist. Time already past is not recorded."""
    start = max(start, timezone.now())
    if end <= start:
        return
    freed = FreedTime.objects.create(
        practitioner_id=practitioner_id, location_id=location_id, start=start, end=end, reason=reason
    )
    transaction.on_commit(lambda: _publish(freed.pk), robust=True)
