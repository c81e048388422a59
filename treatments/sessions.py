"""A plan's sessions: their windows, booking marks, skipping and completing. The only code that changes them.

Every service runs in one transaction under the plan's lock (treatments.plans.plan_lock) and changes status
through SESSION_TRANSITIONS. Screening for a booking is done once, by care.booking, before it calls
session_mark_booked.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from clinic.clock import aware, clinic_zone, local_date
from clinic.exceptions import ConsentMissing, DomainValidationError, InvalidTransition, OutsidePlanWindow
from clinic.lookups import instance_or_none
from clinic.transitions import transition_check
from treatments.choices import PlanStatus, SessionStatus
from treatments.lots import lot_problems
from treatments.models import ProductLot, TreatmentPlan, TreatmentSession
from treatments.plans import plan_lock, plan_transition
from treatments.screening import may_override

SESSION_TRANSITIONS: dict[str, set[str]] = {
    SessionStatus.PLANNED: {SessionStatus.BOOKED, SessionStatus.CANCELLED, SessionStatus.SKIPPED},
    # booked -> planned: the appointment was cancelled or missed, the session waits to be booked again.
    SessionStatus.BOOKED: {
        SessionStatus.PLANNED,
        SessionStatus.COMPLETED,
        SessionStatus.CANCELLED,
        SessionStatus.SKIPPED,
    },
    SessionStatus.COMPLETED: set(),
    SessionStatus.CANCELLED: set(),
    SessionStatus.SKIPPED: set(),
}

# Sessions still ahead of the patient: their windows follow the sessions before them.
OPEN_SESSION_STATUSES = (SessionStatus.PLANNED, SessionStatus.BOOKED)


def _session_transition(row: TreatmentSession, new_status: str) -> None:
    transition_check(SESSION_TRANSITIONS, current=row.status, new=new_status, what="session")
    row.status = new_status


# --- windows --------------------------------------------------------------------------------------------------


def _session_date(session: TreatmentSession) -> date:
    """The day session k happened or will happen (its treatment date): what session k+1's window counts from."""
    if session.scheduled_date is not None:
        return session.scheduled_date
    if session.completed_at is not None:
        return local_date(session.completed_at)
    return session.window_start


def _save_under_plan_lock(session: TreatmentSession, fields: list[str]) -> None:
    """Save the session's window, status or date, its fields validated in Python. The caller holds the plan's
    lock and changes neither the plan nor the sequence, and the windows' CHECK holds on the UPDATE itself:
    full_clean() asked the database first (the plan's row, the (plan, sequence) uniqueness, each CHECK in a
    savepoint: eight statements), for the booked session and again for every later one whose window moved."""
    session.full_clean(
        exclude=["plan", "completed_by", "product_lot"], validate_unique=False, validate_constraints=False
    )
    session.save(update_fields=fields)


def _recompute_windows(plan: TreatmentPlan) -> list[TreatmentSession]:
    """Set every open session's window from the session before it; returns the sessions whose window changed."""
    changed = []
    previous = None
    for session in plan.sessions.order_by("sequence"):
        if previous is None:
            start = plan.start_date
            end = plan.start_date + timedelta(days=plan.max_interval_days)
        else:
            anchor = _session_date(previous)
            start = anchor + timedelta(days=plan.min_interval_days)
            end = anchor + timedelta(days=plan.max_interval_days)
        # Sessions already over keep the window they had: it is part of the record.
        if session.status in OPEN_SESSION_STATUSES and (session.window_start, session.window_end) != (start, end):
            session.window_start, session.window_end = start, end
            _save_under_plan_lock(session, ["window_start", "window_end"])
            changed.append(session)
        # A skipped session never happened: the one after it counts from the session before it.
        if session.status != SessionStatus.SKIPPED:
            previous = session
    return changed


def session_window_recompute(plan: TreatmentPlan) -> None:
    """Recompute the windows of the plan's sessions still to come from the sessions booked or done before them.

    Session 1: [start_date, start_date + max]; session k+1: [date of k + min, date of k + max], where the date of
    k is its booked (local) date, else its completion date, else its own window start.
    """
    with transaction.atomic():
        _recompute_windows(plan_lock(plan.pk))


