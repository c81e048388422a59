"""Choosing a time for a plan session inside its window: the free slots of the window, ranked by a preference
(nearest day, the same practitioner, the same hour). Reads only; care.booking and care.planning write."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.availability import Slot, find_free_slots
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES
from scheduling.models import Appointment, Location
from treatments.models import TreatmentPlan, TreatmentSession

# A slot found free can be taken by someone else before the booking locks it: try the next best few.
ATTEMPTS_PER_SESSION = 5


@dataclass(frozen=True)
class Preference:
    """Where to aim inside a window: a day (nearest first), a practitioner and a local time of day."""

    day: date
    practitioner_id: int | None = None
    time_of_day: time | None = None


def rank_slots(slots: list[Slot], preference: Preference, zone: ZoneInfo) -> list[Slot]:
    """Nearest day first; on a day, the preferred practitioner, then the nearest time of day, then the earliest."""

    def minutes(moment: time) -> int:
        return moment.hour * 60 + moment.minute

    def key(slot: Slot):
        local = slot.start.astimezone(zone)
        other_practitioner = (
            preference.practitioner_id is not None and slot.practitioner_id != preference.practitioner_id
        )
        hour_gap = abs(minutes(local.time()) - minutes(preference.time_of_day)) if preference.time_of_day else 0
        return abs((local.date() - preference.day).days), other_practitioner, hour_gap, slot.start

    return sorted(slots, key=key)


def window_slots(session: TreatmentSession, location: Location, plan: TreatmentPlan) -> list[Slot]:
    zone = location.zone
    return find_free_slots(
        therapy_type=plan.therapy_type,
        location=location,
        start=datetime.combine(session.window_start, time(0), tzinfo=zone),
        end=datetime.combine(session.window_end + timedelta(days=1), time(0), tzinfo=zone),
        limit=None,
        patient=plan.patient,
    )


def active_appointment(session: TreatmentSession) -> Appointment | None:
    return (
        session.appointments.filter(status__in=ACTIVE_APPOINTMENT_STATUSES)
        .select_related("location", "patient", "therapy_type")
        .first()
    )
