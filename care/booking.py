"""The appointment's use cases, the one function every door calls (API, front desk, email links, planning, the
waitlist): book, move, cancel, check in, mark a no-show, complete.

Each runs in one transaction: the row is written on the calendar (scheduling.booking, which places it under locks
taken plan, appointment, practitioner, patient, room, device), and in the same transaction the reminders follow
(messaging.reminders), a hold is re-screened (care.holds), the plan's later sessions follow (care.planning) and
freed time is recorded for the waitlist (scheduling.freed, which queues the waitlist's task by name).
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from care.holds import appointment_hold_sync
from care.slots import ATTEMPTS_PER_SESSION, Preference, active_appointment, rank_slots, window_slots
from clinic.celery import enqueue_on_commit
from clinic.exceptions import ConsentMissing, DomainValidationError, SlotUnavailable
from clinic.redaction import written_by_clinician
from messaging.reminders import appointment_reminders_sync
from patients.models import Patient
from scheduling.booking import (
    appointment_save,
    appointment_status_change,
    appointment_write_cancel,
    appointment_write_move,
    appointment_write_new,
    fresh_session,
    overlap_refused,
    refuse_inactive_practitioner,
    refuse_too_early,
    treatment_day,
    validate_placement,
)
from scheduling.choices import AppointmentStatus, CancelledBy
from scheduling.events import appointment_event
from scheduling.freed import time_freed
from scheduling.models import Appointment, Device, Location, Practitioner, Room, SlotHold
from scheduling.screening import appointment_refuse_if_held
from treatments.choices import SessionStatus
from treatments.lots import lot_problems
from treatments.models import Product, ProductLot, TherapyType, TreatmentSession
from treatments.plans import plan_flag_attention
from treatments.sessions import session_complete, session_mark_unbooked, session_refuse_out_of_order

BOOK_NEXT_SESSION_TASK = "scheduling.tasks.book_next_session"


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
    slot_hold: SlotHold | None = None,
    hold_relative: bool = False,
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

    `slot_hold` (scheduling.slot_holds), when given, is the active hold this booking uses: its time is not a
    conflict, its room and device are used, and it is marked booked in the same transaction. With `hold_relative`
    a relative finding (and no absolute one) books the appointment on hold for a practitioner's review, its
    emails held until the release (an online request: the patient has not met a practitioner yet).
    """
    override_reason = (override_reason or "").strip()
    if slot_hold is not None:
        room, device, location = room or slot_hold.room, device or slot_hold.device, location or slot_hold.location
    if session is not None:
        session = fresh_session(session)
    validate_placement(
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
    with overlap_refused(), transaction.atomic():
        appointment = appointment_write_new(
            patient=patient,
            therapy_type=therapy_type,
            practitioner=practitioner,
            start=start,
            session=session,
            room=room,
            device=device,
            by=by,
            location=location,
            product=product,
            override_reason=override_reason,
            hold_relative=hold_relative,
            slot_hold=slot_hold,
        )
        if hold_relative:
            appointment_hold_sync(appointment)  # a relative finding: held until a practitioner reviews it
        appointment_reminders_sync(appointment, event="booked")
        appointment_event(appointment, "appointment.booked")
        cascade = sessions_follow_move(session=appointment.session, by=by) if session is not None else []
    appointment.cascade = cascade
    return appointment


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
    (sessions_follow_move, below; listed in the appointment's `cascade`) unless `move_later_sessions`
    is False, which planning itself uses while it walks the later sessions. With `sequence` (the appointment's
    calendar sequence as the client last read it), a move made meanwhile (e.g. by the patient's link) is Conflict,
    not overridden.
    """
    with overlap_refused(), transaction.atomic():
        appointment, session, freed = appointment_write_move(
            appointment=appointment,
            start=start,
            practitioner=practitioner,
            location=location,
            # A cascade moves later sessions one by one: the next one follows in the same walk.
            keep_order=move_later_sessions,
            sequence=sequence,
        )
        appointment_reminders_sync(appointment, event="moved")
        appointment_event(appointment, "appointment.rescheduled")
        if appointment.on_hold:
            appointment_hold_sync(appointment)
        time_freed(**freed, reason="moved")
        cascade = sessions_follow_move(session=session, by=by) if session is not None and move_later_sessions else []
    appointment.cascade = cascade
    return appointment


# --- life cycle ------------------------------------------------------------------------------------------


def appointment_cancel(
    *,
    appointment: Appointment,
    by=None,
    reason: str = "",
    cancelled_by: str = CancelledBy.PATIENT,
    move_later_sessions: bool = True,
    clinical_reason: bool = False,
) -> Appointment:
    """Cancel a booked appointment (held or not): the reason, the time and who cancelled (`cancelled_by`: the
    patient or the clinic) are kept, the slot is free again at once, the plan session goes back to planned (its
    later windows follow), pending or held reminders are cancelled (the patient gets the ordinary cancellation
    email) and the freed time is recorded for the waitlist (scheduling.freed, which queues the waitlist's task by
    name).

    Guarantees: a patient's cancellation within CLINIC_CANCELLATION_POLICY_HOURS of the start is marked
    `late_cancellation` (it counts in the patient's attendance); the clinic's never is (a practitioner's plan
    cancel or skip, a course whose later session could not be kept in its window). A cancelled appointment is not
    on hold: nothing is left to treat. For a plan session the later windows are recomputed and every later booked
    session that falls out of its window is moved into it or cancelled with the plan flagged (listed in the
    answer's `cascade`), unless `move_later_sessions` is False (a plan's own walk, which does that itself); a
    later session still booked behind an unbooked one puts the plan on the attention list. The reason is kept as
    clinical text (the front desk reads a neutral sentence: clinic.redaction) when `clinical_reason` says so or a
    clinician wrote it.
    """
    with transaction.atomic():
        appointment = appointment_write_cancel(
            appointment=appointment,
            reason=reason,
            cancelled_by=cancelled_by,
            clinical_reason=clinical_reason or written_by_clinician(by),
        )
        appointment_reminders_sync(appointment, event="cancelled")
        appointment_event(appointment, "appointment.cancelled")
        time_freed(
            practitioner_id=appointment.practitioner_id,
            location_id=appointment.location_id,
            start=appointment.start,
            end=appointment.end,
            reason="cancelled",
        )
        cascade = []
        if appointment.session_id and move_later_sessions:
            cascade = sessions_follow_move(session=appointment.session, by=by, because="was cancelled")
    appointment.cascade = cascade
    return appointment


def appointment_check_in(*, appointment: Appointment, by=None) -> Appointment:
    """Mark a booked patient as arrived (the time is kept).

    Guarantees: TooEarly before CLINIC_CHECK_IN_OPENS_MINUTES ahead of the start; Contraindicated while the
    appointment is on hold or screening blocks its patient on the treatment date.
    """
    with transaction.atomic():
        appointment = appointment_status_change(appointment, AppointmentStatus.CHECKED_IN)
        refuse_too_early(appointment, opens_minutes=settings.CLINIC_CHECK_IN_OPENS_MINUTES, action="checked in")
        refuse_inactive_practitioner(appointment, by=by, action="checked in")
        appointment_refuse_if_held(appointment, action="checked in")
        if appointment.session_id:
            session_refuse_out_of_order(session=appointment.session, action="checked in")
        appointment.checked_in_at = timezone.now()
        appointment_save(appointment)
        appointment_event(appointment, "appointment.checked_in")
    return appointment


def appointment_no_show(*, appointment: Appointment, by=None) -> Appointment:
    """Record that a booked patient did not come: the slot is freed, the plan session goes back to planned, the
    plan goes on the "needs attention" list (a missed session must be rebooked or the course reviewed) and the
    patient's no-show count goes up. TooEarly before the start. A missed appointment is not on hold, as a cancelled
    one is not: nothing is left to treat (the findings stay in its history)."""
    with transaction.atomic():
        appointment = appointment_status_change(appointment, AppointmentStatus.NO_SHOW)
        refuse_too_early(appointment, opens_minutes=0, action="marked a no-show")
        appointment_save(appointment)
        appointment_event(appointment, "appointment.no_show")
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
    if appointment.session_id:
        session_refuse_out_of_order(session=appointment.session, action="completed")
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
    as well and, after the commit, the next session of the plan is queued (care.tasks.book_next_session).
    """
    lot = product_lot if product_lot is None or isinstance(product_lot, ProductLot) else _known_lot(product_lot)
    with transaction.atomic():
        appointment = appointment_status_change(appointment, AppointmentStatus.COMPLETED)
        refuse_too_early(appointment, opens_minutes=0, action="completed")
        refuse_inactive_practitioner(appointment, by=by, action="completed")
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
        appointment_save(appointment)
        appointment_event(appointment, "appointment.completed")
        if appointment.session_id:
            _queue_next_session(appointment.session_id)
    return appointment


def _known_lot(pk) -> ProductLot | None:
    return ProductLot.objects.select_related("product").filter(pk=pk).first()


def _queue_next_session(session_id: int) -> None:
    """After commit, ask the worker to book the plan's next session; a broker outage must not undo the completion
    (logged, and the nightly closing-window check still catches the unbooked session)."""
    enqueue_on_commit(BOOK_NEXT_SESSION_TASK, session_id)


# --- the cascade ---------------------------------------------------------------------------------------


def sessions_follow_move(*, session: TreatmentSession, by=None, because: str = "moved") -> list[dict]:
    """After session k was booked, moved, cancelled or skipped (`because`; its later windows already recomputed),
    keep each later booked session in its window; returns the appointments changed, as the API's `cascade`
    ({"appointment", "status", "start"}).

    Guarantees: a later appointment still inside its window stays; one outside is moved to the nearest fit inside
    it (same practitioner and hour preferred); where none exists its appointment is cancelled by the clinic with
    the reason (not a late cancellation of the patient's), the session is unbooked and the plan flagged
    `needs_attention`. When session k is left unbooked with a later session still booked, the plan is flagged
    too: session k must be booked before it (or skipped). Runs inside the caller's transaction.
    """
    cascade = []
    later_ids = TreatmentSession.objects.filter(plan_id=session.plan_id, sequence__gt=session.sequence)
    for later_id in later_ids.order_by("sequence").values_list("pk", flat=True):
        later = TreatmentSession.objects.select_related("plan__patient", "plan__therapy_type").get(pk=later_id)
        appointment = active_appointment(later) if later.status == SessionStatus.BOOKED else None
        if appointment is None:
            continue
        zone = appointment.location.zone
        local_start = appointment.start.astimezone(zone)
        if later.window_start <= local_start.date() <= later.window_end:
            continue
        moved = _move_into_window(appointment=appointment, session=later, preferred=local_start, by=by)
        if moved is not None:
            cascade.append(cascade_entry(moved))
            continue
        reason = (
            f"Session {later.sequence} fell out of its window ({later.window_start:%d %b %Y} to "
            f"{later.window_end:%d %b %Y}) when session {session.sequence} {because}, and no free slot was found "
            f"in it: its appointment was cancelled; book it by hand."
        )
        cancelled = appointment_cancel(
            appointment=appointment,
            by=by,
            reason=reason,
            cancelled_by=CancelledBy.CLINIC,
            move_later_sessions=False,
        )
        plan_flag_attention(plan=later.plan, reason=reason)
        cascade.append(cascade_entry(cancelled))
    _flag_a_gap_before_booked(session)
    return cascade


def _flag_a_gap_before_booked(session: TreatmentSession) -> None:
    """Session k is unbooked while a later session stays booked: the plan asks a person to book k before it."""
    session.refresh_from_db(fields=["status"])
    if session.status != SessionStatus.PLANNED:
        return
    later = (
        TreatmentSession.objects.filter(
            plan_id=session.plan_id, sequence__gt=session.sequence, status=SessionStatus.BOOKED
        )
        .order_by("sequence")
        .first()
    )
    if later is not None:
        plan_flag_attention(
            plan=session.plan,
            reason=f"Session {session.sequence} is not booked but session {later.sequence} is, on "
            f"{later.scheduled_date:%d %b %Y}: book session {session.sequence} before it, or skip it.",
        )


def cascade_entry(appointment: Appointment) -> dict:
    return {"appointment": appointment.pk, "status": appointment.status, "start": appointment.start}


def _move_into_window(
    *, appointment: Appointment, session: TreatmentSession, preferred: datetime, by
) -> Appointment | None:
    preference = Preference(
        day=preferred.date(), practitioner_id=appointment.practitioner_id, time_of_day=preferred.time()
    )
    zone = appointment.location.zone
    ranked = rank_slots(window_slots(session, appointment.location, session.plan), preference, zone)
    ranked = ranked[:ATTEMPTS_PER_SESSION]
    practitioners = Practitioner.objects.in_bulk({slot.practitioner_id for slot in ranked})
    for slot in ranked:
        try:
            return appointment_reschedule(
                appointment=appointment,
                start=slot.start,
                practitioner=practitioners[slot.practitioner_id],
                by=by,
                move_later_sessions=False,
            )
        except SlotUnavailable:
            continue
    return None
