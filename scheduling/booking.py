"""The one way an appointment is created, moved or changes status.

`appointment_book` and `appointment_reschedule` share one placement routine that runs inside the caller's single
transaction: it locks the plan (for a session), the practitioner and the patient, then the room and device it
picks, and checks skills, location, working hours, time off, overlap with buffers on every resource, the
session's window and screening. Locks are always taken in that order (plan, appointment, practitioner, patient,
room, device), so concurrent bookings queue instead of deadlocking. On PostgreSQL the exclusion constraints of
Appointment.Meta are the last line of defence; their violation becomes the same SlotUnavailable. On SQLite the
IMMEDIATE transaction serialises writers.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from clinic.celery import enqueue_on_commit
from clinic.clock import local_date
from clinic.exceptions import (
    Conflict,
    ConsentMissing,
    DomainValidationError,
    InvalidTransition,
    SlotUnavailable,
    TooEarly,
)
from clinic.redaction import written_by_clinician
from clinic.transitions import transition_check
from patients.models import Patient
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES, AppointmentStatus, RoomKind
from scheduling.closures import closure_for
from scheduling.freed import time_freed
from scheduling.holds import appointment_hold_sync, appointment_refuse_if_held, appointment_screen
from scheduling.locks import appointment_lock
from scheduling.models import (
    OVERLAP_CONSTRAINT_PREFIX,
    Appointment,
    Device,
    Location,
    LocationClosure,
    Practitioner,
    Room,
    TimeOff,
    WorkingHours,
    new_link_secret,
)
from scheduling.reminders import appointment_reminders_sync
from treatments.choices import PlanStatus, SessionStatus
from treatments.lots import lot_problems
from treatments.models import Product, ProductLot, TherapyType, TreatmentSession
from treatments.plans import plan_flag_attention, plan_lock
from treatments.screening import (
    ScreeningResult,
    contraindicated,
    findings_as_dicts,
    may_override,
    names,
    plan_screen,
    screen,
)
from treatments.sessions import session_complete, session_mark_booked, session_mark_unbooked

APPOINTMENT_TRANSITIONS: dict[str, set[str]] = {
    AppointmentStatus.BOOKED: {AppointmentStatus.CHECKED_IN, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW},
    AppointmentStatus.CHECKED_IN: {AppointmentStatus.COMPLETED},
    AppointmentStatus.COMPLETED: set(),
    AppointmentStatus.CANCELLED: set(),
    AppointmentStatus.NO_SHOW: set(),
}


def _label(status: str) -> str:
    return AppointmentStatus(status).label.lower()


def check_transition(appointment: Appointment, new_status: str) -> None:
    """Raise InvalidTransition unless APPOINTMENT_TRANSITIONS allows the change."""
    transition_check(
        APPOINTMENT_TRANSITIONS, current=appointment.status, new=new_status, what="appointment", label=_label
    )


# --- checks ----------------------------------------------------------------------------------------------


def _validate(
    *,
    patient: Patient,
    therapy_type: TherapyType,
    practitioner: Practitioner,
    location: Location | None,
    start: datetime,
    session: TreatmentSession | None,
    room: Room | None,
    device: Device | None,
    product: Product | None = None,
    new_visit: bool = False,
    override_reason: str = "",
    by=None,
) -> None:
    """Input a person must correct (400): nothing here depends on what else is booked. A new visit's product is
    checked too (a move keeps the product the visit has), and only a practitioner may give an override reason."""
    errors: dict[str, list[str]] = {}
    if override_reason and not may_override(by):
        errors["override_reason"] = ["Only a practitioner may override a contraindication."]
    if new_visit and (problems := product_problems(therapy_type=therapy_type, session=session, product=product)):
        errors["product"] = problems
    if not isinstance(start, datetime) or timezone.is_naive(start):
        raise DomainValidationError(errors={"start": ["Give a date and time with its UTC offset."]})
    notice = settings.CLINIC_MIN_NOTICE_MINUTES
    horizon = settings.CLINIC_BOOKING_HORIZON_DAYS
    if start < timezone.now() + timedelta(minutes=notice):
        errors["start"] = [f"Choose a time at least {notice} minutes from now."]
    elif start > timezone.now() + timedelta(days=horizon):
        errors["start"] = [f"Appointments can be booked at most {horizon} days ahead."]
    if not patient.active:
        errors["patient"] = ["This patient is deactivated; reactivate them in the admin before booking."]
    if not practitioner.active:
        errors["practitioner"] = [f"{practitioner} no longer takes appointments."]
    elif not practitioner.therapy_types.filter(pk=therapy_type.pk).exists():
        errors["practitioner"] = [f"{practitioner} does not give {therapy_type.name}."]
    elif location is not None and not practitioner.locations.filter(pk=location.pk).exists():
        errors["practitioner"] = [f"{practitioner} does not work at {location}."]
    if session is not None:
        if session.plan.patient_id != patient.pk:
            errors["session"] = ["That session belongs to another patient's plan."]
        elif session.plan.therapy_type_id != therapy_type.pk:
            errors["session"] = [f"That session is for {session.plan.therapy_type.name}, not {therapy_type.name}."]
    if room is not None and (
        not room.active or room.kind != RoomKind.TREATMENT or (location and room.location_id != location.pk)
    ):
        errors["room"] = [f"{room} is not an available treatment room here."]
    if device is not None:
        if not therapy_type.device_kind:
            errors["device"] = [f"{therapy_type.name} needs no device."]
        elif device.kind != therapy_type.device_kind or not device.active:
            errors["device"] = [f"{device} is not an available {therapy_type.device_kind}."]
        elif location and device.location_id != location.pk:
            errors["device"] = [f"{device} is not at {location}."]
    if errors:
        raise DomainValidationError(errors=errors)


def product_problems(
    *, therapy_type: TherapyType, product: Product | None, session: TreatmentSession | None = None
) -> list[str]:
    """A one-off names the product where its therapy uses one; a plan session uses the plan's (naming it is
    optional, naming another is refused)."""
    if session is not None:
        if product is not None and product.pk != session.plan.product_id:
            return ["A plan session uses the plan's product: leave the product empty."]
        return []
    if product is None:
        return [f"{therapy_type.name} uses a product: choose one."] if therapy_type.requires_product else []
    if product.therapy_type_id != therapy_type.pk:
        return [f"{product.name} is not a product for {therapy_type.name}."]
    if not product.active:
        return [f"{product.name} is no longer in use."]
    return []


def _screen(
    *,
    patient: Patient,
    therapy_type: TherapyType,
    session: TreatmentSession | None,
    product: Product | None,
    day,
    override_reason: str,
) -> ScreeningResult:
    """Screening runs once at every booking, on the treatment date: a patient who started warfarin since the plan
    opened is refused, and a one-off is screened by its product's source as well as its therapy. Without a plan a
    relative finding refuses too unless a practitioner gave `override_reason` (checked by _validate); the result's
    warnings are then what the appointment's override accepts."""
    if session is not None:
        result = plan_screen(session.plan, on=day)
        refused = result.blocking
    else:
        result = screen(patient, therapy_type, product, on=day)
        refused = result.blocking + ([] if override_reason else result.warnings)
    if refused:
        detail = f"{patient} cannot be booked for {therapy_type.name}: {names(refused)}."
        if not result.blocking:
            detail += " A practitioner may book it with an override reason, or open a plan that records one."
        raise contraindicated(result, detail=detail)
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
    *, start: datetime, end: datetime, therapy_type: TherapyType, largest_buffer: int, moving_pk: int | None, whose: Q
) -> list[tuple]:
    """Active appointments of `whose` whose stretch plus buffer meets [start, end + this therapy's buffer).

    Rows are (practitioner_id, room_id, device_id, patient_id). Back to back (one ends, with its buffer, when the
    other starts) is not a conflict. `largest_buffer` (minutes, any therapy) bounds how early a meeting one starts.
    """
    rows = (
        Appointment.objects.overlapping(
            start - timedelta(minutes=largest_buffer), end + timedelta(minutes=therapy_type.buffer_minutes)
        )
        .filter(whose, status__in=ACTIVE_APPOINTMENT_STATUSES)
        .exclude(pk=moving_pk)
        .values_list("practitioner_id", "room_id", "device_id", "patient_id", "end", "therapy_type__buffer_minutes")
    )
    return [row[:4] for row in rows if row[4] + timedelta(minutes=row[5]) > start]


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