def _session_zone(session: TreatmentSession) -> ZoneInfo:
    """The zone of the location the session is booked at; the clinic's default zone when none is known yet."""
    # Appointments live in scheduling, which imports treatments: reach them through the reverse relation only.
    appointments = getattr(session, "appointments", None)
    if appointments is not None:
        zone_name = appointments.order_by("-pk").values_list("location__time_zone", flat=True).first()
        if zone_name:
            return ZoneInfo(zone_name)
    return clinic_zone()


def _locked_session(session: TreatmentSession) -> tuple[TreatmentPlan, TreatmentSession]:
    plan = plan_lock(session.plan_id)
    return plan, plan.sessions.get(pk=session.pk)


def _sync(target: TreatmentSession, source: TreatmentSession) -> None:
    """Let the caller's session object see what the service wrote."""
    for field in ("status", "window_start", "window_end", "scheduled_date", "completed_at", "completed_by_id"):
        setattr(target, field, getattr(source, field))
    target.notes, target.product_lot_id = source.notes, source.product_lot_id


# --- booking marks --------------------------------------------------------------------------------------------


def _check_course_order(plan: TreatmentPlan, row: TreatmentSession, local_day: date) -> None:
    """A session never goes on or after a later session that is booked or given: the course keeps its order."""
    later = (
        plan.sessions.filter(sequence__gt=row.sequence, status__in=(SessionStatus.BOOKED, SessionStatus.COMPLETED))
        .order_by("sequence")
        .first()
    )
    if later is None:
        return
    later_day = _session_date(later)
    if local_day >= later_day:
        raise OutsidePlanWindow(
            f"Session {row.sequence} must come before session {later.sequence}, which is on "
            f"{later_day:%d %b %Y}: choose an earlier day or move session {later.sequence} first.",
            errors={"start": [f"Choose a day before {later_day}."]},
            window_start=row.window_start.isoformat(),
            window_end=min(row.window_end, later_day - timedelta(days=1)).isoformat(),
        )


def session_mark_booked(
    *, session: TreatmentSession, start: datetime, time_zone: str | None = None, keep_order: bool = True
) -> None:
    """Record that the session is booked at `start` (also used when its appointment moves).

    Guarantees: OutsidePlanWindow when start's local date (in `time_zone`, else the zone of the session's
    appointment location, else the clinic default) is outside the session's window, or on or after a later
    session booked or given (unless `keep_order` is False, which the cascade that moves the later sessions in
    turn uses); otherwise the session is booked and the windows of the sessions after it follow the new date.
    Screening is the caller's: call it inside the booking transaction (care.booking), which screens once
    before placing.
    """
    zone = ZoneInfo(time_zone) if time_zone else _session_zone(session)
    local_day = local_date(start, zone)
    with transaction.atomic():
        plan, row = _locked_session(session)
        if plan.status != PlanStatus.ACTIVE:
            raise InvalidTransition(f"The plan is {plan.status}: its sessions cannot be booked.")
        if row.status != SessionStatus.BOOKED:  # booked -> booked is a move, not a change of status
            _session_transition(row, SessionStatus.BOOKED)
        if keep_order:  # False only while a cascade moves the later sessions one after another
            _check_course_order(plan, row, local_day)
        if not row.window_start <= local_day <= row.window_end:
            raise OutsidePlanWindow(
                f"Session {row.sequence} must take place between {row.window_start:%d %b %Y} "
                f"and {row.window_end:%d %b %Y}.",
                errors={"start": [f"Choose a day from {row.window_start} to {row.window_end}."]},
                window_start=row.window_start.isoformat(),
                window_end=row.window_end.isoformat(),
            )
        row.scheduled_date = local_day
        _save_under_plan_lock(row, ["status", "scheduled_date"])
        _recompute_windows(plan)
    _sync(session, row)


def session_mark_unbooked(*, session: TreatmentSession) -> None:
    """The session's appointment was cancelled or missed: the session waits to be booked again, windows follow."""
    with transaction.atomic():
        plan, row = _locked_session(session)
        _session_transition(row, SessionStatus.PLANNED)
        row.scheduled_date = None
        _save_under_plan_lock(row, ["status", "scheduled_date"])
        _recompute_windows(plan)
        row.refresh_from_db()
    _sync(session, row)


