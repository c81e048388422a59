"""Placing a visit on the calendar: every check for [start, start + session length) under row locks, and the
choice of room and device.

Locks are taken in one order (plan, appointment, practitioner, patient, room, device), so concurrent bookings queue
instead of deadlocking. Screening runs once, on the treatment date (the local date at the location).
"""

from datetime import datetime, timedelta

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from clinic.clock import local_date
from clinic.exceptions import DomainValidationError, SlotUnavailable
from patients.models import Patient
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES, RoomKind
from scheduling.closures import closure_for
from scheduling.models import (
    Appointment,
    Device,
    Location,
    LocationClosure,
    Practitioner,
    Room,
    SlotHold,
    TimeOff,
    WorkingHours,
)
from scheduling.screening import appointment_screen
from treatments.models import Product, TherapyType, TreatmentSession
from treatments.screening import (
    ScreeningResult,
    contraindicated,
    names,
    visit_screen,
)
from treatments.sessions import session_mark_booked


def _screen(
    *,
    patient: Patient,
    therapy_type: TherapyType,
    session: TreatmentSession | None,
    product: Product | None,
    day,
    override_reason: str,
    hold_relative: bool = False,
) -> ScreeningResult:
    """Screening runs once at every booking, on the treatment date: a patient who started warfarin since the plan
    opened is refused, and a one-off is screened by its product's source as well as its therapy. Without a plan a
    relative finding refuses too unless a practitioner gave `override_reason` (checked by
    scheduling.booking.validate_placement); the result's warnings are then what the appointment's override accepts.
    With `hold_relative` a relative finding does not refuse: the caller books the appointment on hold for a
    practitioner's review."""
    plan = session.plan if session is not None else None
    result = visit_screen(
        patient=patient,
        therapy_type=therapy_type,
        product=product,
        plan=plan,
        on=day,
        relative_allowed=plan is None and (bool(override_reason) or hold_relative),
    )
    if result.blocking:
        detail = f"{patient} cannot be booked for {therapy_type.name}: {names(result.blocking)}."
        if plan is None and not any(finding.is_absolute for finding in result.blocking):
            detail += " A practitioner may book it with an override reason, or open a plan that records one."
        raise contraindicated(result if plan is not None else result.by_severity(), detail=detail)
    return result


def _working_location(
    practitioner: Practitioner, location: Location | None, start: datetime, end: datetime
) -> tuple[Location, bool, int]:
    """The location where the practitioner's working hours hold all of [start, end), whether they are away then
    and the largest buffer of any therapy (minutes); SlotUnavailable if they do not work then.

    One query: the time off and the largest buffer ride along each working-hours row as subqueries, so a booking
    does not pay a round trip for each.
    """
    away = TimeOff.objects.filter(practitioner=practitioner, start__lt=end, end__gt=start)
    largest_buffer = TherapyType.objects.order_by("-buffer_minutes").values("buffer_minutes")[:1]
    # Any local day of the start lies within a day of its UTC date: a closure near it is read exactly below.
    near = [start.date() + timedelta(days=offset) for offset in (-1, 0, 1)]
    closed_near = LocationClosure.objects.filter(location=OuterRef("location"), date__in=near)
    hours = WorkingHours.objects.filter(practitioner=practitioner, location__practitioners=practitioner)
    if location is not None:
        hours = hours.filter(location=location)
    hours = hours.select_related("location").annotate(
        away=Exists(away), largest_buffer=Subquery(largest_buffer), closed_near=Exists(closed_near)
    )
    for row in hours:
        zone = row.location.zone
        local_start = start.astimezone(zone)
        if local_start.weekday() != row.weekday:
            continue
        opens = datetime.combine(local_start.date(), row.start_time, tzinfo=zone)
        closes = datetime.combine(local_start.date(), row.end_time, tzinfo=zone)
        if opens <= start and end <= closes:
            closure = closure_for(location=row.location, day=local_start.date()) if row.closed_near else None
            if closure is not None:
                raise SlotUnavailable(f"{row.location} is closed that day ({closure.name}).")
            return row.location, row.away, row.largest_buffer or 0
    where = f" at {location}" if location is not None else ""
    raise SlotUnavailable(f"{practitioner} does not work{where} at that time.")


def _buffered_conflicts(
    *,
    start: datetime,
    end: datetime,
    therapy_type: TherapyType,
    largest_buffer: int,
    moving_pk: int | None,
    whose: Q,
    held: Q,
    using_hold_pk: int | None = None,
) -> list[tuple]:
    """Active appointments of `whose`, and active slot holds of `held` (but the one this booking uses), whose
    stretch plus buffer meets [start, end + this therapy's buffer); one query.

    Rows are (practitioner_id, room_id, device_id, patient_id); a hold has no patient. Back to back (one ends, with
    its buffer, when the other starts) is not a conflict. `largest_buffer` (minutes, any therapy) bounds how early
    a meeting one starts.
    """
    first, last = start - timedelta(minutes=largest_buffer), end + timedelta(minutes=therapy_type.buffer_minutes)
    columns = ("practitioner_id", "room_id", "device_id", "patient_id", "end", "buffer")
    booked = (
        Appointment.objects.overlapping(first, last)
        .filter(whose, status__in=ACTIVE_APPOINTMENT_STATUSES)
        .exclude(pk=moving_pk)
        .annotate(buffer=F("therapy_type__buffer_minutes"))
        .order_by()
        .values_list(*columns)
    )
    holds = (
        SlotHold.objects.active(timezone.now())
        .overlapping(first, last)
        .filter(held)
        .exclude(pk=using_hold_pk)
        .annotate(patient_id=Value(None, output_field=IntegerField()), buffer=F("therapy_type__buffer_minutes"))
        .order_by()
        .values_list(*columns)
    )
    return [row[:4] for row in booked.union(holds, all=True) if row[4] + timedelta(minutes=row[5]) > start]


