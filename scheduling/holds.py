"""Everything that can change a patient's screening, and what follows from it, in one transaction.

Recording or changing a condition (or a contraindication rule) re-screens the patient's active plans and future
appointments before the write commits. This is the top of the import chain (scheduling -> treatments ->
patients), the lowest place that can reach all three, so the use cases live here; the rows are validated and
written by patients.conditions.
"""

from datetime import date

from django.db import transaction

from patients.conditions import (
    patient_condition_validate_change,
    patient_condition_write_change,
    patient_condition_write_new,
)
from patients.models import Condition, Patient, PatientCondition
from treatments.plans import plans_rescreen


def patient_screening_changed(*, patient: Patient, by=None) -> None:
    """Re-screen everything of the patient that screening guards; inside the caller's transaction."""
    plans_rescreen(patient=patient)


def patient_condition_record(
    *,
    patient: Patient,
    condition: Condition | int,
    by,
    active: bool = True,
    since: date | None = None,
    note: str = "",
) -> PatientCondition:
    """Record a condition, medication or allergy for a patient.

    Guarantees: in the same transaction the patient's active plans are re-screened (a plan with a finding no
    override covers is flagged `needs_attention`).
    """
    with transaction.atomic():
        record = patient_condition_write_new(
            patient=patient, condition=condition, by=by, active=active, since=since, note=note
        )
        if active:
            patient_screening_changed(patient=patient, by=by)
    return record


def patient_condition_update(*, patient_condition: PatientCondition, by, **fields) -> PatientCondition:
    """Change a patient's condition (active, since, note).

    Guarantees: re-activating it re-screens the patient's plans like recording it does.
    """
    patient_condition_validate_change(fields)
    with transaction.atomic():
        was_active = patient_condition.active
        record = patient_condition_write_change(patient_condition=patient_condition, fields=fields)
        if record.active and not was_active:
            patient_screening_changed(patient=record.patient, by=by)
    patient_condition.refresh_from_db()
    return record
