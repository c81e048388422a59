"""The clinical resources (practitioners and clinic admins only): CarePlan, Procedure, Condition,
AllergyIntolerance and Consent, as FHIR R4 JSON (validated by exchange.fhir.registry)."""

from clinic.clock import clinic_today
from exchange.fhir.resources import (
    coded,
    instant,
    local_instant,
    reference,
    therapy_concept,
    without_empty,
)
from patients.choices import ConditionKind, ConditionSource
from patients.models import PatientCondition
from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment
from treatments.choices import PlanStatus, SessionStatus
from treatments.models import Consent, TreatmentPlan, TreatmentSession

HL7 = "http://terminology.hl7.org/CodeSystem"
PLAN_STATUS = {PlanStatus.ACTIVE: "active", PlanStatus.COMPLETED: "completed", PlanStatus.CANCELLED: "revoked"}
SESSION_STATUS = {
    SessionStatus.PLANNED: "not-started",
    SessionStatus.BOOKED: "scheduled",
    SessionStatus.COMPLETED: "completed",
    SessionStatus.CANCELLED: "cancelled",
    SessionStatus.SKIPPED: "cancelled",
}


def _session_appointment(session: TreatmentSession) -> Appointment | None:
    """The appointment that stands for the session: the latest one not cancelled (from the prefetched rows)."""
    standing = [a for a in session.appointments.all() if a.status != AppointmentStatus.CANCELLED]
    return max(standing, key=lambda a: (a.start, a.pk)) if standing else None


def _activity(session: TreatmentSession, planned: int) -> dict:
    progress = [{"text": f"Session {session.sequence} of {planned}: {session.get_status_display().lower()}"}]
    appointment = _session_appointment(session)
    if appointment is None:
        return {
            "progress": progress,
            "detail": {
                "kind": "Appointment",
                "status": SESSION_STATUS[session.status],
                "description": f"Session {session.sequence} of {planned}",
                "scheduledPeriod": {"start": session.window_start.isoformat(), "end": session.window_end.isoformat()},
            },
        }
    activity = {"progress": progress, "reference": reference("Appointment", appointment.pk)}
    if appointment.status == AppointmentStatus.COMPLETED:
        activity["outcomeReference"] = [reference("Procedure", appointment.pk)]
    return activity


def care_plan_resource(plan: TreatmentPlan) -> dict:
    """A course: one activity per session, referencing its Appointment (and the Procedure once given); a session
    not booked yet is described by its window."""
    product = f" with {plan.product.name}" if plan.product_id else ""
    return without_empty(
        resourceType="CarePlan",
        id=str(plan.pk),
        meta={"lastUpdated": instant(plan.updated_at)},
        status=PLAN_STATUS[plan.status],
        intent="plan",
        category=[therapy_concept(plan.therapy_type)],
        title=f"{plan.therapy_type.name} course",
        description=f"{plan.sessions_planned} sessions of {plan.therapy_type.name}{product}, "
        f"{plan.min_interval_days}-{plan.max_interval_days} days apart, for {plan.get_indication_display().lower()}.",
        subject=reference("Patient", plan.patient_id),
        period={"start": plan.start_date.isoformat()},
        created=instant(plan.created_at),
        activity=[_activity(session, plan.sessions_planned) for session in plan.sessions.all()],
        note=[{"text": plan.notes}] if plan.notes.strip() else [],
    )


def _product_used(appointment: Appointment) -> dict:
    product, lot = appointment.product, appointment.product_lot
    medication = {
        "resourceType": "Medication",
        "id": "product",
        "code": coded("product", str(product.pk), product.name),
    }
    if lot is not None:
        medication["batch"] = {"lotNumber": lot.lot_number, "expirationDate": lot.expires_on.isoformat()}
    return medication


def procedure_resource(appointment: Appointment) -> dict:
    """A completed visit: the therapy given, by whom, when (the appointment's time on the location's clock), where,
    under which plan, the product and lot used (a contained Medication with its batch) and the notes."""
    contained = [_product_used(appointment)] if appointment.product_id else []
    used = [{"reference": "#product", "display": appointment.product.name}] if contained else []
    reason = [{"text": appointment.plan.get_indication_display()}] if appointment.plan_id else []
    return without_empty(
        resourceType="Procedure",
        id=str(appointment.pk),
        meta={"lastUpdated": instant(appointment.updated_at)},
        contained=contained,
        basedOn=[reference("CarePlan", appointment.plan_id)] if appointment.plan_id else [],
        status="completed",
        code=therapy_concept(appointment.therapy_type),
        subject=reference("Patient", appointment.patient_id),
        performedDateTime=local_instant(appointment.start, appointment.location.zone),
        performer=[
            {"actor": reference("Practitioner", appointment.practitioner_id, appointment.practitioner.display_name)}
        ],
        location=reference("Location", appointment.location_id, appointment.location.name),
        reasonCode=reason,
        usedReference=used,
        note=[{"text": appointment.notes}] if appointment.notes.strip() else [],
    )