def _place(
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
) -> tuple[Location, Room, Device | None, ScreeningResult | None]:
    """Every check for [start, start + session) under locks; returns where it goes and, for a booking, the
    screening result. Call inside a transaction."""
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

    def conflicts(whose: Q) -> list[tuple]:
        return _buffered_conflicts(
            start=start,
            end=end,
            therapy_type=therapy_type,
            largest_buffer=largest_buffer,
            moving_pk=moving.pk if moving else None,
            whose=whose,
        )

    rows = conflicts(Q(practitioner=practitioner) | Q(patient=patient) | Q(location=location))
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


def _refusing_overlap(exc: IntegrityError) -> bool:
    return OVERLAP_CONSTRAINT_PREFIX in str(exc)


def _fresh_session(session: TreatmentSession) -> TreatmentSession:
    return TreatmentSession.objects.select_related("plan__patient", "plan__therapy_type", "plan__product").get(
        pk=session.pk
    )


# The related rows were read or locked in this very transaction, and the database's foreign keys and CHECK
# constraints hold on save: asking again would cost a query each on the one path every booking takes.
_CHECKED_BY_THE_DATABASE = [
    "patient",
    "practitioner",
    "location",
    "room",
    "device",
    "therapy_type",
    "session",
    "plan",
    "product",
    "product_lot",
    "consent",
    "completed_by",
]


