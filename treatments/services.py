"""Treatment plans, their sessions, consent and re-screening: the only code that changes them.

Every service runs in one transaction, validates everything before writing (so a refusal writes nothing) and
raises clinic.exceptions. Status changes go through PLAN_TRANSITIONS and SESSION_TRANSITIONS.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from clinic.exceptions import (
    ConsentMissing,
    Contraindicated,
    DomainValidationError,
    InvalidTransition,
    OutsidePlanWindow,
)
from clinic.roles import CLINIC_ADMIN, PRACTITIONER, has_role
from patients.choices import ConditionSource
from patients.models import Condition, Patient, PatientCondition
from treatments.choices import ConsentMethod, Indication, PlanStatus, SessionStatus
from treatments.lots import lot_problems
from treatments.models import Consent, Product, ProductLot, TherapyType, TreatmentPlan, TreatmentSession
from treatments.screening import Finding, plan_screen, screen

PLAN_TRANSITIONS: dict[str, set[str]] = {
    PlanStatus.ACTIVE: {PlanStatus.COMPLETED, PlanStatus.CANCELLED},
    PlanStatus.COMPLETED: set(),
    PlanStatus.CANCELLED: set(),
}

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

MIN_SESSIONS, MAX_SESSIONS = 1, 20
MAX_INTERVAL_DAYS = 365
PATIENT_CONDITION_EDITABLE_FIELDS = ("active", "since", "note")


# --- small helpers --------------------------------------------------------------------------------------------


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(settings.CLINIC_DEFAULT_TIME_ZONE)


def clinic_today() -> date:
    """Today in the clinic's default zone (the server runs in UTC, the clinic does not)."""
    return timezone.localdate(timezone=clinic_zone())


def may_override(user) -> bool:
    """Only a practitioner (or a clinic admin) may accept a relative contraindication."""
    return has_role(user, PRACTITIONER, CLINIC_ADMIN)


def check_transition(table: dict[str, set[str]], current: str, new: str, what: str) -> None:
    if new not in table.get(current, set()):
        raise InvalidTransition(f"A {what} cannot go from {current} to {new}.", current=current, requested=new)


def _resolve(model: type[models.Model], value):
    """A model instance from an instance or a primary key; None when unknown."""
    if value is None or isinstance(value, model):
        return value
    try:
        return model.objects.get(pk=value)
    except (model.DoesNotExist, ValueError, TypeError):
        return None


def _is_whole_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _aware(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, zone)


def _findings(findings: list[Finding]) -> list[dict]:
    return [finding.as_dict() for finding in findings]


def _locked_plan(plan_id: int) -> TreatmentPlan:
    """The plan row, locked until the transaction ends: plan changes (and their window chains) run one at a time."""
    return (
        TreatmentPlan.objects.select_for_update(of=("self",)).select_related("therapy_type", "product").get(pk=plan_id)
    )


# --- plans ----------------------------------------------------------------------------------------------------


