"""Free slots for a therapy at a location: load once, then interval arithmetic in memory.

A search costs six queries whatever the range, the number of appointments or the history (working hours,
rooms, devices, closures, time off, appointments in the range); five when the therapy needs no device. Everything is
computed on epoch seconds in the space of *start times*: each busy stretch forbids an open interval of starts,
working hours allow a closed one, and the slots are the step grid points left.

The rule is the booking service's rule (scheduling.placement checks the same thing row by row under locks):
a session [s, s + length) plus its buffer must not overlap another active appointment plus that
appointment's buffer on the same practitioner, room, device or patient; the session itself (without the
buffer) must lie inside working hours and outside time off.
"""

import math
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.db.models import F, IntegerField, Q, Subquery, Value
from django.utils import timezone

from clinic.exceptions import DomainValidationError
from patients.models import Patient
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES, RoomKind
from scheduling.closures import closed_days
from scheduling.intervals import EpochSeconds, Forbidden, Interval, Resources
from scheduling.models import (
    Appointment,
    Device,
    Location,
    Practitioner,
    Room,
    SlotHold,
    TimeOff,
    WorkingHours,
)
from treatments.models import TherapyType
from treatments.screening import ScreeningResult, contraindicated, names, visit_screen

MAX_SEARCH_DAYS = 366


@dataclass(frozen=True)
class Slot:
    """A time the therapy can be booked, with the practitioner, room and device the booking would use."""

    start: datetime
    end: datetime
    practitioner_id: int
    room_id: int
    device_id: int | None


# --- the search ------------------------------------------------------------------------------------------


def validate_search(start: datetime, end: datetime, limit: int | None) -> None:
    """DomainValidationError naming each field unless start and end are aware, in order and at most
    MAX_SEARCH_DAYS apart, and `limit` (when given) a positive whole number."""
    errors = {}
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime) or timezone.is_naive(value):
            errors[name] = ["Give a date and time with its UTC offset."]
    if not errors and end <= start:
        errors["end"] = ["The end of the search must come after its start."]
    elif not errors and end - start > timedelta(days=MAX_SEARCH_DAYS):
        errors["end"] = [f"Search at most {MAX_SEARCH_DAYS} days at a time."]
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        errors["limit"] = ["Give a positive number of slots."]
    if errors:
        raise DomainValidationError(errors=errors)


def _working_hours(therapy_type: TherapyType, location: Location, practitioner: Practitioner | None):
    """Rows (practitioner_id, weekday, start_time, end_time, largest_buffer) of those giving the therapy here.

    The largest buffer of any therapy rides along as a scalar subquery: it bounds how long before the search an
    appointment can still matter, without a query of its own.
    """
    rows = WorkingHours.objects.filter(
        location=location,
        practitioner__active=True,
        practitioner__therapy_types=therapy_type,
        practitioner__locations=location,
    )
    if practitioner is not None:
        rows = rows.filter(practitioner=practitioner)
    largest_buffer = TherapyType.objects.order_by("-buffer_minutes").values("buffer_minutes")[:1]
    return list(
        rows.annotate(largest_buffer=Subquery(largest_buffer))
        .order_by()
        .values_list("practitioner_id", "weekday", "start_time", "end_time", "largest_buffer")
    )


def local_days(first: datetime, last: datetime, zone) -> list[date]:
    """Every local date in `zone` from `first`'s to `last`'s, both included."""
    day, last_day = first.astimezone(zone).date(), last.astimezone(zone).date()
    days = []
    while day <= last_day:
        days.append(day)
        day += timedelta(days=1)
    return days


@dataclass(frozen=True)
class SlotOffer:
    """What the desk is offered: slots, and whether the limit left any out."""

    slots: list[Slot]
    more: bool


@dataclass(frozen=True)
class _Search:
    """Candidate starts with the resources to place them; `day_starts` are the local midnights of the days."""

    candidates: list[tuple[float, int]]
    length: float
    rooms: Resources
    devices: Resources | None
    day_starts: list[float]


def find_free_slots(
    *,
    therapy_type: TherapyType,
    location: Location,
    start: datetime,
    end: datetime,
    practitioner: Practitioner | None = None,
    limit: int | None = 50,
    patient: Patient | None = None,
) -> list[Slot]:
    """Every bookable slot of the therapy at the location starting and ending within [start, end], earliest first.

    Guarantees: each slot lies on the step grid (CLINIC_SLOT_STEP_MINUTES from the start of working hours, in the
    location's time zone, so DST changes nothing locally), inside one practitioner's working hours, on a day the
    location is open (LocationClosure), outside the practitioner's time off, at least CLINIC_MIN_NOTICE_MINUTES
    from now, and clear (buffers included) of every active appointment of that practitioner, of a treatment room
    and, when the therapy needs one, of a device of its kind, which the slot names; with `patient`, also clear of
    that patient's appointments. Only practitioners who give the therapy at the location are offered.
    `limit=None` returns them all. Six queries at most.
    """
    validate_search(start, end, limit)
    search = _search(therapy_type, location, start, end, practitioner, patient)
    if search is None:
        return []
    return _with_resources(
        search.candidates, length=search.length, rooms=search.rooms, devices=search.devices, limit=limit
    )


