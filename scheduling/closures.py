"""Days a location is closed: what availability skips, booking refuses, the day list shows and the needs-attention
list flags (appointments already booked on a day that became closed)."""

from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Q

from clinic.db import LocalDate
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


def on_closed_days() -> Q:
    """A Q on Appointment: it starts on a local day (in its location's zone) on which its location is closed. One
    subquery on the closure's unique (location, date): no query to build, however many closures lie ahead."""
    closed = LocationClosure.objects.filter(
        location=OuterRef("location"), date=LocalDate(OuterRef("start"), "location__time_zone")
    )
    return Q(Exists(closed))
