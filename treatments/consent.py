"""Consent to a plan or a single visit: what the patient agreed to, which text version, when, how, who recorded it."""

from datetime import datetime, timedelta
from typing import Any, NotRequired, TypedDict

from django.db import transaction
from django.utils import timezone

from clinic.clock import aware
from clinic.exceptions import DomainValidationError
from patients.models import Patient
from treatments.choices import ConsentMethod, PlanStatus
from treatments.models import Consent, TreatmentPlan
from treatments.plans import plan_lock


class ConsentDetails(TypedDict):
    """What a consent records beside whom it is for: how it was given, which text version, who recorded it; what was
    agreed (default: a sentence made from the plan or the visit) and when (default: now) are optional."""

    method: str
    text_version: str
    by: Any
    consented_to: NotRequired[str]
    consented_at: NotRequired[datetime | None]


def _consent_new(
    *,
    patient_id: int,
    plan: TreatmentPlan | None,
    consented_to: str,
    method: str,
    text_version: str,
    by,
    consented_at: datetime | None,
) -> Consent:
    """The consent row, not yet saved; DomainValidationError names the fields a person must correct."""
    consented_at = timezone.now() if consented_at is None else aware(consented_at)
    text_version = (text_version or "").strip()
    errors = {}
    if method not in ConsentMethod.values:
        errors["method"] = ["Choose one of: " + ", ".join(ConsentMethod.values) + "."]
    if not text_version:
        errors["text_version"] = ["Say which version of the consent text the patient saw."]
    if by is None:
        errors["by"] = ["Say who recorded the consent."]
    if consented_at > timezone.now() + timedelta(minutes=5):
        errors["consented_at"] = ["Consent cannot be dated in the future."]
    if errors:
        raise DomainValidationError(errors=errors)
    return Consent(
        patient_id=patient_id,
        plan=plan,
        method=method,
        text_version=text_version,
        consented_to=consented_to.strip(),
        consented_at=consented_at,
        recorded_by=by,
    )


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
    if not consented_to.strip():
        product = f" with {plan.product.name}" if plan.product_id else ""
        consented_to = (
            f"{plan.therapy_type.name}{product}, {plan.sessions_planned} session(s), "
            f"for {plan.get_indication_display().lower()}"
        )
    consent = _consent_new(
        patient_id=plan.patient_id,
        plan=plan,
        consented_to=consented_to,
        method=method,
        text_version=text_version,
        by=by,
        consented_at=consented_at,
    )
    with transaction.atomic():
        status = plan_lock(plan.pk).status
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
    consent = _consent_new(
        patient_id=patient.pk,
        plan=None,
        consented_to=consented_to,
        method=method,
        text_version=text_version,
        by=by,
        consented_at=consented_at,
    )
    consent.full_clean()
    consent.save()
    return consent
