"""Placing a plan's sessions in their windows, and keeping later sessions in theirs when one moves.

This module only chooses times; every write goes through care.booking, the one writer (which also keeps later
sessions in their windows when one moves: sessions_follow_move). No session is dropped silently: one that cannot
be placed stays unbooked and its plan is put on the "needs attention" list with the reason.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction

from care.booking import appointment_book, appointment_cancel, cascade_entry, sessions_follow_move
from care.holds import appointments_rescreen
from care.slots import ATTEMPTS_PER_SESSION, Preference, active_appointment, rank_slots, window_slots
from clinic.clock import clinic_today
from clinic.exceptions import Contraindicated, DomainValidationError, InvalidTransition, SlotUnavailable
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES, AppointmentStatus, CancelledBy
from scheduling.models import Appointment, Location, Practitioner
from treatments.choices import PlanStatus, SessionStatus
from treatments.models import TreatmentPlan, TreatmentSession
from treatments.plans import RESCREEN_ATTENTION, plan_cancel, plan_clear_attention, plan_flag_attention, plan_lock
from treatments.sessions import session_skip

BOOKED = "booked"
MOVED = "moved"
ALREADY_BOOKED = "already booked"


@dataclass(frozen=True)
class PlacementResult:
    """What became of one session: the appointment it has now (or None) and a sentence saying why."""

    session_id: int
    sequence: int
    appointment_id: int | None
    reason: str


# --- choosing a time -------------------------------------------------------------------------------------


def _plan_location(plan: TreatmentPlan) -> Location | None:
    """Where the plan's last appointment was; for a new plan, the first location offering the therapy."""
    last = plan.appointments.select_related("location").order_by("-start").first()
    if last is not None:
        return last.location
    return (
        Location.objects.filter(practitioners__therapy_types=plan.therapy_type, practitioners__active=True)
        .order_by("id")
        .first()
    )


def _previous_appointment(plan: TreatmentPlan, sequence: int) -> Appointment | None:
    """The latest kept appointment of an earlier session: its practitioner and hour are the ones to repeat. A new
    course's first session repeats the patient's latest kept visit outside the plan (the practitioner they know,
    the hour that suits them), if any."""
    kept = (*ACTIVE_APPOINTMENT_STATUSES, AppointmentStatus.COMPLETED)
    earlier = plan.appointments.filter(session__sequence__lt=sequence, status__in=kept).order_by("-start").first()
    if earlier is not None or sequence > 1:
        return earlier
    return (
        Appointment.objects.filter(patient_id=plan.patient_id, status__in=kept)
        .exclude(plan_id=plan.pk)
        .order_by("-start")
        .first()
    )


def _book_in_window(*, plan: TreatmentPlan, session: TreatmentSession, location: Location, by) -> Appointment | None:
    """Book the session at its earliest fit, repeating the previous session's practitioner and hour where it can."""
    zone = location.zone
    previous = _previous_appointment(plan, session.sequence)
    preference = Preference(
        day=session.window_start,
        practitioner_id=previous.practitioner_id if previous else None,
        time_of_day=previous.start.astimezone(zone).time() if previous else None,
    )
    ranked = rank_slots(window_slots(session, location, plan), preference, zone)[:ATTEMPTS_PER_SESSION]
    practitioners = Practitioner.objects.in_bulk({slot.practitioner_id for slot in ranked})
    for slot in ranked:
        try:
            return appointment_book(
                patient=plan.patient,
                therapy_type=plan.therapy_type,
                practitioner=practitioners[slot.practitioner_id],
                start=slot.start,
                session=session,
                location=location,
                by=by,
            )
        except SlotUnavailable:
            continue
    return None


def _no_slot_reason(session: TreatmentSession) -> str:
    return (
        f"No free slot for session {session.sequence} between {session.window_start:%d %b %Y} and "
        f"{session.window_end:%d %b %Y}: book it by hand or widen the plan's interval."
    )