# --- skipping and completing ----------------------------------------------------------------------------------


def _validate_lot(plan: TreatmentPlan, lot, lot_given: bool, day: date) -> list[str]:
    if lot_given and lot is None:
        return ["Choose a known lot."]
    return lot_problems(lot=lot, product=plan.product, day=day)


def _close_plan_when_done(plan: TreatmentPlan) -> None:
    """No session left to give: the course is completed (or cancelled, when not one session was given)."""
    if plan.sessions.filter(status__in=OPEN_SESSION_STATUSES).exists():
        return
    given = plan.sessions.filter(status=SessionStatus.COMPLETED).exists()
    plan_transition(plan, PlanStatus.COMPLETED if given else PlanStatus.CANCELLED)
    # A closed course has nothing left to act on.
    plan.needs_attention = False
    plan.attention_reason = ""
    plan.full_clean()
    plan.save(update_fields=["status", "needs_attention", "attention_reason", "updated_at"])


def session_skip(*, session: TreatmentSession, by, reason: str = "") -> TreatmentSession:
    """A practitioner drops a session from the course; the next one counts from the session before it.

    Guarantees: a booked session is not skipped behind its appointment (InvalidTransition: cancel the appointment
    first, as care.planning.session_skip_with_appointment does); skipping the last open session closes the
    plan.
    """
    if not may_override(by):
        raise DomainValidationError(errors={"by": ["Only a practitioner may skip a session of a plan."]})
    with transaction.atomic():
        plan, row = _locked_session(session)
        if row.status == SessionStatus.BOOKED:
            raise InvalidTransition(f"Cancel the appointment of session {row.sequence} before skipping it.")
        _session_transition(row, SessionStatus.SKIPPED)
        row.notes = (reason or "").strip()
        row.full_clean()
        row.save(update_fields=["status", "notes"])
        _recompute_windows(plan)
        _close_plan_when_done(plan)
    _sync(session, row)
    return row


def session_complete(
    *,
    session: TreatmentSession,
    by,
    completed_at: datetime | None,
    notes: str = "",
    product_lot: ProductLot | int | None = None,
    treatment_date: date | None = None,
) -> TreatmentSession:
    """Record that a booked session was given: by whom, when, notes and (for product therapies) the lot used.

    Guarantees: ConsentMissing while the plan has no consent; the lot must be of the plan's product and not
    expired on the treatment date (the appointment's local date when given, else the local day of
    `completed_at`) (DomainValidationError on product_lot). Completing the last open session completes the plan.
    Screening on the treatment date is the caller's (care.booking.appointment_complete screens once,
    honouring the plan's and the appointment's overrides).
    """
    zone = _session_zone(session)
    completed_at = timezone.now() if completed_at is None else aware(completed_at, zone)
    lot = instance_or_none(ProductLot, product_lot)
    with transaction.atomic():
        plan, row = _locked_session(session)
        # The treatment day is the appointment's local date, not the moment the record was written.
        day = treatment_date or row.scheduled_date or local_date(completed_at, zone)
        _session_transition(row, SessionStatus.COMPLETED)
        if not plan.consents.exists():
            raise ConsentMissing()
        errors = {}
        if by is None:
            errors["by"] = ["Say who gave the session."]
        if completed_at > timezone.now() + timedelta(minutes=5):
            errors["completed_at"] = ["A session cannot be completed in the future."]
        lot_errors = _validate_lot(plan, lot, product_lot is not None, day)
        if lot_errors:
            errors["product_lot"] = lot_errors
        if errors:
            raise DomainValidationError(errors=errors)
        row.completed_at = completed_at
        row.completed_by = by
        row.notes = notes
        row.product_lot = lot
        row.full_clean()
        row.save()
        _recompute_windows(plan)
        _close_plan_when_done(plan)
    _sync(session, row)
    if TreatmentSession.plan.is_cached(session):
        session.plan.status = plan.status
    return row
