"""Safety screening: which contraindication rules a patient's active conditions trigger for a therapy.

`screen` answers before a plan exists (relative findings are warnings a practitioner may override);
`plan_screen` answers for an open plan (a relative finding blocks unless the plan's recorded override covers it).
Both read only; the services decide what to refuse, and `contraindicated` is the one place a refusal is built.
"""

from dataclasses import asdict, dataclass
from datetime import date, timedelta

from django.db.models import F, Q

from clinic.clock import clinic_today
from clinic.exceptions import Contraindicated
from clinic.roles import CLINIC_ADMIN, PRACTITIONER, has_role
from patients.models import Patient
from treatments.choices import Severity
from treatments.models import Contraindication, Product, TherapyType, TreatmentPlan

TARGET_THERAPY_TYPE = "therapy_type"
TARGET_PRODUCT_SOURCE = "product_source"


@dataclass(frozen=True)
class Finding:
    """One rule a patient triggers: which rule, which of the patient's conditions, how severe, and why."""

    rule_id: int
    condition_code: str
    condition_name: str
    condition_kind: str
    severity: str
    target: str
    rationale: str

    @classmethod
    def from_rule(cls, rule: Contraindication) -> "Finding":
        return cls(
            rule_id=rule.pk,
            condition_code=rule.condition.code,
            condition_name=rule.condition.name,
            condition_kind=rule.condition.kind,
            severity=rule.severity,
            target=TARGET_THERAPY_TYPE if rule.therapy_type_id else TARGET_PRODUCT_SOURCE,
            rationale=rule.rationale,
        )

    @property
    def is_absolute(self) -> bool:
        return self.severity == Severity.ABSOLUTE

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        """A sentence for a person, e.g. for a plan's attention reason."""
        return f"{self.condition_name} ({self.severity} contraindication)"


@dataclass(frozen=True)
class ScreeningResult:
    blocking: list[Finding]
    warnings: list[Finding]

    @property
    def eligible(self) -> bool:
        return not self.blocking

    def by_severity(self) -> "ScreeningResult":
        """Every finding, absolute ones as `blocking` and relative ones as `warnings`: how /screenings/ and the
        refusal of a new visit present them (the practitioner reads what an override could accept)."""
        findings = [*self.blocking, *self.warnings]
        return ScreeningResult(
            blocking=[f for f in findings if f.is_absolute], warnings=[f for f in findings if not f.is_absolute]
        )

    def as_dict(self) -> dict:
        return {
            "eligible": self.eligible,
            "blocking": [finding.as_dict() for finding in self.blocking],
            "warnings": [finding.as_dict() for finding in self.warnings],
        }


def _blocks_on(day: date, since: date | None, until: date | None, washout_days: int) -> bool:
    """A condition blocks on `day` from its start (or always, without one) to its end plus the rule's washout."""
    if since is not None and day < since:
        return False
    return until is None or day <= until + timedelta(days=washout_days)


def findings_for(
    patient: Patient, therapy_type: TherapyType, product: Product | None = None, *, on: date | None = None
) -> list[Finding]:
    """Every rule the patient's active conditions trigger on day `on` (today in the clinic when not given) for the
    therapy type or the product's source (one query).

    A condition counts from its `since` (or always, without one) to its `until` plus the rule's `washout_days`.
    """
    return _findings_on(_patient_rules(patient, therapy_type, product), on or clinic_today())


def _patient_rules(patient: Patient, therapy_type: TherapyType, product: Product | None) -> list[Contraindication]:
    """The rules the patient's active conditions meet for the therapy or the product's source, whatever the day,
    each with its condition's `since` and `until` (one query)."""
    target = Q(therapy_type=therapy_type)
    if product is not None:
        target |= Q(product_source=product.source)
    # One join: the annotations read the very patient-condition row the filter chose.
    return list(
        Contraindication.objects.filter(target)
        .filter(condition__patient_conditions__patient=patient, condition__patient_conditions__active=True)
        .annotate(
            condition_since=F("condition__patient_conditions__since"),
            condition_until=F("condition__patient_conditions__until"),
        )
        .select_related("condition")
    )


def _findings_on(rules: list[Contraindication], day: date) -> list[Finding]:
    findings = [
        Finding.from_rule(rule)
        for rule in rules
        if _blocks_on(day, rule.condition_since, rule.condition_until, rule.washout_days)
    ]
    # Absolute first, then by condition name: the most serious reason is what a person reads first.
    return sorted(findings, key=lambda f: (not f.is_absolute, f.condition_name, f.rule_id))