# --- use cases -------------------------------------------------------------------------------------------


def plan_schedule(*, plan: TreatmentPlan, by=None) -> list[PlacementResult]:
    """Book every unbooked session of an active plan in its window, in order, in one transaction.

    Guarantees: each session gets its earliest fit, preferring the previous session's practitioner and time of
    day; a session with no fit stays unbooked, the plan is flagged `needs_attention` with the reason, and the
    sessions after it (whose windows count from it) wait. One result per open session says what happened.
    Screening refuses the whole request (Contraindicated) and then nothing is booked.
    """
    with transaction.atomic():
        plan = plan_lock(plan.pk)
        if plan.status != PlanStatus.ACTIVE:
            raise InvalidTransition(f"The plan is {plan.status}: its sessions cannot be booked.")
        location = _plan_location(plan)
        results = []
        waiting_for = None
        for session_id in plan.sessions.order_by("sequence").values_list("pk", flat=True):
            # Re-read each session: booking the one before it moved its window.
            session = TreatmentSession.objects.get(pk=session_id)
            if session.status == SessionStatus.BOOKED:
                current = active_appointment(session)
                results.append(
                    PlacementResult(session.pk, session.sequence, current.pk if current else None, ALREADY_BOOKED)
                )
                continue
            if session.status != SessionStatus.PLANNED:
                continue
            if waiting_for is not None:
                reason = f"Waits for session {waiting_for}: its window counts from that session."
                results.append(PlacementResult(session.pk, session.sequence, None, reason))
                continue
            appointment = _book_in_window(plan=plan, session=session, location=location, by=by) if location else None
            if appointment is not None:
                results.append(PlacementResult(session.pk, session.sequence, appointment.pk, BOOKED))
                continue
            reason = _no_slot_reason(session)
            plan_flag_attention(plan=plan, reason=reason)
            waiting_for = session.sequence
            results.append(PlacementResult(session.pk, session.sequence, None, reason))
    return results


def session_book_next(*, session_id: int) -> Appointment | None:
    """Book the session that follows `session_id` in its plan (the Celery task after a completion calls this).

    Guarantees: idempotent: when that session already has an active appointment, that appointment is returned and
    nothing is written. Nothing happens for an inactive plan or after the last session. Where no slot fits or
    screening now refuses, the session stays unbooked and the plan is flagged `needs_attention` with the reason.
    """
    with transaction.atomic():
        done = TreatmentSession.objects.filter(pk=session_id).values("plan_id", "sequence").first()
        if done is None:
            return None
        plan = plan_lock(done["plan_id"])
        following = plan.sessions.filter(sequence=done["sequence"] + 1).first()
        if plan.status != PlanStatus.ACTIVE or following is None:
            return None
        if following.status == SessionStatus.BOOKED:
            return active_appointment(following)
        if following.status != SessionStatus.PLANNED:
            return None
        location = _plan_location(plan)
        try:
            appointment = (
                _book_in_window(plan=plan, session=following, location=location, by=None) if location else None
            )
        except Contraindicated:
            # The front desk reads the flag: it says what to do, the findings are the practitioner's to screen.
            plan_flag_attention(plan=plan, reason=f"Session {following.sequence} was not booked: {RESCREEN_ATTENTION}")
            return None
        if appointment is None:
            plan_flag_attention(plan=plan, reason=_no_slot_reason(following))
        return appointment