def _save(appointment: Appointment) -> None:
    appointment.full_clean(exclude=[*_CHECKED_BY_THE_DATABASE, "created_by"], validate_constraints=False)
    appointment.save()


# --- booking and moving ----------------------------------------------------------------------------------


def appointment_book(
    *,
    patient: Patient,
    therapy_type: TherapyType,
    practitioner: Practitioner,
    start: datetime,
    session: TreatmentSession | None = None,
    room: Room | None = None,
    device: Device | None = None,
    by=None,
    location: Location | None = None,
    product: Product | None = None,
    override_reason: str = "",
) -> Appointment:
    """Book [start, start + session length) for the patient, or refuse and write nothing.

    Guarantees, checked in one transaction under locks: the practitioner gives the therapy and works then (at
    `location`, or wherever their hours hold the time), is not away, and neither they, the patient, the room nor
    the device (picked when not given: the lowest free one) has another active appointment overlapping once
    buffers are added (SlotUnavailable); the session is planned, of this patient and therapy, and the day is in
    its window and before any later session booked or given (OutsidePlanWindow); screening on the treatment date
    passes (Contraindicated: plan_screen for a session; screen otherwise, by therapy and by the product's source,
    where a relative finding refuses unless a practitioner gives `override_reason`, kept on the appointment with
    who and when). `location`, when given, is where it is booked or the refusal says why not. A one-off names its
    product where the therapy uses one; a session takes the plan's. The session becomes booked, later sessions
    that now fall out of their windows are moved or cancelled (listed in the appointment's `cascade`), and the
    reminders are written with the appointment.
    """
    override_reason = (override_reason or "").strip()
    if session is not None:
        session = _fresh_session(session)
    _validate(
        patient=patient,
        therapy_type=therapy_type,
        practitioner=practitioner,
        location=location,
        start=start,
        session=session,
        room=room,
        device=device,
        product=product,
        new_visit=True,
        override_reason=override_reason,
        by=by,
    )
    cascade: list[dict] = []
    try:
        with transaction.atomic():
            if session is not None:
                plan_lock(session.plan_id)
                session = _fresh_session(session)
                if session.plan.status != PlanStatus.ACTIVE:
                    raise InvalidTransition(f"The plan is {session.plan.status}: its sessions cannot be booked.")
                if session.status != SessionStatus.PLANNED:
                    raise InvalidTransition(
                        f"Session {session.sequence} is {session.status}: move or cancel its appointment instead."
                    )
            location, room, device, result = _place(
                patient=patient,
                therapy_type=therapy_type,
                practitioner=practitioner,
                location=location,
                start=start,
                session=session,
                room=room,
                device=device,
                product=product,
                override_reason=override_reason,
            )
            appointment = Appointment(
                patient=patient,
                practitioner=practitioner,
                location=location,
                room=room,
                device=device,
                therapy_type=therapy_type,
                session=session,
                plan=session.plan if session else None,
                product=session.plan.product if session else product,
                start=start,
                end=start + timedelta(minutes=therapy_type.session_minutes),
                created_by=by,
            )
            if session is None and result.warnings:
                appointment.override_reason = override_reason
                appointment.override_by = by
                appointment.override_at = timezone.now()
                appointment.overridden_findings = findings_as_dicts(result.warnings)
            _save(appointment)
            appointment.placed_on_open_day = True  # _place refused a closed day
            appointment_reminders_sync(appointment, event="booked")
            if session is not None:
                cascade = _later_sessions_follow(session, by)
    except IntegrityError as exc:
        if _refusing_overlap(exc):
            raise SlotUnavailable() from exc
        raise
    appointment.cascade = cascade
    return appointment


