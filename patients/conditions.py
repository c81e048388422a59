"""A patient's conditions, medications and allergies: validating and writing the rows.

These functions write the row only. Recording or changing a condition can change screening, so the use case a
person calls is care.holds.patient_condition_record / patient_condition_update, which writes through here
and re-screens the patient's plans and appointments in the same transaction (imports run scheduling ->
treatments -> patients: only the top of that chain can reach everything the write changes).
"""

from datetime import date, datetime
from typing import TypedDict, Unpack

from django.utils import timezone

from clinic.clock import clinic_today
from clinic.exceptions import DomainValidationError
from clinic.lookups import instance_or_none
from patients.choices import ConditionSource
from patients.models import Condition, Patient, PatientCondition

PATIENT_CONDITION_EDITABLE_FIELDS = ("active", "since", "until", "note")
ENDS_BEFORE_IT_BEGAN = "A condition cannot end before it began."


def _validate_since(since) -> list[str]:
    if since is None:
        return []
    if not isinstance(since, date) or isinstance(since, datetime):
        return ["Give a date."]
    if since > clinic_today():
        return ["The date cannot be in the future."]
    return []


def _validate_until(until) -> list[str]:
    if until is not None and (not isinstance(until, date) or isinstance(until, datetime)):
        return ["Give a date."]
    return []


def _validate_dates(since, until) -> dict[str, list[str]]:
    errors = {}
    if since_errors := _validate_since(since):
        errors["since"] = since_errors
    if until_errors := _validate_until(until):
        errors["until"] = until_errors
    if not errors and since is not None and until is not None and until < since:
        errors["until"] = [ENDS_BEFORE_IT_BEGAN]
    return errors


class PatientConditionDetails(TypedDict, total=False):
    """What a new patient condition may say beside the patient and the condition; what is left out takes the
    model's default (active, clinic-recorded and verified, no dates, no note)."""

    active: bool
    since: date | None
    until: date | None
    note: str
    source: str
    verified: bool


def patient_condition_validate_new(
    *, patient: Patient, condition: Condition | int | None, **details: Unpack[PatientConditionDetails]
) -> Condition:
    """Refuse (DomainValidationError, naming the fields) a new condition the service would not record: an unknown
    condition, one already recorded for the patient, bad or inverted dates. Returns the condition. The API and the
    admin's form ask this very function."""
    condition_obj = instance_or_none(Condition, condition) if condition is not None else None
    errors = {}
    if condition_obj is None:
        errors["condition"] = ["Choose a known condition."]
    elif PatientCondition.objects.filter(patient=patient, condition=condition_obj).exists():
        errors["condition"] = [f"{condition_obj.name} is already recorded for this patient: update it instead."]
    errors.update(_validate_dates(details.get("since"), details.get("until")))
    if errors:
        raise DomainValidationError(errors=errors)
    return condition_obj


def patient_condition_write_new(
    *, patient: Patient, condition: Condition | int, by, **details: Unpack[PatientConditionDetails]
) -> PatientCondition:
    """Validate and save a new patient condition (one per patient and condition); DomainValidationError names
    the fields. Call it inside the use case's transaction."""
    condition_obj = patient_condition_validate_new(patient=patient, condition=condition, **details)
    record = PatientCondition(patient=patient, condition=condition_obj, recorded_by=by, **details)
    record.full_clean()
    record.save()
    return record


def _holds_on(record: PatientCondition, day: date) -> bool:
    started = record.since is None or record.since <= day
    return record.active and started and (record.until is None or day <= record.until)


def patient_condition_write_declared(
    *, patient: Patient, condition: Condition, today: date, note: str
) -> PatientCondition:
    """The patient declares the condition (the questionnaire): from then on it is active from `today` (the
    patient's local date) with no end, whatever row exists: an ended one, an inactive one, or one ending later.

    Guarantees: a row that already holds today keeps its start and loses its end; any other row begins again
    `today`. A row the declaration changes (or creates) is `source="patient"`, `verified=False` until a
    practitioner reviews it, with `note` added; a row active from before today with no end is left as the clinic
    recorded it. The row is locked. Inside the use case's transaction, which re-screens the patient."""
    rows = PatientCondition.objects.select_for_update(of=("self",))
    record = rows.filter(patient=patient, condition=condition).first()
    if record is None:
        return patient_condition_write_new(
            patient=patient, condition=condition, by=None, note=note, source=ConditionSource.PATIENT, verified=False
        )
    if _holds_on(record, today) and record.until is None:
        return record
    if not _holds_on(record, today):
        record.since = today
    record.active, record.until = True, None
    record.source, record.verified = ConditionSource.PATIENT, False
    record.verified_by, record.verified_at = None, None
    record.note = f"{record.note}\n{note}".strip()
    record.full_clean()
    record.save()
    return record


def patient_condition_validate_change(fields: dict, *, patient_condition: PatientCondition | None = None) -> None:
    """Refuse (DomainValidationError) a change of anything but the editable fields, or a bad value; given the row,
    also a change that would leave it ending before it began. The API and the admin's form ask this function."""
    errors = {
        name: ["This field cannot be changed here."] for name in fields if name not in PATIENT_CONDITION_EDITABLE_FIELDS
    }
    if "active" in fields and not isinstance(fields["active"], bool):
        errors["active"] = ["Give true or false."]
    if "since" in fields and (since_errors := _validate_since(fields["since"])):
        errors["since"] = since_errors
    if "until" in fields and (until_errors := _validate_until(fields["until"])):
        errors["until"] = until_errors
    if not errors and patient_condition is not None:
        since = fields.get("since", patient_condition.since)
        until = fields.get("until", patient_condition.until)
        if since is not None and until is not None and until < since:
            errors["until"] = [ENDS_BEFORE_IT_BEGAN]
    if errors:
        raise DomainValidationError(errors=errors)


def patient_condition_write_change(*, patient_condition: PatientCondition, fields: dict) -> PatientCondition:
    """Lock the row, apply the (validated) change and save; returns the row. Inside the use case's transaction."""
    record = (
        PatientCondition.objects.select_for_update(of=("self",))
        .select_related("patient", "condition")
        .get(pk=patient_condition.pk)
    )
    for name, value in fields.items():
        setattr(record, name, value)
    if errors := _validate_dates(record.since, record.until):
        raise DomainValidationError(errors=errors)
    record.full_clean()
    record.save()
    return record


def patient_condition_write_verdict(*, patient_condition: PatientCondition, by, verified: bool) -> PatientCondition:
    """Record a practitioner's verdict on a condition (typically one the patient declared): `verified=True`
    confirms it; `verified=False` rejects it, which also makes it inactive (it no longer counts in screening).
    Who and when are kept. Inside the use case's transaction (care.holds.patient_condition_verify)."""
    if not isinstance(verified, bool):
        raise DomainValidationError(errors={"verified": ["Give true or false."]})
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
