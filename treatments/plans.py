"""Treatment plans: opening, cancelling, flagging and reviewing a course. The only code that changes a plan.

Every service runs in one transaction, validates everything before writing (so a refusal writes nothing) and
raises clinic.exceptions. Status changes go through PLAN_TRANSITIONS. `plan_lock` is the one way to lock a plan:
every change to a plan's sessions or appointments queues on that row.
"""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from clinic.clock import clinic_today
from clinic.exceptions import DomainValidationError, InvalidTransition
from clinic.lookups import instance_or_none, is_whole_number
from clinic.roles import PRACTITIONER, has_role
from clinic.transitions import transition_check
from patients.models import Patient
from treatments.choices import Indication, PlanStatus, SessionStatus
from treatments.models import Product, TherapyType, TreatmentPlan, TreatmentSession
from treatments.screening import Finding, contraindicated, findings_as_dicts, may_override, names, plan_screen, screen

PLAN_TRANSITIONS: dict[str, set[str]] = {
    PlanStatus.ACTIVE: {PlanStatus.COMPLETED, PlanStatus.CANCELLED},
    PlanStatus.COMPLETED: set(),
    PlanStatus.CANCELLED: set(),
}

MIN_SESSIONS, MAX_SESSIONS = 1, 20
MAX_INTERVAL_DAYS = 365

# What the front desk may read about a plan a re-screening flagged: the findings are for practitioners.
RESCREEN_ATTENTION = (
    "Re-screening found a contraindication: a practitioner must review the plan before its next session."
)


def plan_lock(plan_id: int) -> TreatmentPlan:
    """The plan row, locked until the transaction ends: plan changes (and their window chains) run one at a time.

    Locks are taken plan first, then appointment, practitioner, patient, room, device (scheduling.placement), so
    concurrent changes queue instead of deadlocking.
    """
    return (
        TreatmentPlan.objects.select_for_update(of=("self",))
        .select_related("patient", "therapy_type", "product")
        .get(pk=plan_id)
    )