def _clinical_status(patient_condition: PatientCondition) -> str:
    if not patient_condition.active:
        return "inactive"
    if patient_condition.until is not None and patient_condition.until < clinic_today():
        return "resolved"
    return "active"


def _verification_status(patient_condition: PatientCondition) -> str:
    if patient_condition.verified:
        return "confirmed"
    return "refuted" if patient_condition.verified_at else "unconfirmed"


def _condition_common(patient_condition: PatientCondition) -> dict:
    condition = patient_condition.condition
    common = {
        "id": str(patient_condition.pk),
        "meta": {"lastUpdated": instant(patient_condition.updated_at)},
        "code": coded("condition", condition.code, condition.name),
        "onsetDateTime": patient_condition.since.isoformat() if patient_condition.since else None,
        "recordedDate": instant(patient_condition.created_at),
        "note": [{"text": patient_condition.note}] if patient_condition.note.strip() else [],
    }
    if patient_condition.source == ConditionSource.PATIENT:
        common["asserter"] = reference("Patient", patient_condition.patient_id)
    return common


def condition_resource(patient_condition: PatientCondition) -> dict:
    """A condition or a medication class the patient takes (category says which); an end date is given as the
    abatement once it has passed (FHIR: an abated condition is not active)."""
    clinical = _clinical_status(patient_condition)
    kind = patient_condition.condition.kind
    abated = patient_condition.until is not None and clinical != "active"
    return without_empty(
        resourceType="Condition",
        clinicalStatus={"coding": [{"system": f"{HL7}/condition-clinical", "code": clinical}]},
        verificationStatus={
            "coding": [{"system": f"{HL7}/condition-ver-status", "code": _verification_status(patient_condition)}]
        },
        category=[coded("condition-kind", kind, ConditionKind(kind).label)],
        subject=reference("Patient", patient_condition.patient_id),
        abatementDateTime=patient_condition.until.isoformat() if abated else None,
        **_condition_common(patient_condition),
    )


def allergy_resource(patient_condition: PatientCondition) -> dict:
    clinical = _clinical_status(patient_condition)
    return without_empty(
        resourceType="AllergyIntolerance",
        clinicalStatus={"coding": [{"system": f"{HL7}/allergyintolerance-clinical", "code": clinical}]},
        verificationStatus={
            "coding": [
                {"system": f"{HL7}/allergyintolerance-verification", "code": _verification_status(patient_condition)}
            ]
        },
        type="allergy",
        patient=reference("Patient", patient_condition.patient_id),
        **_condition_common(patient_condition),
    )


def consent_resource(consent: Consent) -> dict:
    """A patient's consent to treatment: to a course (provision data: the CarePlan) or to one visit (the
    Appointment given under it), with the version of the form's text."""
    if consent.plan_id:
        subjects = [reference("CarePlan", consent.plan_id)]
        withdrawn = consent.plan.status == PlanStatus.CANCELLED
    else:
        subjects = [reference("Appointment", appointment.pk) for appointment in consent.appointments.all()]
        withdrawn = False
    return without_empty(
        resourceType="Consent",
        id=str(consent.pk),
        status="inactive" if withdrawn else "active",
        scope={"coding": [{"system": f"{HL7}/consentscope", "code": "treatment", "display": "Treatment"}]},
        category=[{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]}],
        patient=reference("Patient", consent.patient_id),
        dateTime=instant(consent.consented_at),
        performer=[reference("Patient", consent.patient_id)],
        policyRule={
            "coding": [{"system": f"{HL7}/v3-ActCode", "code": "OPTIN"}],
            "text": f"Consent form {consent.text_version} ({consent.get_method_display().lower()})",
        },
        sourceAttachment={"title": consent.consented_to} if consent.consented_to.strip() else None,
        provision=without_empty(
            type="permit", data=[{"meaning": "related", "reference": subject} for subject in subjects]
        ),
    )


CONDITION_KINDS = (ConditionKind.CONDITION, ConditionKind.MEDICATION)
ALLERGY_KINDS = (ConditionKind.ALLERGY,)