def screen(
    patient: Patient, therapy_type: TherapyType, product: Product | None = None, *, on: date | None = None
) -> ScreeningResult:
    """Screening without a plan: absolute findings block; relative findings are warnings a practitioner may override."""
    findings = findings_for(patient, therapy_type, product, on=on)
    return ScreeningResult(
        blocking=[f for f in findings if f.is_absolute],
        warnings=[f for f in findings if not f.is_absolute],
    )


def covered_rule_ids(*overridden: list[dict] | None) -> set[int]:
    """The rules whose relative findings recorded override(s) (a plan's, an appointment's) cover."""
    return {item["rule_id"] for findings in overridden for item in findings or [] if "rule_id" in item}


def screen_covered(
    patient: Patient,
    therapy_type: TherapyType,
    product: Product | None,
    *,
    on: date | None,
    covered: set[int],
) -> ScreeningResult:
    """Screening where overrides were recorded: absolute findings block, relative ones block unless covered."""
    findings = findings_for(patient, therapy_type, product, on=on)
    return ScreeningResult(
        blocking=[f for f in findings if f.is_absolute or f.rule_id not in covered],
        warnings=[f for f in findings if not f.is_absolute and f.rule_id in covered],
    )


def plan_screen(plan: TreatmentPlan, *, on: date | None = None) -> ScreeningResult:
    """Re-screen an open plan on day `on` (today when not given): absolute findings block, relative ones block
    unless the plan's override covers them."""
    return screen_covered(
        plan.patient, plan.therapy_type, plan.product, on=on, covered=covered_rule_ids(plan.overridden_findings)
    )


def visit_screen(
    *,
    patient: Patient,
    therapy_type: TherapyType,
    on: date,
    product: Product | None = None,
    plan: TreatmentPlan | None = None,
    overridden: list[dict] | None = None,
    relative_allowed: bool = False,
) -> ScreeningResult:
    """The one screening of a visit, on the visit's own local date `on`: booking and moving, holds, check-in and
    completion, availability for a patient, waitlist matching and claims, online booking all ask it.

    A plan session is screened with its plan's product and override; a visit outside a plan with its `product`
    (its source's rules) and the appointment's own override (`overridden`). Absolute findings always block; a
    relative one blocks unless an override covers it or `relative_allowed` (a practitioner booking with a reason,
    or looking for slots to do so): `warnings` are then the relative findings let through.
    """
    if plan is not None:
        product = plan.product
    covered = covered_rule_ids(plan.overridden_findings if plan is not None else None, overridden)
    return _visit_result(findings_for(patient, therapy_type, product, on=on), covered, relative_allowed)


def visit_screen_days(
    *, patient: Patient, therapy_type: TherapyType, days: list[date], relative_allowed: bool = False
) -> dict[date, ScreeningResult]:
    """visit_screen of a visit outside a plan, without a product, on each of `days` (as availability for a patient
    asks it), from one query whatever the number of days."""
    rules = _patient_rules(patient, therapy_type, None)
    return {day: _visit_result(_findings_on(rules, day), set(), relative_allowed) for day in days}


def _visit_result(findings: list[Finding], covered: set[int], relative_allowed: bool) -> ScreeningResult:
    passes = [f for f in findings if not f.is_absolute and (relative_allowed or f.rule_id in covered)]
    return ScreeningResult(blocking=[f for f in findings if f not in passes], warnings=passes)


def may_override(user) -> bool:
    """Only a practitioner (or a clinic admin) may accept a relative contraindication."""
    return has_role(user, PRACTITIONER, CLINIC_ADMIN)


def findings_as_dicts(findings: list[Finding]) -> list[dict]:
    return [finding.as_dict() for finding in findings]


def contraindicated(result: ScreeningResult, *, detail: str, errors: dict | None = None) -> Contraindicated:
    """The one place a screening result becomes the `409 contraindicated` error.

    The error carries every finding; the API's exception handler gives the front desk the finding names only
    (Contraindicated.for_front_desk), as /screenings/ does.
    """
    return Contraindicated(
        detail,
        errors=errors,
        blocking=findings_as_dicts(result.blocking),
        warnings=findings_as_dicts(result.warnings),
    )


def names(findings: list[Finding]) -> str:
    """The findings' condition names for a sentence: "Anticoagulant therapy, Pregnancy"."""
    return ", ".join(finding.condition_name for finding in findings)
