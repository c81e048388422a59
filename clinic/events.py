"""What happened, for the clinic's other systems: events recorded in the transaction of the change they describe.

Any floor may call `event_record` (it is the ground floor's): the appointment's life cycle in scheduling, a patient
registered in patients, a plan's life cycle in treatments. messaging fans each event out to the webhook endpoints
subscribed to its type and delivers it through the one outbox. An event's body carries ids, times and status only.
"""

import uuid
from datetime import datetime

from django.utils import timezone

from clinic.celery import enqueue_on_commit
from clinic.models import Event

EVENT_TYPES = (
    "appointment.booked",
    "appointment.rescheduled",
    "appointment.cancelled",
    "appointment.checked_in",
    "appointment.completed",
    "appointment.no_show",
    "patient.created",
    "plan.created",
    "plan.completed",
    "plan.cancelled",
)
FAN_OUT_TASK = "messaging.tasks.fan_out_events"


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def event_record(event_type: str, *, data: dict, at: datetime | None = None) -> Event:
    """Record that `event_type` happened, with `data` (ids, times, status: no clinical text), inside the caller's
    transaction.

    Guarantees: the event exists if and only if the caller's transaction commits; after the commit a worker is
    asked to fan it out (a broker outage only delays it until the webhook sweep). ValueError for an unknown type.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    event = Event.objects.create(
        uuid=uuid.uuid4(),
        type=event_type,
        occurred_at=at or timezone.now(),
        data={key: _plain(value) for key, value in data.items()},
    )
    enqueue_on_commit(FAN_OUT_TASK)
    return event
