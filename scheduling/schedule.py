"""When each practitioner at a location can be booked over a few local days: what the desk shades and sizes its grid
by (`GET /api/v1/schedule/`)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scheduling.closures import closures_between, local_day_bounds
from scheduling.models import Location, LocationClosure, Practitioner, TimeOff, WorkingHours


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class PractitionerSchedule:
    practitioner: Practitioner
    working: list[Interval]
    time_off: list[Interval]


@dataclass(frozen=True)
class LocationSchedule:
    location: Location
    first_day: date
    last_day: date
    closures: list[LocationClosure]
    practitioners: list[PractitionerSchedule]


def _days(first_day: date, last_day: date) -> list[date]:
    return [first_day + timedelta(days=offset) for offset in range((last_day - first_day).days + 1)]


def location_schedule(*, location: Location, first_day: date, last_day: date) -> LocationSchedule:
    """The location's closures on first_day..last_day (local days, both included) and, per active practitioner who
    works there (by name), their working intervals on the days the location is open (local wall-clock hours made
    instants in the location's zone, so a DST change moves nothing locally) and their time off overlapping those
    days. Four queries whatever the number of practitioners or days."""
    zone = location.zone
    closures = closures_between(location=location, first_day=first_day, last_day=last_day)
    closed = {closure.date for closure in closures}
    practitioners = list(location.practitioners.filter(active=True).order_by("display_name", "id"))
    ids = [practitioner.pk for practitioner in practitioners]
    hours: dict[tuple[int, int], list[WorkingHours]] = {}
    for row in WorkingHours.objects.filter(location=location, practitioner_id__in=ids).order_by("start_time"):
        hours.setdefault((row.practitioner_id, row.weekday), []).append(row)
    range_start, _ = local_day_bounds(first_day, zone)
    _, range_end = local_day_bounds(last_day, zone)
    away: dict[int, list[Interval]] = {}
    for row in TimeOff.objects.filter(practitioner_id__in=ids, start__lt=range_end, end__gt=range_start).order_by(
        "start"
    ):
        away.setdefault(row.practitioner_id, []).append(Interval(row.start, row.end))
    open_days = [day for day in _days(first_day, last_day) if day not in closed]
    return LocationSchedule(
        location=location,
        first_day=first_day,
        last_day=last_day,
        closures=closures,
        practitioners=[
            PractitionerSchedule(
                practitioner=practitioner,
                working=[
                    Interval(
                        datetime.combine(day, row.start_time, tzinfo=zone),
                        datetime.combine(day, row.end_time, tzinfo=zone),
                    )
                    for day in open_days
                    for row in hours.get((practitioner.pk, day.weekday()), [])
                ],
                time_off=away.get(practitioner.pk, []),
            )
            for practitioner in practitioners
        ],
    )
