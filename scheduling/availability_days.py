"""How many free start times each local day holds: the desk's day strip, before it asks for one day's slots.

One search over the whole range (scheduling.availability's, so the counts are the slots that search offers), then
the distinct start times counted per local day of the location.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from patients.models import Patient
from scheduling.availability import find_free_slots, local_days, validate_search
from scheduling.models import Location, Practitioner
from treatments.models import TherapyType
from treatments.screening import contraindicated, names, visit_screen_days


@dataclass(frozen=True)
class DayCount:
    """A local day of the location and the number of distinct times a session of the therapy can start on it."""

    date: date
    free_starts: int


def free_start_counts_by_day(
    *,
    therapy_type: TherapyType,
    location: Location,
    start: datetime,
    end: datetime,
    practitioner: Practitioner | None = None,
    patient: Patient | None = None,
    relative_allowed: bool = False,
) -> list[DayCount]:
    """Every local day of the location that meets [start, end), in order and none left out (closed days, days off
    and fully booked days count 0, so a strip of days has no gaps), with the number of distinct start times at
    which find_free_slots offers the therapy that day (with any practitioner, or `practitioner`).

    With `patient`, the patient's own appointments are avoided too and the patient is screened as
    offer_free_slots_for_patient does: Contraindicated when blocked on the first day (an absolute finding always, a
    relative one unless `relative_allowed`), and later days the patient is blocked on count 0.
    Seven queries at most, whatever the range.
    """
    validate_search(start, end, None)
    zone = location.zone
    days = local_days(start, end - timedelta(microseconds=1), zone)
    blocked: set[date] = set()
    if patient is not None:
        screened = visit_screen_days(
            patient=patient, therapy_type=therapy_type, days=days, relative_allowed=relative_allowed
        )
        if screened[days[0]].blocking:
            result = screened[days[0]]
            raise contraindicated(
                result.by_severity(),
                detail=f"{patient} cannot have {therapy_type.name} on {days[0]:%d %b %Y}: {names(result.blocking)}.",
            )
        blocked = {day for day, result in screened.items() if result.blocking}
    counts = dict.fromkeys(days, 0)
    slots = find_free_slots(
        therapy_type=therapy_type,
        location=location,
        start=start,
        end=end,
        practitioner=practitioner,
        limit=None,
        patient=patient,
    )
    for free_start in {slot.start for slot in slots}:
        day = timezone.localtime(free_start, zone).date()
        if day in counts and day not in blocked:
            counts[day] += 1
    return [DayCount(date=day, free_starts=count) for day, count in counts.items()]