def _later_sessions_follow(session: TreatmentSession, by) -> list[dict]:
    """Keep the sessions after `session` in their (recomputed) windows; the appointments changed, as `cascade`."""
    # planning builds on this module; importing it here keeps the import graph one way.
    from scheduling.planning import sessions_follow_move

    return sessions_follow_move(session=session, by=by)


def appointment_reschedule(
    *,
    appointment: Appointment,
    start: datetime,
    practitioner: Practitioner | None = None,
    by=None,
    move_later_sessions: bool = True,
    location: Location | None = None,
    sequence: int | None = None,
) -> Appointment:
    """Move a booked appointment to `start` (and optionally another practitioner), atomically, or refuse.

    Guarantees: the same checks as appointment_book at the new time, ignoring the appointment itself; it keeps
    its location (or moves to `location`, when given) and, when free, its room and device; an appointment on hold
    may be moved (re-screened on the new day: it stays held, or the hold lifts), one not on hold is refused a day
    its patient is blocked; the calendar sequence goes up, the reminders follow, the patient's
    confirmation is cleared and the links of earlier emails stop working. For
    a plan session, it may not go on or after a later booked session (OutsidePlanWindow), and later sessions that
    fall out of their recomputed windows are moved to the nearest fit or cancelled with the plan flagged
    (scheduling.planning.sessions_follow_move; listed in the appointment's `cascade`) unless `move_later_sessions`
    is False, which planning itself uses while it walks the later sessions. With `sequence` (the appointment's
    calendar sequence as the client last read it), a move made meanwhile (e.g. by the patient's link) is Conflict,
    not overridden.
    """
    try:
        with transaction.atomic():
            appointment = appointment_lock(appointment)
            if sequence is not None and sequence != appointment.sequence:
                raise Conflict(current_sequence=appointment.sequence)
            if appointment.status != AppointmentStatus.BOOKED:
                raise InvalidTransition(
                    f"Only a booked appointment can be moved; this one is {appointment.get_status_display().lower()}.",
                    current=appointment.status,
                )
            practitioner = practitioner or appointment.practitioner
            location = location or appointment.location
            freed = {
                "practitioner_id": appointment.practitioner_id,
                "location_id": appointment.location_id,
                "start": appointment.start,
                "end": appointment.end,
            }
            session = _fresh_session(appointment.session) if appointment.session_id else None
            _validate(
                patient=appointment.patient,
                therapy_type=appointment.therapy_type,
                practitioner=practitioner,
                location=location,
                start=start,
                session=session,
                room=None,
                device=None,
            )
            location, room, device, _ = _place(
                patient=appointment.patient,
                therapy_type=appointment.therapy_type,
                practitioner=practitioner,
                location=location,
                start=start,
                session=session,
                room=None,
                device=None,
                moving=appointment,
                product=appointment.product,
                # A cascade moves later sessions one by one: the next one follows in the same walk.
                keep_order=move_later_sessions,
            )
            appointment.practitioner, appointment.location, appointment.room, appointment.device = (
                practitioner,
                location,
                room,
                device,
            )
            appointment.start = start
            appointment.end = start + timedelta(minutes=appointment.therapy_type.session_minutes)
            appointment.sequence += 1
            # A new time must be confirmed again, and the links of earlier emails must change nothing.
            appointment.patient_confirmed_at = None
            appointment.link_secret = new_link_secret()
            _save(appointment)
            appointment.placed_on_open_day = True  # _place refused a closed day
            appointment_reminders_sync(appointment, event="moved")
            if appointment.on_hold:
                appointment_hold_sync(appointment)
            time_freed(**freed, reason="moved")
            cascade = _later_sessions_follow(session, by) if session is not None and move_later_sessions else []
    except IntegrityError as exc:
        if _refusing_overlap(exc):
            raise SlotUnavailable() from exc
        raise
    appointment.cascade = cascade
    return appointment