def _validate_plan_input(
    *,
    patient,
    therapy_type,
    product,
    product_given: bool,
    indication,
    sessions_planned,
    min_interval_days,
    max_interval_days,
    start_date,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(patient, Patient):
        errors["patient"] = ["Choose an existing patient."]
    if therapy_type is None:
        errors["therapy_type"] = ["Choose a known therapy type."]
    if product_given and product is None:
        errors["product"] = ["Choose a known product."]
    elif product is not None and therapy_type is not None:
        if product.therapy_type_id != therapy_type.pk:
            errors["product"] = [f"{product.name} is not a product for {therapy_type.name}."]
        elif not product.active:
            errors["product"] = [f"{product.name} is no longer in use."]
    elif product is None and therapy_type is not None and therapy_type.requires_product:
        errors["product"] = [f"{therapy_type.name} needs a product: choose one."]
    if indication not in Indication.values:
        errors["indication"] = ["Choose one of: " + ", ".join(Indication.values) + "."]
    if not isinstance(start_date, date) or isinstance(start_date, datetime):
        errors["start_date"] = ["Give the plan's start as a date."]
    if therapy_type is None:
        return errors  # the course's defaults come from the therapy type: nothing more to check without one
    if not _is_whole_number(sessions_planned) or not MIN_SESSIONS <= sessions_planned <= MAX_SESSIONS:
        errors["sessions_planned"] = [f"A plan has between {MIN_SESSIONS} and {MAX_SESSIONS} sessions."]
    for field, value in (("min_interval_days", min_interval_days), ("max_interval_days", max_interval_days)):
        if not _is_whole_number(value) or not 0 <= value <= MAX_INTERVAL_DAYS:
            errors[field] = [f"An interval is between 0 and {MAX_INTERVAL_DAYS} days."]
    if (
        "min_interval_days" not in errors
        and "max_interval_days" not in errors
        and min_interval_days > max_interval_days
    ):
        errors["min_interval_days"] = ["The shortest interval cannot be longer than the longest."]
    return errors


def plan_create(
    *,
    patient: Patient,
    therapy_type: TherapyType | int,
    indication: str,
    by,
    product: Product | int | None = None,
    sessions_planned: int | None = None,
    min_interval_days: int | None = None,
    max_interval_days: int | None = None,
    start_date: date | None = None,
    override_reason: str = "",
    prescriber=None,
    notes: str = "",
) -> TreatmentPlan:
    """Open a course of sessions after screening the patient.

    Guarantees: an absolute finding refuses the plan (Contraindicated); a relative finding refuses it unless a
    practitioner gives an override reason, in which case reason, user, time and the overridden findings are stored
    with the plan. Sessions 1..N are created with their windows. Any refusal writes nothing.
    """
    therapy_type_obj = _resolve(TherapyType, therapy_type)
    product_obj = _resolve(Product, product)
    if therapy_type_obj is not None:
        sessions_planned = therapy_type_obj.default_sessions if sessions_planned is None else sessions_planned
        min_interval_days = therapy_type_obj.min_interval_days if min_interval_days is None else min_interval_days
        max_interval_days = therapy_type_obj.max_interval_days if max_interval_days is None else max_interval_days
    start_date = clinic_today() if start_date is None else start_date
    errors = _validate_plan_input(
        patient=patient,
        therapy_type=therapy_type_obj,
        product=product_obj,
        product_given=product is not None,
        indication=indication,
        sessions_planned=sessions_planned,
        min_interval_days=min_interval_days,
        max_interval_days=max_interval_days,
        start_date=start_date,
    )
    override_reason = (override_reason or "").strip()
    if override_reason and not may_override(by):
        errors["override_reason"] = ["Only a practitioner may override a contraindication."]
    if errors:
        raise DomainValidationError(errors=errors)

    result = screen(patient, therapy_type_obj, product_obj)
    if result.blocking:
        names = ", ".join(finding.condition_name for finding in result.blocking)
        raise Contraindicated(
            f"{patient} cannot have {therapy_type_obj.name}: {names}.",
            blocking=_findings(result.blocking),
            warnings=_findings(result.warnings),
        )
    if result.warnings and not override_reason:
        names = ", ".join(finding.condition_name for finding in result.warnings)
        raise DomainValidationError(
            f"A practitioner must record why the plan goes ahead despite: {names}.",
            errors={"override_reason": [f"Give a reason to override the relative contraindication(s): {names}."]},
            blocking=[],
            warnings=_findings(result.warnings),
        )

    plan = TreatmentPlan(
        patient=patient,
        therapy_type=therapy_type_obj,
        product=product_obj,
        indication=indication,
        sessions_planned=sessions_planned,
        min_interval_days=min_interval_days,
        max_interval_days=max_interval_days,
        start_date=start_date,
        prescriber=prescriber or (by if has_role(by, PRACTITIONER) else None),
        notes=notes,
    )
    if result.warnings:
        # The reason is kept only with what it overrides: a reason for nothing would mislead a later reader.
        plan.override_reason = override_reason
        plan.override_by = by
        plan.override_at = timezone.now()
        plan.overridden_findings = _findings(result.warnings)
    with transaction.atomic():
        plan.full_clean()
        plan.save()
        window_start, window_end = start_date, start_date + timedelta(days=max_interval_days)
        for sequence in range(1, sessions_planned + 1):
            session = TreatmentSession(plan=plan, sequence=sequence, window_start=window_start, window_end=window_end)
            session.full_clean()
            session.save()
            # Nothing is booked yet: each session's window counts from the start of the one before.
            window_start, window_end = (
                window_start + timedelta(days=min_interval_days),
                window_start + timedelta(days=max_interval_days),
            )
    return plan


def plan_cancel(*, plan: TreatmentPlan, by, reason: str = "") -> TreatmentPlan:
    """Cancel an active plan and its sessions still to come.

    Refused (InvalidTransition) while a session is booked: its appointment must be cancelled first, so no
    appointment is left pointing at a cancelled plan.
    """
    with transaction.atomic():
        row = _locked_plan(plan.pk)
        check_transition(PLAN_TRANSITIONS, row.status, PlanStatus.CANCELLED, "plan")
        booked = list(row.sessions.filter(status=SessionStatus.BOOKED).values_list("sequence", flat=True))
        if booked:
            numbers = ", ".join(str(n) for n in booked)
            raise InvalidTransition(f"Cancel the appointment(s) of session(s) {numbers} before cancelling the plan.")
        for session in row.sessions.filter(status=SessionStatus.PLANNED):
            session.status = SessionStatus.CANCELLED
            session.save(update_fields=["status"])
        row.status = PlanStatus.CANCELLED
        who = getattr(by, "username", None) or "unknown user"
        line = f"Cancelled on {clinic_today():%Y-%m-%d} by {who}" + (f": {reason.strip()}" if reason.strip() else ".")
        row.notes = f"{row.notes}\n{line}".strip()
        row.full_clean()
        row.save()
    plan.refresh_from_db()
    return plan


def _add_attention(plan: TreatmentPlan, reason: str) -> None:
    """Flag the (locked) plan; reasons accumulate so an earlier one is never overwritten."""
    lines = [line for line in plan.attention_reason.splitlines() if line.strip()]
    if reason not in lines:
        lines.append(reason)
    if plan.needs_attention and plan.attention_reason == "\n".join(lines):
        return
    plan.needs_attention = True
    plan.attention_reason = "\n".join(lines)
    plan.full_clean()
    plan.save(update_fields=["needs_attention", "attention_reason", "updated_at"])


def plan_flag_attention(*, plan: TreatmentPlan, reason: str) -> None:
    """Put the plan on the front desk's "needs attention" list with a reason added to any earlier ones."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(errors={"reason": ["Say why the plan needs attention."]})
    with transaction.atomic():
        _add_attention(_locked_plan(plan.pk), reason)
    plan.refresh_from_db(fields=["needs_attention", "attention_reason", "updated_at"])


def plan_clear_attention(*, plan: TreatmentPlan, by, override_reason: str = "") -> None:
    """A practitioner takes the plan off the "needs attention" list.

    Guarantees: the flag is never cleared over a finding that would block booking. A relative finding can be
    accepted here with an override reason (kept like the one given when the plan was opened); an absolute one
    cannot (Contraindicated: cancel the plan instead).
    """
    override_reason = (override_reason or "").strip()
    if not may_override(by):
        raise DomainValidationError(errors={"by": ["Only a practitioner may clear a plan's attention flag."]})
    with transaction.atomic():
        plan_row = _locked_plan(plan.pk)
        result = plan_screen(plan_row) if plan_row.status == PlanStatus.ACTIVE else None
        if result is not None and result.blocking:
            absolute = [finding for finding in result.blocking if finding.is_absolute]
            if absolute or not override_reason:
                names = ", ".join(finding.condition_name for finding in result.blocking)
                raise Contraindicated(
                    f"The plan still has findings that block booking: {names}.",
                    blocking=_findings(result.blocking),
                    warnings=_findings(result.warnings),
                    errors={} if absolute else {"override_reason": ["Give a reason to accept: " + names + "."]},
                )
            stamp = f"{clinic_today():%Y-%m-%d} {getattr(by, 'username', '')}".strip()
            plan_row.override_reason = f"{plan_row.override_reason}\n{stamp}: {override_reason}".strip()
            plan_row.override_by = by
            plan_row.override_at = timezone.now()
            plan_row.overridden_findings = list(plan_row.overridden_findings or []) + _findings(result.blocking)
        plan_row.needs_attention = False
        plan_row.attention_reason = ""
        plan_row.full_clean()
        plan_row.save()
    plan.refresh_from_db()


# --- windows and sessions -------------------------------------------------------------------------------------


def _session_date(session: TreatmentSession) -> date:
    """The day session k happened or will happen: what session k+1's window counts from."""
    if session.scheduled_date is not None:
        return session.scheduled_date
    if session.completed_at is not None:
        return timezone.localdate(session.completed_at, timezone=clinic_zone())
    return session.window_start


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
            session.full_clean()
            session.save(update_fields=["window_start", "window_end"])
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
        _recompute_windows(_locked_plan(plan.pk))


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
    plan = _locked_plan(session.plan_id)
    return plan, plan.sessions.get(pk=session.pk)


def _sync(target: TreatmentSession, source: TreatmentSession) -> None:
    """Let the caller's session object see what the service wrote."""
    for field in ("status", "window_start", "window_end", "scheduled_date", "completed_at", "completed_by_id"):
        setattr(target, field, getattr(source, field))
    target.notes, target.product_lot_id = source.notes, source.product_lot_id


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

    Guarantees: Contraindicated when the plan has a finding no override covers; OutsidePlanWindow when start's
    local date (in `time_zone`, else the zone of the session's appointment location, else the clinic default) is
    outside the session's window; otherwise the session is booked and the windows of the sessions after it follow
    the new date. Call it inside the booking transaction.
    It also refuses a day on or after a later session booked or given (OutsidePlanWindow) unless `keep_order` is
    False, which the cascade that moves the later sessions in turn uses.
    """
    zone = ZoneInfo(time_zone) if time_zone else _session_zone(session)
    local_day = timezone.localtime(_aware(start, zone), zone).date()
    with transaction.atomic():
        plan, row = _locked_session(session)
        if plan.status != PlanStatus.ACTIVE:
            raise InvalidTransition(f"The plan is {plan.status}: its sessions cannot be booked.")
        if row.status != SessionStatus.BOOKED:  # booked -> booked is a move, not a change of status
            check_transition(SESSION_TRANSITIONS, row.status, SessionStatus.BOOKED, "session")
        # The booking service screens too; checking here as well means no caller can book past a finding.
        result = plan_screen(plan)
        if result.blocking:
            names = ", ".join(finding.condition_name for finding in result.blocking)
            raise Contraindicated(
                f"Session {row.sequence} cannot be booked: {names}.",
                blocking=_findings(result.blocking),
                warnings=_findings(result.warnings),
            )
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
        row.status = SessionStatus.BOOKED
        row.scheduled_date = local_day
        row.full_clean()
        row.save(update_fields=["status", "scheduled_date"])
        _recompute_windows(plan)
    _sync(session, row)


def session_mark_unbooked(*, session: TreatmentSession) -> None:
    """The session's appointment was cancelled or missed: the session waits to be booked again, windows follow."""
    with transaction.atomic():
        plan, row = _locked_session(session)
        check_transition(SESSION_TRANSITIONS, row.status, SessionStatus.PLANNED, "session")
        row.status = SessionStatus.PLANNED
        row.scheduled_date = None
        row.full_clean()
        row.save(update_fields=["status", "scheduled_date"])
        _recompute_windows(plan)
        row.refresh_from_db()
    _sync(session, row)


def _validate_lot(plan: TreatmentPlan, lot, lot_given: bool, day: date) -> list[str]:
    if lot_given and lot is None:
        return ["Choose a known lot."]
    return lot_problems(lot=lot, product=plan.product, day=day)


def _close_plan_when_done(plan: TreatmentPlan) -> None:
    """No session left to give: the course is completed (or cancelled, when not one session was given)."""
    if plan.sessions.filter(status__in=OPEN_SESSION_STATUSES).exists():
        return
    given = plan.sessions.filter(status=SessionStatus.COMPLETED).exists()
    new_status = PlanStatus.COMPLETED if given else PlanStatus.CANCELLED
    check_transition(PLAN_TRANSITIONS, plan.status, new_status, "plan")
    plan.status = new_status
    plan.full_clean()
    plan.save(update_fields=["status", "updated_at"])


def session_skip(*, session: TreatmentSession, by, reason: str = "") -> TreatmentSession:
    """A practitioner drops a session from the course; the next one counts from the session before it.

    Guarantees: a booked session is not skipped behind its appointment (InvalidTransition: cancel the appointment
    first); skipping the last open session closes the plan.
    """
    if not may_override(by):
        raise DomainValidationError(errors={"by": ["Only a practitioner may skip a session of a plan."]})
    with transaction.atomic():
        plan, row = _locked_session(session)
        if row.status == SessionStatus.BOOKED:
            raise InvalidTransition(f"Cancel the appointment of session {row.sequence} before skipping it.")
        check_transition(SESSION_TRANSITIONS, row.status, SessionStatus.SKIPPED, "session")
        row.status = SessionStatus.SKIPPED
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
) -> TreatmentSession:
    """Record that a booked session was given: by whom, when, notes and (for product therapies) the lot used.

    Guarantees: ConsentMissing while the plan has no consent; Contraindicated when the plan has a finding no
    override covers; the lot must be of the plan's product and not expired on the (local) day it is used
    (DomainValidationError on product_lot). Completing the last open session completes the plan.
    """
    zone = _session_zone(session)
    completed_at = timezone.now() if completed_at is None else _aware(completed_at, zone)
    lot = _resolve(ProductLot, product_lot)
    with transaction.atomic():
        plan, row = _locked_session(session)
        check_transition(SESSION_TRANSITIONS, row.status, SessionStatus.COMPLETED, "session")
        if not plan.consents.exists():
            raise ConsentMissing()
        errors = {}
        if by is None:
            errors["by"] = ["Say who gave the session."]
        if completed_at > timezone.now() + timedelta(minutes=5):
            errors["completed_at"] = ["A session cannot be completed in the future."]
        # The treatment day is the appointment's local date, not the moment the record was written.
        treatment_day = row.scheduled_date or timezone.localdate(completed_at, zone)
        lot_errors = _validate_lot(plan, lot, product_lot is not None, treatment_day)
        if lot_errors:
            errors["product_lot"] = lot_errors
        if errors:
            raise DomainValidationError(errors=errors)
        result = plan_screen(plan)
        if result.blocking:
            names = ", ".join(finding.condition_name for finding in result.blocking)
            raise Contraindicated(
                f"The patient now has findings that rule this session out: {names}.",
                blocking=_findings(result.blocking),
                warnings=_findings(result.warnings),
            )
        row.status = SessionStatus.COMPLETED
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


# --- consent --------------------------------------------------------------------------------------------------


def _consent_errors(*, method: str, text_version: str, by, consented_at: datetime) -> dict[str, list[str]]:
    errors = {}
    if method not in ConsentMethod.values:
        errors["method"] = ["Choose one of: " + ", ".join(ConsentMethod.values) + "."]
    if not text_version:
        errors["text_version"] = ["Say which version of the consent text the patient saw."]
    if by is None:
        errors["by"] = ["Say who recorded the consent."]
    if consented_at > timezone.now() + timedelta(minutes=5):
        errors["consented_at"] = ["Consent cannot be dated in the future."]
    return errors


def consent_record(
    *,
    plan: TreatmentPlan,
    method: str,
    text_version: str,
    by,
    consented_to: str = "",
    consented_at: datetime | None = None,
) -> Consent:
    """Record the patient's consent to an active plan: what, which text version, when, how and who recorded it."""
    consented_at = timezone.now() if consented_at is None else _aware(consented_at, clinic_zone())
    text_version = (text_version or "").strip()
    errors = _consent_errors(method=method, text_version=text_version, by=by, consented_at=consented_at)
    if errors:
        raise DomainValidationError(errors=errors)
    if not consented_to.strip():
        product = f" with {plan.product.name}" if plan.product_id else ""
        consented_to = (
            f"{plan.therapy_type.name}{product}, {plan.sessions_planned} session(s), "
            f"for {plan.get_indication_display().lower()}"
        )
    consent = Consent(
        patient_id=plan.patient_id,
        plan=plan,
        method=method,
        text_version=text_version,
        consented_to=consented_to.strip(),
        consented_at=consented_at,
        recorded_by=by,
    )
    with transaction.atomic():
        status = _locked_plan(plan.pk).status
        if status != PlanStatus.ACTIVE:
            raise DomainValidationError(errors={"plan": [f"The plan is {status}: consent is for active plans only."]})
        consent.full_clean()
        consent.save()
    return consent


def visit_consent_record(
    *,
    patient: Patient,
    consented_to: str,
    method: str,
    text_version: str,
    by,
    consented_at: datetime | None = None,
) -> Consent:
    """Record the patient's consent to a single visit (a one-off, outside any plan); the caller links the visit to
    it in the same transaction. Refuses (DomainValidationError) what consent_record refuses."""
    consented_at = timezone.now() if consented_at is None else _aware(consented_at, clinic_zone())
    text_version = (text_version or "").strip()
    errors = _consent_errors(method=method, text_version=text_version, by=by, consented_at=consented_at)
    if errors:
        raise DomainValidationError(errors=errors)
    consent = Consent(
        patient=patient,
        plan=None,
        method=method,
        text_version=text_version,
        consented_to=consented_to.strip(),
        consented_at=consented_at,
        recorded_by=by,
    )
    consent.full_clean()
    consent.save()
    return consent


# --- patient conditions and re-screening ----------------------------------------------------------------------


def _rescreen_active_plans(patient: Patient) -> list[TreatmentPlan]:
    """Flag every active plan of the patient that now has a finding no override covers; returns those plans."""
    flagged = []
    plans = TreatmentPlan.objects.select_for_update(of=("self",)).filter(patient=patient, status=PlanStatus.ACTIVE)
    for plan in plans.select_related("patient", "therapy_type", "product"):
        result = plan_screen(plan)
        if result.blocking:
            names = "; ".join(finding.describe() for finding in result.blocking)
            _add_attention(
                plan,
                f"Re-screening found {names}: no further session may be booked until a practitioner reviews the plan.",
            )
            flagged.append(plan)
    return flagged


def _validate_since(since) -> list[str]:
    if since is None:
        return []
    if not isinstance(since, date) or isinstance(since, datetime):
        return ["Give a date."]
    if since > clinic_today():
        return ["The date cannot be in the future."]
    return []


def patient_condition_record(
    *,
    patient: Patient,
    condition: Condition | int,
    by,
    active: bool = True,
    since: date | None = None,
    note: str = "",
    source: str = ConditionSource.CLINIC,
    verified: bool = True,
) -> PatientCondition:
    """Record a condition, medication or allergy for a patient; one the patient declared is recorded with
    `source="patient"` and `verified=False` until a practitioner verifies it (patient_condition_verify).

    Guarantees: when it is active, the patient's active plans are re-screened in the same transaction and any plan
    with a finding no override covers is flagged `needs_attention` (its next sessions cannot be booked).
    """
    condition_obj = _resolve(Condition, condition)
    errors = {}
    if condition_obj is None:
        errors["condition"] = ["Choose a known condition."]
    elif PatientCondition.objects.filter(patient=patient, condition=condition_obj).exists():
        errors["condition"] = [f"{condition_obj.name} is already recorded for this patient: update it instead."]
    if since_errors := _validate_since(since):
        errors["since"] = since_errors
    if errors:
        raise DomainValidationError(errors=errors)
    record = PatientCondition(
        patient=patient,
        condition=condition_obj,
        active=active,
        since=since,
        note=note,
        recorded_by=by,
        source=source,
        verified=verified,
    )
    with transaction.atomic():
        record.full_clean()
        record.save()
        if active:
            _rescreen_active_plans(patient)
    return record


def patient_condition_update(*, patient_condition: PatientCondition, by, **fields) -> PatientCondition:
    """Change a patient's condition (active, since, note).

    Guarantees: re-activating it re-screens the patient's active plans like recording it does; deactivating it
    clears no flag (a practitioner does, with plan_clear_attention).
    """
    errors = {
        name: ["This field cannot be changed here."] for name in fields if name not in PATIENT_CONDITION_EDITABLE_FIELDS
    }
    if "active" in fields and not isinstance(fields["active"], bool):
        errors["active"] = ["Give true or false."]
    if "since" in fields and (since_errors := _validate_since(fields["since"])):
        errors["since"] = since_errors
    if errors:
        raise DomainValidationError(errors=errors)
    with transaction.atomic():
        record = (
            PatientCondition.objects.select_for_update(of=("self",))
            .select_related("patient")
            .get(pk=patient_condition.pk)
        )
        was_active = record.active
        for name, value in fields.items():
            setattr(record, name, value)
        record.full_clean()
        record.save()
        if record.active and not was_active:
            _rescreen_active_plans(record.patient)
    patient_condition.refresh_from_db()
    return record


def patient_condition_verify(*, patient_condition: PatientCondition, by, verified: bool) -> PatientCondition:
    """A practitioner's verdict on a condition (typically one the patient declared): `verified=True` confirms it;
    `verified=False` rejects it, which also makes it inactive (it no longer counts in screening). Who and when are
    kept. The caller re-screens the patient's appointments (holds follow the condition either way)."""
    if not isinstance(verified, bool):
        raise DomainValidationError(errors={"verified": ["Give true or false."]})
    with transaction.atomic():
        record = (
            PatientCondition.objects.select_for_update(of=("self",))
            .select_related("patient", "condition")
            .get(pk=patient_condition.pk)
        )
        record.verified = verified
        record.verified_by = by
        record.verified_at = timezone.now()
        if not verified:
            record.active = False
        record.full_clean()
        record.save()
    return record
