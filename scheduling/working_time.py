"""Changing when a practitioner works: working hours and time off, saved and deleted through these services.

Time that a change opens up (time off removed or shortened, working hours widened, added or moved) is told to
the waitlist through scheduling.freed.time_freed in the same transaction, so its offers follow after commit like
those of a cancelled appointment. Time a change takes away frees nothing; the appointments already booked in it
stay as they are (the desk sees them).
"""

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Max

from clinic.clock import clinic_today
from scheduling.choices import OPEN_WAITLIST_STATUSES
from scheduling.freed import time_freed
from scheduling.models import Location, Practitioner, TimeOff, WaitlistEntry, WorkingHours

TIME_OFF_REMOVED = "time_off_removed"
HOURS_WIDENED = "hours_widened"


def _minus(outer: tuple, inner: tuple | None) -> list[tuple]:
    """The parts of the half-open interval `outer` not covered by `inner` (any comparable bounds)."""
    lo, hi = outer
    if inner is None or inner[1] <= lo or inner[0] >= hi:
        return [outer]
    return [piece for piece in ((lo, inner[0]), (inner[1], hi)) if piece[0] < piece[1]]


def _free_time_off(*, practitioner: Practitioner, pieces: list[tuple[datetime, datetime]]) -> None:
    location_ids = list(practitioner.locations.values_list("pk", flat=True))
    for start, end in pieces:
        for location_id in location_ids:
            time_freed(
                practitioner_id=practitioner.pk, location_id=location_id, start=start, end=end, reason=TIME_OFF_REMOVED
            )


def time_off_save(*, time_off: TimeOff) -> TimeOff:
    """Create or change a stretch of time off (validated: start before end).

    Guarantees, in one transaction: a change that gives time back (shorter, moved, or moved to another
    practitioner) records the time given back as freed at each of the practitioner's locations, so the waitlist
    is offered it after commit.
    """
    with transaction.atomic():
        before = TimeOff.objects.select_for_update().filter(pk=time_off.pk).first() if time_off.pk else None
        time_off.full_clean()
        time_off.save()
        if before is not None:
            kept = (time_off.start, time_off.end) if before.practitioner_id == time_off.practitioner_id else None
            _free_time_off(practitioner=before.practitioner, pieces=_minus((before.start, before.end), kept))
    return time_off


def time_off_delete(*, time_off: TimeOff) -> None:
    """Delete a stretch of time off; its time is recorded as freed at each of the practitioner's locations (only
    what is still ahead), so the waitlist is offered it after commit. One transaction."""
    with transaction.atomic():
        before = TimeOff.objects.select_for_update().select_related("practitioner").filter(pk=time_off.pk).first()
        if before is None:
            return
        before.delete()
        _free_time_off(practitioner=before.practitioner, pieces=[(before.start, before.end)])


def _waitlist_horizon(location: Location) -> date | None:
    """The last day anyone on the location's waitlist still wants; None when nobody waits there."""
    return WaitlistEntry.objects.filter(location=location, status__in=OPEN_WAITLIST_STATUSES).aggregate(
        last=Max("latest")
    )["last"]


def _free_weekly(*, hours: WorkingHours, pieces: list[tuple[time, time]]) -> None:
    """Record the local time-of-day `pieces` on every coming `hours.weekday` up to the waitlist's horizon."""
    location = hours.location
    last = _waitlist_horizon(location)
    if not pieces or last is None:
        return
    day = clinic_today(location.zone)
    day += timedelta(days=(hours.weekday - day.weekday()) % 7)
    while day <= last:
        for opens, closes in pieces:
            time_freed(
                practitioner_id=hours.practitioner_id,
                location_id=location.pk,
                start=datetime.combine(day, opens, tzinfo=location.zone),
                end=datetime.combine(day, closes, tzinfo=location.zone),
                reason=HOURS_WIDENED,
            )
        day += timedelta(days=7)


def working_hours_save(*, hours: WorkingHours) -> WorkingHours:
    """Create or change a practitioner's weekly working hours at a location (validated: start before end).

    Guarantees, in one transaction: the hours that are new (added, widened, or moved to another day, location or
    practitioner) are recorded as freed on each coming such weekday up to the last day anyone on the location's
    waitlist wants, so the waitlist is offered them after commit. Narrowed hours free nothing.
    """
    with transaction.atomic():
        before = WorkingHours.objects.select_for_update().filter(pk=hours.pk).first() if hours.pk else None
        hours.full_clean()
        hours.save()
        same_day = before is not None and (before.practitioner_id, before.location_id, before.weekday) == (
            hours.practitioner_id,
            hours.location_id,
            hours.weekday,
        )
        kept = (before.start_time, before.end_time) if same_day else None
        _free_weekly(hours=hours, pieces=_minus((hours.start_time, hours.end_time), kept))
    return hours


def working_hours_delete(*, hours: WorkingHours) -> None:
    """Delete weekly working hours. Takes time away, so nothing is offered; booked appointments stay."""
    with transaction.atomic():
        WorkingHours.objects.filter(pk=hours.pk).delete()