# --- life cycle ------------------------------------------------------------------------------------------


def _change_status(appointment: Appointment, new_status: str) -> Appointment:
    """Lock plan then appointment, check the table, set the status; the caller saves. Inside a transaction."""
    appointment = appointment_lock(appointment)
    check_transition(appointment, new_status)
    appointment.status = new_status
    return appointment


def _too_early(appointment: Appointment, *, opens_minutes: int, action: str) -> None:
    opens = appointment.start - timedelta(minutes=opens_minutes)
    if timezone.now() < opens:
        local = timezone.localtime(opens, appointment.location.zone)
        raise TooEarly(f"The appointment cannot be {action} before {local:%d %b %Y %H:%M}.", opens_at=opens.isoformat())


def _is_late(appointment: Appointment, now) -> bool:
    """Cancelled within CLINIC_CANCELLATION_POLICY_HOURS of the start (or after it)."""
    return appointment.start - now < timedelta(hours=settings.CLINIC_CANCELLATION_POLICY_HOURS)


def appointment_cancel(
    *, appointment: Appointment, by=None, reason: str = "", by_clinic: bool = False, clinical_reason: bool = False
) -> Appointment:
    """Cancel a booked appointment (held or not): the reason and time are kept, the slot is free again at once,
    the plan session goes back to planned (its later windows follow), pending or held reminders are cancelled (the
    patient gets the ordinary cancellation email) and the freed time is recorded for the waitlist
    (scheduling.freed).

    Guarantees: a cancellation within CLINIC_CANCELLATION_POLICY_HOURS of the start is marked `late_cancellation`
    (it counts in the patient's attendance), unless the clinic itself cancels (`by_clinic`, e.g. a course whose
    later session could not be kept in its window). The reason is kept as clinical text (the front desk reads a
    neutral sentence: clinic.redaction) when `clinical_reason` says so or a clinician wrote it.
    """
    with transaction.atomic():
        appointment = _change_status(appointment, AppointmentStatus.CANCELLED)
        appointment.cancel_reason = (reason or "").strip()
        appointment.cancel_reason_clinical = clinical_reason or written_by_clinician(by)
        appointment.cancelled_at = timezone.now()
        appointment.late_cancellation = not by_clinic and _is_late(appointment, appointment.cancelled_at)
        _save(appointment)
        if appointment.session_id:
            session_mark_unbooked(session=appointment.session)
        appointment_reminders_sync(appointment, event="cancelled")
        time_freed(
            practitioner_id=appointment.practitioner_id,
            location_id=appointment.location_id,
            start=appointment.start,
            end=appointment.end,
            reason="cancelled",
        )
    return appointment


def appointment_check_in(*, appointment: Appointment, by=None) -> Appointment:
    """Mark a booked patient as arrived (the time is kept).

    Guarantees: TooEarly before CLINIC_CHECK_IN_OPENS_MINUTES ahead of the start; Contraindicated while the
    appointment is on hold or screening blocks its patient on the treatment date.
    """
    with transaction.atomic():
        appointment = _change_status(appointment, AppointmentStatus.CHECKED_IN)
        _too_early(appointment, opens_minutes=settings.CLINIC_CHECK_IN_OPENS_MINUTES, action="checked in")
        appointment_refuse_if_held(appointment, action="checked in")
        appointment.checked_in_at = timezone.now()
        _save(appointment)
    return appointment