def _pick(candidates: QuerySet, busy_ids: set[int], recheck, keep_id: int | None = None) -> object | None:
    """Lock the first candidate (by id; `keep_id` first) not known busy and confirm it is still free now that it
    is locked.

    Reading and locking the candidate is one statement. The first read of the conflicts may miss a booking another
    transaction is about to commit; the re-check after the lock cannot.
    """
    order = ("id",) if keep_id is None else (Case(When(pk=keep_id, then=Value(0)), default=Value(1)), "id")
    skipped = set(busy_ids)
    while True:
        candidate = candidates.exclude(pk__in=skipped).order_by(*order).select_for_update().first()
        if candidate is None or not recheck(candidate):
            return candidate
        skipped.add(candidate.pk)


def place(
    *,
    patient: Patient,
    therapy_type: TherapyType,
    practitioner: Practitioner,
    location: Location | None,
    start: datetime,
    session: TreatmentSession | None,
    room: Room | None,
    device: Device | None,
    moving: Appointment | None = None,
    product: Product | None = None,
    keep_order: bool = True,
    override_reason: str = "",
    hold_relative: bool = False,
    slot_hold: SlotHold | None = None,
) -> tuple[Location, Room, Device | None, ScreeningResult | None]:
    """Every check for [start, start + session) under locks; returns where it goes and, for a booking, the
    screening result. Active slot holds (scheduling.slot_holds) count as appointments, but `slot_hold`, the one
    this booking uses. Call inside a transaction."""
    end = start + timedelta(minutes=therapy_type.session_minutes)
    Practitioner.objects.select_for_update().filter(pk=practitioner.pk).values_list("pk", flat=True).get()
    Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk", flat=True).get()
    location, away, largest_buffer = _working_location(practitioner, location, start, end)
    day = local_date(start, location.zone)
    result = None
    if moving is None:
        result = _screen(
            patient=patient,
            therapy_type=therapy_type,
            session=session,
            product=product,
            day=day,
            override_reason=override_reason,
            hold_relative=hold_relative,
        )
    elif not moving.on_hold and (moved_result := appointment_screen(moving, start=start)).blocking:
        # A held appointment may still be moved (it stays held unless the new day is clear); a clear one may not
        # be moved onto a day its patient is blocked.
        raise contraindicated(moved_result, detail=f"{patient} cannot be treated on {day:%d %b %Y}.")
    for field, chosen in (("room", room), ("device", device)):
        if chosen is not None and chosen.location_id != location.pk:
            raise DomainValidationError(
                errors={field: [f"{chosen} is not at {location}, where {practitioner} works then."]}
            )
    if away:
        raise SlotUnavailable(f"{practitioner} is away at that time.")

    def conflicts(whose: Q, held: Q | None = None) -> list[tuple]:
        return _buffered_conflicts(
            start=start,
            end=end,
            therapy_type=therapy_type,
            largest_buffer=largest_buffer,
            moving_pk=moving.pk if moving else None,
            whose=whose,
            held=whose if held is None else held,
            using_hold_pk=slot_hold.pk if slot_hold is not None else None,
        )

    rows = conflicts(
        Q(practitioner=practitioner) | Q(patient=patient) | Q(location=location),
        held=Q(practitioner=practitioner) | Q(location=location),
    )
    if any(row[0] == practitioner.pk for row in rows):
        raise SlotUnavailable(f"{practitioner} already has an appointment at that time.")
    if any(row[3] == patient.pk for row in rows):
        raise SlotUnavailable(f"{patient} already has an appointment at that time.")

    # The patient keeps their room and device when a move leaves them free.
    rooms = (
        Room.objects.filter(pk=room.pk)
        if room
        else Room.objects.filter(location=location, active=True, kind=RoomKind.TREATMENT)
    )
    room = _pick(
        rooms,
        {row[1] for row in rows},
        lambda candidate: conflicts(Q(room=candidate)),
        keep_id=moving.room_id if moving is not None and room is None else None,
    )
    if room is None:
        raise SlotUnavailable("No treatment room is free at that time.")
    if therapy_type.device_kind:
        devices = (
            Device.objects.filter(pk=device.pk)
            if device
            else Device.objects.filter(location=location, active=True, kind=therapy_type.device_kind)
        )
        device = _pick(
            devices,
            {row[2] for row in rows},
            lambda candidate: conflicts(Q(device=candidate)),
            keep_id=moving.device_id if moving is not None and device is None else None,
        )
        if device is None:
            raise SlotUnavailable(f"No {therapy_type.device_kind} is free at that time.")
    if session is not None:
        session_mark_booked(session=session, start=start, time_zone=location.time_zone, keep_order=keep_order)
    return location, room, device, result
