"""Writing an appointment row on the calendar: the checks of input, the status table, and the row written, moved
or cancelled inside the caller's transaction.

The use cases that join this with screening holds, a plan's order and cascade, reminders and the waitlist are
care.booking, the one function every door calls. `appointment_write_new` and `appointment_write_move` place the
visit under locks (scheduling.placement: plan, appointment, practitioner, patient, room, device, in that order).
On PostgreSQL the exclusion constraints of Appointment.Meta are the last line of defence; `overlap_refused` turns
their violation into the same SlotUnavailable. On SQLite the IMMEDIATE transaction serialises writers.
"""

from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from clinic.clock import local_date
from clinic.exceptions import Conflict, DomainValidationError, InvalidTransition, SlotUnavailable, TooEarly
from clinic.transitions import status_bulk_update, transition_check
from patients.models import Patient
from scheduling.choices import (
    APPOINTMENT_TRANSITIONS,
    SLOT_HOLD_TRANSITIONS,
    AppointmentStatus,
    CancelledBy,
    RoomKind,
    SlotHoldStatus,
)
from scheduling.locks import appointment_lock
from scheduling.models import (
    OVERLAP_CONSTRAINT_PREFIX,
    Appointment,
    Device,
    Location,
    Practitioner,
    Room,
    SlotHold,
    new_link_secret,
)
from scheduling.placement import place
from treatments.choices import PlanStatus, SessionStatus
from treatments.models import Product, TherapyType, TreatmentSession
from treatments.plans import plan_lock
from treatments.screening import findings_as_dicts, may_override
from treatments.sessions import session_mark_unbooked


def _label(status: str) -> str:
    return AppointmentStatus(status).label.lower()


def check_transition(appointment: Appointment, new_status: str) -> None:
    """Raise InvalidTransition unless APPOINTMENT_TRANSITIONS allows the change."""
    transition_check(
        APPOINTMENT_TRANSITIONS, current=appointment.status, new=new_status, what="appointment", label=_label
    )


# --- checks ----------------------------------------------------------------------------------------------