def plans_flag_closing_windows(*, today: date | None = None, days: int = 7) -> int:
    """Flag every active plan whose next unbooked session's window closes within `days` (or has closed).

    Guarantees: the reason names the session and the date; a plan already flagged for the same reason is left
    as it is, so running it twice flags nothing new. Returns the number of plans newly flagged or given a new
    reason. Each plan is flagged in its own transaction.
    """
    today = today or clinic_today()
    horizon = today + timedelta(days=days)
    closing = (
        TreatmentSession.objects.filter(
            plan__status=PlanStatus.ACTIVE, status=SessionStatus.PLANNED, window_end__lte=horizon
        )
        .select_related("plan")
        .order_by("plan_id", "sequence")
    )
    flagged = 0
    seen: set[int] = set()
    for session in closing:
        if session.plan_id in seen:
            continue
        seen.add(session.plan_id)
        plan = session.plan
        verb = "closed" if session.window_end < today else "closes"
        before = (plan.needs_attention, plan.attention_reason)
        plan_flag_attention(
            plan=plan,
            reason=f"Session {session.sequence} is not booked and its window {verb} on {session.window_end:%d %b %Y}.",
        )
        flagged += (plan.needs_attention, plan.attention_reason) != before
    return flagged


# --- resolving a plan -----------------------------------------------------------------------------------------


def plan_review(*, plan: TreatmentPlan, by, override_reason: str = "") -> TreatmentPlan:
    """A practitioner reviews a flagged plan: it is re-screened and taken off the attention list, and its
    appointments are re-screened so holds a newly accepted relative finding covers lift, in one transaction.

    Guarantees: Contraindicated (nothing changes) while an absolute finding blocks, or a relative one without
    `override_reason` (treatments.plans.plan_clear_attention).
    """
    with transaction.atomic():
        plan_clear_attention(plan=plan, by=by, override_reason=override_reason)
        appointments_rescreen(patient=plan.patient, by=by)
    plan.refresh_from_db()
    return plan


def plan_cancel_with_appointments(*, plan: TreatmentPlan, by, reason: str) -> TreatmentPlan:
    """Cancel a plan and its appointments still ahead (the patients get the ordinary cancellation email), in
    one transaction, by the clinic (never a late cancellation of the patient's): the sessions still to come are
    cancelled and the plan leaves the attention list; the appointments cancelled are the plan's `cascade`.

    Guarantees: InvalidTransition when the plan is not active, or a session is checked in (finish it first).
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(errors={"reason": ["Say why the plan is cancelled."]})
    with transaction.atomic():
        plan = plan_lock(plan.pk)
        if plan.status != PlanStatus.ACTIVE:
            raise InvalidTransition(f"The plan is {plan.status}: it cannot be cancelled.")
        cascade = [
            cascade_entry(
                appointment_cancel(
                    appointment=appointment,
                    by=by,
                    reason=f"The treatment plan was cancelled: {reason}",
                    cancelled_by=CancelledBy.CLINIC,
                    move_later_sessions=False,
                    clinical_reason=True,
                )
            )
            for appointment in plan.appointments.filter(status__in=ACTIVE_APPOINTMENT_STATUSES).order_by("start")
        ]
        plan = plan_cancel(plan=plan, by=by, reason=reason)
    plan.cascade = cascade
    return plan


def session_skip_with_appointment(*, session: TreatmentSession, by, reason: str) -> TreatmentPlan:
    """A practitioner drops a session from its course: its appointment, if booked, is cancelled by the clinic (the
    patient is told), the session becomes `skipped` and the later windows count from the session before it; the
    later booked sessions that fall out of them are moved or cancelled with the plan flagged (the plan's
    `cascade`); skipping the last open session closes the plan. One transaction; returns the plan."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(errors={"reason": ["Say why the session is skipped."]})
    with transaction.atomic():
        plan = plan_lock(session.plan_id)
        for appointment in session.appointments.filter(status__in=ACTIVE_APPOINTMENT_STATUSES):
            appointment_cancel(
                appointment=appointment,
                by=by,
                reason=f"Session skipped: {reason}",
                cancelled_by=CancelledBy.CLINIC,
                move_later_sessions=False,
                clinical_reason=True,
            )
        session.refresh_from_db()
        session_skip(session=session, by=by, reason=reason)
        cascade = sessions_follow_move(session=session, by=by, because="was skipped")
    plan.refresh_from_db()
    plan.cascade = cascade
    return plan