def offer_free_slots(
    *,
    therapy_type: TherapyType,
    location: Location,
    start: datetime,
    end: datetime,
    practitioner: Practitioner | None = None,
    limit: int = 50,
    patient: Patient | None = None,
) -> SlotOffer:
    """The slots find_free_slots finds, at most `limit`, and `more` true exactly when there were more.

    When the limit cuts, the slots offered are spread over the local days that have any (each day's earliest
    first, a day at a time in turn), so a week's search does not answer with the first morning only. Sorted by
    start. Six queries at most.
    """
    validate_search(start, end, limit)
    search = _search(therapy_type, location, start, end, practitioner, patient)
    if search is None:
        return SlotOffer(slots=[], more=False)
    by_day = _slots_by_day(search, cap=limit + 1)
    found = sum(len(day) for day in by_day)
    if found <= limit:
        return SlotOffer(slots=[slot for day in by_day for slot in day], more=False)
    chosen: list[Slot] = []
    for rank in range(limit):
        for day in by_day:
            if rank < len(day) and len(chosen) < limit:
                chosen.append(day[rank])
    return SlotOffer(slots=sorted(chosen, key=lambda slot: (slot.start, slot.practitioner_id)), more=True)


def free_starts_by_therapy(
    *, therapy_types: list[TherapyType], location: Location, practitioner: Practitioner, start: datetime, end: datetime
) -> dict[int, list[Slot]]:
    """For each therapy (by id), every slot of the practitioner at the location that starts within [start, end):
    the slots find_free_slots finds for that therapy and practitioner (limit=None, search end extended by the
    session's length), from one reading of rooms, devices, closures, time off and appointments shared by the
    therapies: five queries and one per therapy.
    """
    validate_search(start, end, None)
    earliest = _earliest(start)
    hours = {therapy.pk: _working_hours(therapy, location, practitioner) for therapy in therapy_types}
    worked = [therapy for therapy in therapy_types if hours[therapy.pk]]
    if not worked or earliest >= end:
        return {}
    # The widest stretch any of the therapies searches, and the widest buffers around it.
    last = end + timedelta(minutes=max(therapy.session_minutes for therapy in worked))
    largest_buffer = timedelta(minutes=hours[worked[0].pk][0][4] or 0)
    kinds = {therapy.device_kind for therapy in worked if therapy.device_kind}
    devices: dict[str, list[int]] = defaultdict(list)
    if kinds:
        for pk, kind in Device.objects.filter(location=location, active=True, kind__in=kinds).values_list("id", "kind"):
            devices[kind].append(pk)
    days = local_days(earliest, last, location.zone)
    shared = _Shared(
        rooms=_rooms(location),
        devices=devices,
        closed=closed_days(location=location, first_day=days[0], last_day=days[-1]),
        time_off=list(_time_off([practitioner.pk], earliest, last)),
        appointments=list(
            _appointments(location, [practitioner.pk], None, earliest - largest_buffer, last + largest_buffer)
        ),
    )
    found: dict[int, list[Slot]] = {}
    for therapy in worked:
        search_end = end + timedelta(minutes=therapy.session_minutes)
        search = _search(
            therapy, location, start, search_end, practitioner, None, hours=hours[therapy.pk], shared=shared
        )
        if search is not None:
            slots = _with_resources(
                search.candidates, length=search.length, rooms=search.rooms, devices=search.devices, limit=None
            )
            found[therapy.pk] = [slot for slot in slots if slot.start < end]
    return found


def _earliest(start: datetime) -> datetime:
    return max(start, timezone.now() + timedelta(minutes=settings.CLINIC_MIN_NOTICE_MINUTES))


def _rooms(location: Location) -> list[int]:
    return list(
        Room.objects.filter(location=location, active=True, kind=RoomKind.TREATMENT).values_list("id", flat=True)
    )


def _time_off(practitioner_ids, earliest: datetime, end: datetime):
    return (
        TimeOff.objects.filter(practitioner_id__in=practitioner_ids, start__lt=end, end__gt=earliest)
        .annotate(start_s=EpochSeconds("start"), end_s=EpochSeconds("end"))
        .order_by()
        .values_list("practitioner_id", "start_s", "end_s")
    )