def validate_placement(
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
    if new_visit and not patient.active:
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


@contextmanager
def overlap_refused():
    """Around a writing transaction: the database's refusal of an overlap (PostgreSQL's exclusion constraints)
    becomes SlotUnavailable; any other IntegrityError passes."""
    try:
        yield
    except IntegrityError as exc:
        if refusing_overlap(exc):
            raise SlotUnavailable() from exc
        raise


def refusing_overlap(exc: IntegrityError) -> bool:
    """Whether the database refused the write for an overlap (the exclusion constraints' name prefix)."""
    return OVERLAP_CONSTRAINT_PREFIX in str(exc)


def fresh_session(session: TreatmentSession) -> TreatmentSession:
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


def appointment_save(appointment: Appointment) -> None:
    appointment.full_clean(exclude=[*_CHECKED_BY_THE_DATABASE, "created_by"], validate_constraints=False)
    appointment.save()


# --- writing the row ----------------------------------------------------------------------------------------


def appointment_write_new(
    *,
    patient: Patient,
    therapy_type: TherapyType,
    practitioner: Practitioner,
    start: datetime,
    session: TreatmentSession | None,
    room: Room | None,
    device: Device | None,
    by,
    location: Location | None,
    product: Product | None,
    override_reason: str,
    hold_relative: bool = False,
    slot_hold: SlotHold | None = None,
) -> Appointment:
    """Inside the caller's transaction, after validate_placement: lock the plan of a session and check it is open,
    place the visit (scheduling.placement.place) and write the appointment row. The session becomes booked.

    `slot_hold`, when given, is the active hold (scheduling.slot_holds) the visit takes: its time is no conflict,
    and it is marked booked with the row (SlotUnavailable when it is no longer held). With `hold_relative` a
    relative finding does not refuse (and records no override): the caller puts the visit on hold for review."""
    if session is not None:
        plan_lock(session.plan_id)
        session = fresh_session(session)
        if session.plan.status != PlanStatus.ACTIVE:
            raise InvalidTransition(f"The plan is {session.plan.status}: its sessions cannot be booked.")
        if session.status != SessionStatus.PLANNED:
            raise InvalidTransition(
                f"Session {session.sequence} is {session.status}: move or cancel its appointment instead."
            )
    location, room, device, result = place(
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
        hold_relative=hold_relative,
        slot_hold=slot_hold,
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
    if session is None and result.warnings and not hold_relative:
        appointment.override_reason = override_reason
        appointment.override_by = by
        appointment.override_at = timezone.now()
        appointment.overridden_findings = findings_as_dicts(result.warnings)
    appointment_save(appointment)
    appointment.placed_on_open_day = True  # place refused a closed day
    if slot_hold is not None:
        _slot_hold_used(slot_hold, appointment)
    return appointment


def _slot_hold_used(slot_hold: SlotHold, appointment: Appointment) -> None:
    """Mark the hold this booking used as booked; SlotUnavailable when it was no longer held (it expired, or was
    released, meanwhile): the transaction then writes nothing."""
    used = status_bulk_update(
        SlotHold.objects.active(timezone.now()).filter(pk=slot_hold.pk),
        table=SLOT_HOLD_TRANSITIONS,
        new=SlotHoldStatus.BOOKED,
        appointment=appointment,
        updated_at=timezone.now(),
    )
    if not used:
        raise SlotUnavailable("The time kept for this request is no longer held.")


def appointment_write_move(
    *,
    appointment: Appointment,
    start: datetime,
    practitioner: Practitioner | None,
    location: Location | None,
    keep_order: bool,
    sequence: int | None = None,
) -> tuple[Appointment, TreatmentSession | None, dict]:
    """Inside the caller's transaction: lock the booked appointment, check and place it at `start` (keeping its
    room and device when free) and write the row: the sequence goes up, the patient's confirmation is cleared and
    the links of earlier emails stop working. Returns the appointment, its (fresh) session and the time it freed.
    Conflict when `sequence` (as the client read it) is given and the appointment has moved since."""
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
    session = fresh_session(appointment.session) if appointment.session_id else None
    validate_placement(
        patient=appointment.patient,
        therapy_type=appointment.therapy_type,
        practitioner=practitioner,
        location=location,
        start=start,
        session=session,
        room=None,
        device=None,
    )
    location, room, device, _ = place(
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
        keep_order=keep_order,
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
    appointment_save(appointment)
    appointment.placed_on_open_day = True  # place refused a closed day
    return appointment, session, freed


# --- life cycle ------------------------------------------------------------------------------------------


def appointment_status_change(appointment: Appointment, new_status: str) -> Appointment:
    """Lock plan then appointment, check the table, set the status; the caller saves. Inside a transaction.

    A cancelled or missed appointment is no longer on hold: the hold guarded a treatment that will not happen; its
    findings stay in the appointment's history. Completing keeps the hold, which refuses the visit
    (scheduling.screening.appointment_refuse_if_held)."""
    appointment = appointment_lock(appointment)
    check_transition(appointment, new_status)
    appointment.status = new_status
    if new_status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
        appointment.on_hold, appointment.held_at, appointment.hold_findings = False, None, []
    return appointment


def refuse_too_early(appointment: Appointment, *, opens_minutes: int, action: str) -> None:
    """TooEarly before `opens_minutes` ahead of the start (the sentence names the local time it opens)."""
    opens = appointment.start - timedelta(minutes=opens_minutes)
    if timezone.now() < opens:
        local = timezone.localtime(opens, appointment.location.zone)
        raise TooEarly(f"The appointment cannot be {action} before {local:%d %b %Y %H:%M}.", opens_at=opens.isoformat())


def _is_late(appointment: Appointment, now) -> bool:
    """Cancelled within CLINIC_CANCELLATION_POLICY_HOURS of the start (or after it)."""
    return appointment.start - now < timedelta(hours=settings.CLINIC_CANCELLATION_POLICY_HOURS)


def appointment_write_cancel(
    *, appointment: Appointment, reason: str, cancelled_by: str, clinical_reason: bool = False
) -> Appointment:
    """Inside the caller's transaction: lock and cancel the booked appointment (reason, time and who cancelled
    kept; marked `late_cancellation` when the patient cancels within CLINIC_CANCELLATION_POLICY_HOURS, never when
    the clinic does); it is no longer on hold; its plan session goes back to planned. DomainValidationError for a
    `cancelled_by` that is neither the patient nor the clinic. A `clinical_reason` is a clinician's words: the
    front desk reads a neutral sentence (clinic.redaction)."""
    if cancelled_by not in CancelledBy.values:
        raise DomainValidationError(errors={"by": ["Say who cancels: " + " or ".join(CancelledBy.values) + "."]})
    appointment = appointment_status_change(appointment, AppointmentStatus.CANCELLED)
    appointment.cancel_reason = (reason or "").strip()
    appointment.cancel_reason_clinical = clinical_reason
    appointment.cancelled_at = timezone.now()
    appointment.cancelled_by = cancelled_by
    appointment.late_cancellation = cancelled_by == CancelledBy.PATIENT and _is_late(
        appointment, appointment.cancelled_at
    )
    appointment_save(appointment)
    if appointment.session_id:
        session_mark_unbooked(session=appointment.session)
    return appointment


def refuse_inactive_practitioner(appointment: Appointment, *, by, action: str) -> None:
    """Nobody checks in or completes a visit with a deactivated practitioner, nor does a deactivated practitioner
    (InvalidTransition): the visit is moved to another practitioner first."""
    if not appointment.practitioner.active:
        raise InvalidTransition(
            f"{appointment.practitioner} no longer takes appointments: move the appointment to another "
            f"practitioner before it is {action}.",
            current=appointment.status,
        )
    user_id = getattr(by, "pk", None)
    if user_id is not None and Practitioner.objects.filter(user_id=user_id, active=False).exists():
        raise InvalidTransition(
            f"Your practitioner account is deactivated: the appointment cannot be {action} by you.",
            current=appointment.status,
        )


def treatment_day(appointment: Appointment):
    """A visit's treatment date: its appointment's local date (not the moment the record was written)."""
    return local_date(appointment.start, appointment.location.zone)
