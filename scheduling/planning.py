"""Placing a plan's sessions in their windows, and keeping later sessions in theirs when one moves.

This module only chooses times; every write goes through scheduling.booking, the one writer. No session is
dropped silently: one that cannot be placed stays unbooked and its plan is put on the "needs attention" list
with the reason.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from clinic.clock import clinic_today
from clinic.exceptions import Contraindicated, DomainValidationError, InvalidTransition, SlotUnavailable
from scheduling.availability import Slot, find_free_slots
from scheduling.booking import appointment_book, appointment_cancel, appointment_reschedule
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES, AppointmentStatus
from scheduling.holds import appointments_rescreen
from scheduling.models import Appointment, Location, Practitioner
from treatments.choices import PlanStatus, SessionStatus
from treatments.models import TreatmentPlan, TreatmentSession
from treatments.plans import RESCREEN_ATTENTION, plan_cancel, plan_clear_attention, plan_flag_attention, plan_lock
from treatments.sessions import session_skip

# A slot found free can be taken by someone else before the booking locks it: try the next best few.
ATTEMPTS_PER_SESSION = 5

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


@dataclass(frozen=True)
class _Preference:
    """Where to aim inside a window: a day (nearest first), a practitioner and a local time of day."""

    day: date
    practitioner_id: int | None = None
    time_of_day: time | None = None


def _ranked(slots: list[Slot], preference: _Preference, zone: ZoneInfo) -> list[Slot]:
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


def _window_slots(session: TreatmentSession, location: Location, plan: TreatmentPlan) -> list[Slot]:
    zone = location.zone
    return find_free_slots(
        therapy_type=plan.therapy_type,
        location=location,
        start=datetime.combine(session.window_start, time(0), tzinfo=zone),
        end=datetime.combine(session.window_end + timedelta(days=1), time(0), tzinfo=zone),
        limit=None,
        patient=plan.patient,
    )


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
    """The latest kept appointment of an earlier session: its practitioner and hour are the ones to repeat."""
    return (
        plan.appointments.filter(
            session__sequence__lt=sequence,
            status__in=(*ACTIVE_APPOINTMENT_STATUSES, AppointmentStatus.COMPLETED),
        )
        .order_by("-start")
        .first()
    )


def _book_in_window(*, plan: TreatmentPlan, session: TreatmentSession, location: Location, by) -> Appointment | None:
    """Book the session at its earliest fit, repeating the previous session's practitioner and hour where it can."""
    zone = location.zone
    previous = _previous_appointment(plan, session.sequence)
    preference = _Preference(
        day=session.window_start,
        practitioner_id=previous.practitioner_id if previous else None,
        time_of_day=previous.start.astimezone(zone).time() if previous else None,
    )
    ranked = _ranked(_window_slots(session, location, plan), preference, zone)[:ATTEMPTS_PER_SESSION]
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


def _active_appointment(session: TreatmentSession) -> Appointment | None:
    return (
        session.appointments.filter(status__in=ACTIVE_APPOINTMENT_STATUSES)
        .select_related("location", "patient", "therapy_type")
        .first()
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
                current = _active_appointment(session)
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


def sessions_follow_move(*, session: TreatmentSession, by=None) -> list[dict]:
    """After session k was booked or moved (its later windows already recomputed), keep each later booked session
    in its window; returns the appointments changed, as the API's `cascade` ({"appointment", "status", "start"}).

    Guarantees: a later appointment still inside its window stays; one outside is moved to the nearest fit inside
    it (same practitioner and hour preferred); where none exists its appointment is cancelled by the clinic with
    the reason (not a late cancellation of the patient's), the session is unbooked and the plan flagged
    `needs_attention`. Runs inside the caller's transaction.
    """
    cascade = []
    later_ids = TreatmentSession.objects.filter(plan_id=session.plan_id, sequence__gt=session.sequence)
    for later_id in later_ids.order_by("sequence").values_list("pk", flat=True):
        later = TreatmentSession.objects.select_related("plan__patient", "plan__therapy_type").get(pk=later_id)
        appointment = _active_appointment(later) if later.status == SessionStatus.BOOKED else None
        if appointment is None:
            continue
        zone = appointment.location.zone
        local_start = appointment.start.astimezone(zone)
        if later.window_start <= local_start.date() <= later.window_end:
            continue
        moved = _move_into_window(appointment=appointment, session=later, preferred=local_start, by=by)
        if moved is not None:
            cascade.append(_cascade_entry(moved))
            continue
        reason = (
            f"Session {later.sequence} fell out of its window ({later.window_start:%d %b %Y} to "
            f"{later.window_end:%d %b %Y}) when session {session.sequence} moved, and no free slot was found in "
            f"it: its appointment was cancelled; book it by hand."
        )
        cancelled = appointment_cancel(appointment=appointment, by=by, reason=reason, by_clinic=True)
        plan_flag_attention(plan=later.plan, reason=reason)
        cascade.append(_cascade_entry(cancelled))
    return cascade


def _cascade_entry(appointment: Appointment) -> dict:
    return {"appointment": appointment.pk, "status": appointment.status, "start": appointment.start}


def _move_into_window(
    *, appointment: Appointment, session: TreatmentSession, preferred: datetime, by
) -> Appointment | None:
    preference = _Preference(
        day=preferred.date(), practitioner_id=appointment.practitioner_id, time_of_day=preferred.time()
    )
    zone = appointment.location.zone
    ranked = _ranked(_window_slots(session, appointment.location, session.plan), preference, zone)
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
            return _active_appointment(following)
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
    one transaction: the sessions still to come are cancelled and the plan leaves the attention list.

    Guarantees: InvalidTransition when the plan is not active, or a session is checked in (finish it first).
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(errors={"reason": ["Say why the plan is cancelled."]})
    with transaction.atomic():
        plan = plan_lock(plan.pk)
        if plan.status != PlanStatus.ACTIVE:
            raise InvalidTransition(f"The plan is {plan.status}: it cannot be cancelled.")
        for appointment in plan.appointments.filter(status__in=ACTIVE_APPOINTMENT_STATUSES).order_by("start"):
            appointment_cancel(
                appointment=appointment,
                by=by,
                reason=f"The treatment plan was cancelled: {reason}",
                by_clinic=True,
                clinical_reason=True,
            )
        return plan_cancel(plan=plan, by=by, reason=reason)


def session_skip_with_appointment(*, session: TreatmentSession, by, reason: str) -> TreatmentPlan:
    """A practitioner drops a session from its course: its appointment, if booked, is cancelled (the patient is
    told), the session becomes `skipped` and the later windows count from the session before it; skipping the
    last open session closes the plan. One transaction; returns the plan."""
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
                by_clinic=True,
                clinical_reason=True,
            )
        session.refresh_from_db()
        session_skip(session=session, by=by, reason=reason)
    plan.refresh_from_db()
    return plan
