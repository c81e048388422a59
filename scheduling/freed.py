"""Telling the waitlist that time has freed up: a FreedTime row written in the freeing transaction, and a task
queued when it commits.

Kept in scheduling, below the waitlist (which books through care.booking), so that booking can call it without
importing up. The task is named, not imported, like the reminder kick; the waitlist sweep matches any row the
task never reached.
"""

from datetime import datetime

from django.utils import timezone

from clinic.celery import enqueue_on_commit
from scheduling.models import FreedTime

OFFER_FREED_TIME_TASK = "scheduling.tasks.offer_freed_time"


def time_freed(*, practitioner_id: int, location_id: int, start: datetime, end: datetime, reason: str) -> None:
    """Record that [start, end) of the practitioner at the location is free again; call inside the freeing
    transaction. After it commits a worker offers the time to the waitlist. Time already past is not recorded."""
    start = max(start, timezone.now())
    if end <= start:
        return
    freed = FreedTime.objects.create(
        practitioner_id=practitioner_id, location_id=location_id, start=start, end=end, reason=reason
    )
    enqueue_on_commit(OFFER_FREED_TIME_TASK, freed.pk)
