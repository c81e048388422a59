"""Days a location is closed: what availability skips, booking refuses, the day list shows and the needs-attention
list flags (appointments already booked on a day that became closed)."""

from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from scheduling.models import Location, LocationClosure


def closure_for(*, location: Location, day: date) -> LocationClosure | None:
    """The closure of `location` on the local calendar day `day`, or None when it is open. One query."""
    return LocationClosure.objects.filter(location=location, date=day).first()


def closures_between(*, first_day: date, last_day: date, location: Location | None = None) -> list[LocationClosure]:
    """Closures on the local days first_day..last_day (inclusive), of one location or of all, by date. One query."""
    closures = LocationClosure.objects.filter(date__gte=first_day, date__lte=last_day)
    if location is not None:
        closures = closures.filter(location=location)
    return list(closures.order_by("date", "location_id"))


def closed_days(*, location: Location, first_day: date, last_day: date) -> set[date]:
    """The local days first_day..last_day on which `location` is closed. One query."""
    return set(
        LocationClosure.objects.filter(location=location, date__gte=first_day, date__lte=last_day).values_list(
            "date", flat=True
        )
    )


def local_day_bounds(day: date, zone) -> tuple[datetime, datetime]:
    """[local midnight of `day`, local midnight of the next day) as aware instants (23 or 25 hours across DST)."""
    return datetime.combine(day, time.min, tzinfo=zone), datetime.combine(
        day + timedelta(days=1), time.min, tzinfo=zone
    )


def on_closed_days(*, since: date | None = None) -> Q:
    """A Q on Appointment: starts on a day its location is closed, for closures from `since` (default: a day before
    today, so every zone's today is covered) on. One query to build; an empty Q-that-matches-nothing when none."""
    since = since or timezone.now().date() - timedelta(days=1)
    condition = Q(pk__in=[])
    for closure in LocationClosure.objects.filter(date__gte=since).select_related("location"):
        day_start, day_end = local_day_bounds(closure.date, closure.location.zone)
        condition |= Q(location_id=closure.location_id, start__gte=day_start, start__lt=day_end)
    return condition