def plan_transition(plan: TreatmentPlan, new_status: str) -> None:
    """Set the (locked) plan's status through PLAN_TRANSITIONS; the caller saves."""
    transition_check(PLAN_TRANSITIONS, current=plan.status, new=new_status, what="plan")
    plan.status = new_status


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
    if not is_whole_number(sessions_planned) or not MIN_SESSIONS <= sessions_planned <= MAX_SESSIONS:
        errors["sessions_planned"] = [f"A plan has between {MIN_SESSIONS} and {MAX_SESSIONS} sessions."]
    for field, value in (("min_interval_days", min_interval_days), ("max_interval_days", max_interval_days)):
        if not is_whole_number(value) or not 0 <= value <= MAX_INTERVAL_DAYS:
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
    therapy_type_obj = instance_or_none(TherapyType, therapy_type)
    product_obj = instance_or_none(Product, product)
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
        raise contraindicated(
            result, detail=f"{patient} cannot have {therapy_type_obj.name}: {names(result.blocking)}."
        )
    if result.warnings and not override_reason:
        warned = names(result.warnings)
        raise DomainValidationError(
            f"A practitioner must record why the plan goes ahead despite: {warned}.",
            errors={"override_reason": [f"Give a reason to override the relative contraindication(s): {warned}."]},
            blocking=[],
            warnings=findings_as_dicts(result.warnings),
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
        plan.overridden_findings = findings_as_dicts(result.warnings)
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
    """Cancel an active plan and its sessions still to come; its attention flag goes with it.

    Refused (InvalidTransition) while a session is booked: its appointment must be cancelled first (the
    care use case care.planning.plan_cancel_with_appointments does both), so no appointment is left
    pointing at a cancelled plan.
    """
    with transaction.atomic():
        row = plan_lock(plan.pk)
        transition_check(PLAN_TRANSITIONS, current=row.status, new=PlanStatus.CANCELLED, what="plan")
        booked = list(row.sessions.filter(status=SessionStatus.BOOKED).values_list("sequence", flat=True))
        if booked:
            numbers = ", ".join(str(n) for n in booked)
            raise InvalidTransition(f"Cancel the appointment(s) of session(s) {numbers} before cancelling the plan.")
        for session in row.sessions.filter(status=SessionStatus.PLANNED):
            session.status = SessionStatus.CANCELLED
            session.save(update_fields=["status"])
        row.status = PlanStatus.CANCELLED
        row.needs_attention = False
        row.attention_reason = ""
        who = getattr(by, "username", None) or "unknown user"
        line = f"Cancelled on {clinic_today():%Y-%m-%d} by {who}" + (f": {reason.strip()}" if reason.strip() else ".")
        row.notes = f"{row.notes}\n{line}".strip()
        row.full_clean()
        row.save()
    plan.refresh_from_db()
    return plan


def plan_add_attention(plan: TreatmentPlan, reason: str) -> None:
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
        plan_add_attention(plan_lock(plan.pk), reason)
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
        plan_row = plan_lock(plan.pk)
        result = plan_screen(plan_row) if plan_row.status == PlanStatus.ACTIVE else None
        if result is not None and result.blocking:
            absolute = [finding for finding in result.blocking if finding.is_absolute]
            if absolute or not override_reason:
                blocking = names(result.blocking)
                raise contraindicated(
                    result,
                    detail=f"The plan still has findings that block booking: {blocking}.",
                    errors={} if absolute else {"override_reason": ["Give a reason to accept: " + blocking + "."]},
                )
            stamp = f"{clinic_today():%Y-%m-%d} {getattr(by, 'username', '')}".strip()
            plan_row.override_reason = f"{plan_row.override_reason}\n{stamp}: {override_reason}".strip()
            plan_row.override_by = by
            plan_row.override_at = timezone.now()
            plan_row.overridden_findings = list(plan_row.overridden_findings or []) + findings_as_dicts(result.blocking)
        plan_row.needs_attention = False
        plan_row.attention_reason = ""
        plan_row.full_clean()
        plan_row.save()
    plan.refresh_from_db()


def _record_override(plan: TreatmentPlan, *, by, reason: str, findings: list[Finding]) -> None:
    """Add accepted relative findings to the (locked) plan's override, with who, when and why; the caller saves."""
    stamp = f"{clinic_today():%Y-%m-%d} {getattr(by, 'username', '')}".strip()
    plan.override_reason = f"{plan.override_reason}\n{stamp}: {reason}".strip()
    plan.override_by = by
    plan.override_at = timezone.now()
    plan.overridden_findings = list(plan.overridden_findings or []) + findings_as_dicts(findings)


def plan_accept_findings(*, plan: TreatmentPlan, by, reason: str, findings: list[Finding]) -> None:
    """A practitioner accepts relative findings for the rest of the course (e.g. releasing a held session).

    Guarantees: only relative findings, only by a practitioner, only with a reason (DomainValidationError); kept
    in the plan's override with who, when and why, so later screenings of the plan are covered. Inside the
    caller's transaction.
    """
    reason = (reason or "").strip()
    if not may_override(by) or not reason or any(finding.is_absolute for finding in findings):
        raise DomainValidationError(
            errors={"override_reason": ["A practitioner gives a reason, and only relative findings are accepted."]}
        )
    row = plan_lock(plan.pk)
    _record_override(row, by=by, reason=reason, findings=findings)
    row.full_clean()
    row.save()
    plan.refresh_from_db()


def plans_rescreen(*, patient: Patient) -> list[TreatmentPlan]:
    """Flag every active plan of the patient that now has a finding no override covers; returns those plans.

    Runs inside the caller's transaction (the write that changed screening). The flag's sentence names no
    condition: the front desk reads it; practitioners see the findings by screening the plan.
    """
    flagged = []
    plans = TreatmentPlan.objects.select_for_update(of=("self",)).filter(patient=patient, status=PlanStatus.ACTIVE)
    for plan in plans.select_related("patient", "therapy_type", "product"):
        if plan_screen(plan).blocking:
            plan_add_attention(plan, RESCREEN_ATTENTION)
            flagged.append(plan)
    return flagged