def _appointments(location: Location, practitioner_ids, patient, first: datetime, last: datetime):
    """Active appointments of the location, the practitioners or the patient that meet [first, last), and the
    slot holds still active (scheduling.slot_holds) of the location or the practitioners, as appointments without
    a patient: one query."""
    whose = Q(location=location) | Q(practitioner_id__in=practitioner_ids)
    if patient is not None:
        whose |= Q(patient=patient)
    columns = ("practitioner_id", "room_id", "device_id", "patient_id", "start_s", "end_s", "buffer")
    booked = (
        Appointment.objects.overlapping(first, last)
        .filter(whose, status__in=ACTIVE_APPOINTMENT_STATUSES)
        .annotate(start_s=EpochSeconds("start"), end_s=EpochSeconds("end"), buffer=F("therapy_type__buffer_minutes"))
        .order_by()  # the intervals are sorted in memory anyway
        .values_list(*columns)
    )
    held = (
        SlotHold.objects.active(timezone.now())
        .overlapping(first, last)
        .filter(Q(location=location) | Q(practitioner_id__in=practitioner_ids))
        .annotate(
            patient_id=Value(None, output_field=IntegerField()),
            start_s=EpochSeconds("start"),
            end_s=EpochSeconds("end"),
            buffer=F("therapy_type__buffer_minutes"),
        )
        .order_by()
        .values_list(*columns)
    )
    return booked.union(held, all=True)


@dataclass(frozen=True)
class _Shared:
    """What searches of several therapies for the same practitioner and stretch of time read once."""

    rooms: list[int]
    devices: dict[str, list[int]]
    closed: set[date]
    time_off: list
    appointments: list


def _search(therapy_type, location, start, end, practitioner, patient, *, hours=None, shared=None) -> _Search | None:
    """Load what the search needs (six queries at most) and list the candidate starts; None when nothing can fit.
    `hours` and `shared`, when given, were loaded for a stretch covering this one (free_starts_by_therapy)."""
    earliest = _earliest(start)
    length = therapy_type.session_minutes * 60
    if earliest + timedelta(seconds=length) > end:
        return None
    hours = _working_hours(therapy_type, location, practitioner) if hours is None else hours
    if not hours:
        return None
    rooms = _rooms(location) if shared is None else shared.rooms
    devices: list[int] = []
    if therapy_type.device_kind:
        devices = (
            list(
                Device.objects.filter(location=location, active=True, kind=therapy_type.device_kind).values_list(
                    "id", flat=True
                )
            )
            if shared is None
            else shared.devices.get(therapy_type.device_kind, [])
        )
    if not rooms or (therapy_type.device_kind and not devices):
        return None
    days = local_days(earliest, end, location.zone)
    closed = closed_days(location=location, first_day=days[0], last_day=days[-1]) if shared is None else shared.closed
    days = [day for day in days if day not in closed]
    if not days:
        return None

    practitioner_ids = sorted({row[0] for row in hours})
    buffer = therapy_type.buffer_minutes * 60
    largest_buffer = timedelta(minutes=hours[0][4] or 0)
    if shared is None:
        time_off = _time_off(practitioner_ids, earliest, end)
        appointments = _appointments(
            location, practitioner_ids, patient, earliest - largest_buffer, end + timedelta(seconds=buffer)
        )
    else:
        time_off, appointments = shared.time_off, shared.appointments

    busy_practitioner: dict[int, list[Interval]] = defaultdict(list)
    busy_room: dict[int, list[Interval]] = defaultdict(list)
    busy_device: dict[int, list[Interval]] = defaultdict(list)
    busy_patient: list[Interval] = []
    for practitioner_id, off_start, off_end in time_off:
        busy_practitioner[practitioner_id].append((off_start - length, off_end))
    patient_id = patient.pk if patient is not None else None
    for practitioner_id, room_id, device_id, booked_patient_id, a_start, a_end, a_buffer in appointments:
        # s is forbidden when [s, s + length + buffer) meets [a_start, a_end + a_buffer).
        forbidden = (a_start - length - buffer, a_end + a_buffer * 60)
        busy_practitioner[practitioner_id].append(forbidden)
        busy_room[room_id].append(forbidden)
        if device_id is not None:
            busy_device[device_id].append(forbidden)
        if booked_patient_id == patient_id:
            busy_patient.append(forbidden)

    candidates = _candidates(
        hours=hours,
        zone=location.zone,
        length=length,
        first=earliest.timestamp(),
        last=end.timestamp() - length,
        days=days,
        forbidden={pk: Forbidden(busy_practitioner[pk] + busy_patient) for pk in practitioner_ids},
    )
    return _Search(
        candidates=candidates,
        length=length,
        rooms=Resources(rooms, busy_room),
        devices=Resources(devices, busy_device) if therapy_type.device_kind else None,
        day_starts=[datetime.combine(day, time.min, tzinfo=location.zone).timestamp() for day in days],
    )