def appointment_no_show(*, appointment: Appointment, by=None) -> Appointment:
    """Record that a booked patient did not come: the slot is freed, the plan session goes back to planned, the
    plan goes on the "needs attention" list (a missed session must be rebooked or the course reviewed) and the
    patient's no-show count goes up. TooEarly before the start."""
    with transaction.atomic():
        appointment = _change_status(appointment, AppointmentStatus.NO_SHOW)
        _too_early(appointment, opens_minutes=0, action="marked a no-show")
        _save(appointment)
        if appointment.session_id:
            session = appointment.session
            session_mark_unbooked(session=session)
            local_day = timezone.localdate(appointment.start, timezone=appointment.location.zone)
            plan_flag_attention(
                plan=session.plan,
                reason=f"Session {session.sequence} was missed on {local_day:%d %b %Y} (no-show): "
                "book it again or review the course.",
            )
    return appointment


def treatment_day(appointment: Appointment):
    """A visit's treatment date: its appointment's local date (not the moment the record was written)."""
    return local_date(appointment.start, appointment.location.zone)


def _record_visit(appointment: Appointment, *, by, notes: str, lot: ProductLot | None, lot_given: bool) -> None:
    """Check and write the visit's clinical record onto the (locked) appointment; the caller saves.

    Consent first (ConsentMissing), then the lot (of the visit's product, released, in date on the treatment
    day: DomainValidationError on product_lot), then screening on the day, once, with the plan's and the
    appointment's overrides (Contraindicated, also while the appointment is on hold).
    """
    if appointment.session_id:
        plan = appointment.plan
        consent = plan.consents.order_by("-consented_at", "-pk").first()
    else:
        consent = appointment.consent
    if consent is None:
        raise ConsentMissing()
    if lot_given and lot is None:
        problems = ["Choose a known lot."]
    else:
        problems = lot_problems(lot=lot, product=appointment.product, day=treatment_day(appointment))
    if problems:
        raise DomainValidationError(errors={"product_lot": problems})
    appointment_refuse_if_held(appointment, action="completed")
    appointment.consent = consent
    appointment.notes = notes
    appointment.product_lot = lot
    appointment.completed_by = by


def appointment_complete(
    *, appointment: Appointment, by, notes: str = "", product_lot: ProductLot | int | None = None
) -> Appointment:
    """Complete a checked-in appointment and write the clinical record of the visit, plan session or one-off.

    Guarantees: TooEarly before the start; refused without consent (ConsentMissing: the plan's for a session,
    the visit's own for a one-off); a visit that uses a product records a released lot of that product, in date on
    the treatment day (DomainValidationError on product_lot); screening on the day passes, a one-off by its
    product's source too (Contraindicated, also while on hold). Who, when, the notes, the lot and the consent are
    kept on the appointment; for a plan session treatments.sessions.session_complete records them on the session
    as well and, after the commit, the next session of the plan is queued (scheduling.tasks.book_next_session).
    """
    lot = product_lot if product_lot is None or isinstance(product_lot, ProductLot) else _known_lot(product_lot)
    with transaction.atomic():
        appointment = _change_status(appointment, AppointmentStatus.COMPLETED)
        _too_early(appointment, opens_minutes=0, action="completed")
        appointment.completed_at = timezone.now()
        _record_visit(appointment, by=by, notes=notes, lot=lot, lot_given=product_lot is not None)
        if appointment.session_id:
            session_complete(
                session=appointment.session,
                by=by,
                completed_at=appointment.completed_at,
                notes=notes,
                product_lot=lot,
                treatment_date=treatment_day(appointment),
            )
        _save(appointment)
        if appointment.session_id:
            _queue_next_session(appointment.session_id)
    return appointment


def _known_lot(pk) -> ProductLot | None:
    return ProductLot.objects.select_related("product").filter(pk=pk).first()


def _queue_next_session(session_id: int) -> None:
    """After commit, ask the worker to book the plan's next session; a broker outage must not undo the completion
    (logged, and the nightly closing-window check still catches the unbooked session)."""
    enqueue_on_commit("scheduling.tasks.book_next_session", session_id)