def _candidates(
    *, hours, zone, length: float, first: float, last: float, days: list[date], forbidden: dict[int, Forbidden]
):
    """(start, practitioner_id) on each practitioner's grid where the practitioner (and patient) are free."""
    step = settings.CLINIC_SLOT_STEP_MINUTES * 60
    by_weekday = defaultdict(list)
    for practitioner_id, weekday, start_time, end_time, _ in hours:
        by_weekday[weekday].append((practitioner_id, start_time, end_time))
    found = []
    for day in days:
        for practitioner_id, start_time, end_time in by_weekday[day.weekday()]:
            # Local wall-clock hours turned into instants on this very day: DST is the zone's business.
            opens = datetime.combine(day, start_time, tzinfo=zone).timestamp()
            closes = datetime.combine(day, end_time, tzinfo=zone).timestamp()
            lo, hi = max(opens, first), min(closes - length, last)
            for piece_lo, piece_hi in forbidden[practitioner_id].subtract_from(lo, hi):
                point = opens + math.ceil((piece_lo - opens) / step) * step
                while point <= piece_hi:
                    found.append((point, practitioner_id))
                    point += step
    found.sort()
    return found


def _with_resources(candidates, *, length: float, rooms: Resources, devices: Resources | None, limit):
    """Slots from the sorted candidates: each start asks once for a room (and device) shared by all its candidates."""
    slots = []
    for point, group in groupby(candidates, key=itemgetter(0)):
        room_id = rooms.free_at(point)
        device_id = devices.free_at(point) if devices is not None else None
        if room_id is None or (devices is not None and device_id is None):
            continue
        start, end = datetime.fromtimestamp(point, tz=UTC), datetime.fromtimestamp(point + length, tz=UTC)
        for _, practitioner_id in group:
            slots.append(Slot(start, end, practitioner_id, room_id, device_id))
            if limit is not None and len(slots) >= limit:
                return slots
    return slots


def offer_free_slots_for_patient(
    *,
    patient: Patient,
    therapy_type: TherapyType,
    location: Location,
    start: datetime,
    end: datetime,
    relative_allowed: bool,
    practitioner: Practitioner | None = None,
    limit: int = 50,
) -> SlotOffer:
    """offer_free_slots for one patient, screened first: Contraindicated (before any slot) when screening blocks
    the patient on the search's first local day. An absolute finding always blocks; a relative one blocks unless
    `relative_allowed` (a practitioner, who may book over it with a reason). Slots on later days the patient is
    blocked (a condition's dates) are left out.
    """
    zone = location.zone

    def refused(day: date) -> ScreeningResult | None:
        result = visit_screen(patient=patient, therapy_type=therapy_type, on=day, relative_allowed=relative_allowed)
        return result if result.blocking else None

    first_day = timezone.localtime(start, zone).date()
    if (result := refused(first_day)) is not None:
        raise contraindicated(
            result.by_severity(),
            detail=f"{patient} cannot have {therapy_type.name} on {first_day:%d %b %Y}: {names(result.blocking)}.",
        )
    offer = offer_free_slots(
        therapy_type=therapy_type,
        location=location,
        start=start,
        end=end,
        practitioner=practitioner,
        limit=limit,
        patient=patient,
    )
    blocked_days: dict[date, bool] = {first_day: False}
    kept = []
    for slot in offer.slots:
        day = timezone.localtime(slot.start, zone).date()
        if day not in blocked_days:
            blocked_days[day] = refused(day) is not None
        if not blocked_days[day]:
            kept.append(slot)
    return SlotOffer(slots=kept, more=offer.more)


def _slots_by_day(search: _Search, *, cap: int) -> list[list[Slot]]:
    """The slots of each local day (days without any left out), at most `cap` a day, earliest first. A day that
    reached its cap skips the rest of its candidates without placing rooms for them."""
    by_day: dict[int, list] = defaultdict(list)
    for index, day_candidates in groupby(search.candidates, key=lambda item: bisect_right(search.day_starts, item[0])):
        by_day[index] = _with_resources(
            day_candidates, length=search.length, rooms=search.rooms, devices=search.devices, limit=cap
        )
    return [slots for _, slots in sorted(by_day.items()) if slots]
