"""Clinical holds: everything that can change a patient's screening, and what follows from it, in one transaction.

Recording or changing a condition, or a contraindication rule, re-screens the patient's active plans and future
appointments before the write commits: an appointment whose patient is now blocked for its therapy on its
treatment date (its local date) goes on hold (no check-in, reminders held) and a hold lifts by itself when
re-screening finds the patient eligible again. A practitioner may release a hold over a relative finding with a
reason; an absolute one stays.

These use cases join patients, treatments, the calendar and its reminders, so they live in care, the floor above
all of them; the condition rows are validated and written by patients.conditions, an appointment is screened by
scheduling.screening.
"""

from datetime import datetime
from typing import Unpack

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from clinic.exceptions import DomainValidationError
from messaging.reminders import appointment_reminders_hold, appointment_reminders_release
from patients.conditions import (
    PatientConditionDetails,
    patient_condition_validate_change,
    patient_condition_write_change,
    patient_condition_write_new,
    patient_condition_write_verdict,
)
from patients.models import Condition, Patient, PatientCondition
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES
from scheduling.locks import appointment_lock
from scheduling.models import Appointment, Location
from scheduling.screening import appointment_screen
from treatments.models import Contraindication
from treatments.plans import plan_accept_findings, plans_rescreen
from treatments.screening import (
    ScreeningResult,
    contraindicated,
    findings_as_dicts,
    may_override,
    names,
)


def _hold(appointment: Appointment, result: ScreeningResult) -> bool:
    """Put the (locked) appointment on hold with its findings; True when something changed."""
    findings = findings_as_dicts(result.blocking)
    if appointment.on_hold and appointment.hold_findings == findings:
        return False
    if not appointment.on_hold:
        appointment.on_hold = True
        appointment.held_at = timezone.now()
        appointment_reminders_hold(appointment)
    appointment.hold_findings = findings
    appointment.save(update_fields=["on_hold", "held_at", "hold_findings", "updated_at"])
    return True


def _lift(appointment: Appointment) -> None:
    """Take the (locked) appointment off hold; its held reminders are recomputed."""
    appointment.on_hold = False
    appointment.held_at = None
    appointment.hold_findings = []
    appointment.save(update_fields=["on_hold", "held_at", "hold_findings", "updated_at"])
    appointment_reminders_release(appointment)


def appointment_hold_sync(appointment: Appointment) -> bool:
    """Hold the (locked, active) appointment when screening blocks on its treatment date, lift the hold when it no
    longer does; True when the hold changed. Inside the caller's transaction."""
    result = appointment_screen(appointment)
    if result.blocking:
        return _hold(appointment, result)
    if appointment.on_hold:
        _lift(appointment)
        return True
    return False


def _future_active(patients: Q) -> QuerySet[Appointment]:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .filter(patients, status__in=ACTIVE_APPOINTMENT_STATUSES, end__gt=timezone.now())
        .select_related("patient", "location", "therapy_type", "plan__product")
        .order_by("start", "pk")
    )


def appointments_rescreen(*, patient: Patient, by=None) -> list[Appointment]:
    """Re-screen the patient's future active appointments (plan or no plan), each on its treatment date.

    Guarantees, in the caller's transaction (or its own): an appointment now blocked goes on hold (its pending
    reminders `held`), one no longer blocked comes off hold (its reminders recomputed, an overdue one skipped).
    Returns the appointments whose hold changed. Call it after anything that changes the patient's screening.
    """
    with transaction.atomic():
        return [appointment for appointment in _future_active(Q(patient=patient)) if appointment_hold_sync(appointment)]


def patient_screening_changed(*, patient: Patient, by=None) -> None:
    """Re-screen everything screening guards for the patient: plans (flagged) then appointments (held). Plans are
    locked before appointments, the order every writer keeps."""
    with transaction.atomic():
        plans_rescreen(patient=patient)
        appointments_rescreen(patient=patient, by=by)


# --- conditions -----------------------------------------------------------------------------------------------


def patient_condition_record(
    *, patient: Patient, condition: Condition | int, by, **details: Unpack[PatientConditionDetails]
) -> PatientCondition:
    """Record a condition, medication or allergy for a patient; one the patient declared is recorded with
    `source="patient"` and `verified=False` until a practitioner verifies it (patient_condition_verify).

    Guarantees: in the same transaction the patient's active plans are re-screened (a plan with a finding no
    override covers is flagged `needs_attention`) and their future appointments blocked on their treatment date
    go on hold, so the answer to this write already sees the holds.
    """
    with transaction.atomic():
        record = patient_condition_write_new(patient=patient, condition=condition, by=by, **details)
        patient_screening_changed(patient=patient, by=by)
    return record


def patient_condition_update(*, patient_condition: PatientCondition, by, **fields) -> PatientCondition:
    """Change a patient's condition (active, since, until, note).

    Guarantees: the patient is re-screened in the same transaction: a reactivated or extended condition holds
    appointments, an ended or deactivated one lifts the holds it caused (plan flags stay until a practitioner
    reviews the plan).
    """
    patient_condition_validate_change(fields, patient_condition=patient_condition)
    with transaction.atomic():
        record = patient_condition_write_change(patient_condition=patient_condition, fields=fields)
        patient_screening_changed(patient=record.patient, by=by)
    patient_condition.refresh_from_db()
    return record


def patient_condition_verify(*, patient_condition: PatientCondition, by, verified: bool) -> PatientCondition:
    """A practitioner confirms (True) or rejects (False, the condition becomes inactive) a condition; the patient
    is re-screened in the same transaction, so a rejected declaration lifts the holds it caused."""
    with transaction.atomic():
        record = patient_condition_write_verdict(patient_condition=patient_condition, by=by, verified=verified)
        patient_screening_changed(patient=record.patient, by=by)
    return record


# --- rules ----------------------------------------------------------------------------------------------------


def _patients_with(condition_id: int) -> QuerySet[Patient]:
    return Patient.objects.filter(conditions__condition_id=condition_id, conditions__active=True).order_by("pk")


def contraindication_save(*, rule: Contraindication, by=None) -> Contraindication:
    """Add or change a contraindication rule (the admin's save) and re-screen, in the same transaction, every
    patient who has the rule's condition (and, for a changed rule, its former condition)."""
    with transaction.atomic():
        before = Contraindication.objects.filter(pk=rule.pk).values_list("condition_id", flat=True).first()
        rule.full_clean()
        rule.save()
        for condition_id in {rule.condition_id, before} - {None}:
            for patient in _patients_with(condition_id):
                patient_screening_changed(patient=patient, by=by)
    return rule


def contraindication_delete(*, rule: Contraindication, by=None) -> None:
    """Remove a rule and re-screen the patients it could have blocked (their holds lift where nothing else
    blocks)."""
    with transaction.atomic():
        condition_id = rule.condition_id
        rule.delete()
        for patient in _patients_with(condition_id):
            patient_screening_changed(patient=patient, by=by)


# --- release --------------------------------------------------------------------------------------------------


def appointment_release(*, appointment: Appointment, by, override_reason: str = "") -> Appointment:
    """A practitioner releases an appointment from its hold after re-screening it.

    Guarantees: an appointment not on hold is returned unchanged; clean screening lifts the hold; relative findings
    lift it only with `override_reason` (kept with who and when: on the plan for a plan session, on the appointment
    otherwise); an absolute finding refuses (Contraindicated) and the hold stays. Released reminders are recomputed.
    """
    override_reason = (override_reason or "").strip()
    if not may_override(by):
        raise DomainValidationError(errors={"by": ["Only a practitioner may release an appointment on hold."]})
    with transaction.atomic():
        appointment = appointment_lock(appointment)
        if not appointment.on_hold:
            return appointment
        result = appointment_screen(appointment)
        if result.blocking:
            absolute = [finding for finding in result.blocking if finding.is_absolute]
            if absolute or not override_reason:
                raise contraindicated(
                    result,
                    detail=f"The appointment stays on hold: {names(result.blocking)}.",
                    errors={}
                    if absolute
                    else {"override_reason": ["Give a reason to accept: " + names(result.blocking)]},
                )
            if appointment.plan_id is not None:
                plan_accept_findings(plan=appointment.plan, by=by, reason=override_reason, findings=result.blocking)
            else:
                appointment.override_reason = override_reason
                appointment.override_by = by
                appointment.override_at = timezone.now()
                appointment.overridden_findings = [
                    *appointment.overridden_findings,
                    *findings_as_dicts(result.blocking),
                ]
                appointment.save(
                    update_fields=["override_reason", "override_by", "override_at", "overridden_findings", "updated_at"]
                )
        _lift(appointment)
    return appointment


# --- dates ----------------------------------------------------------------------------------------------------


def holds_rescreen_at_midnight(*, locations: QuerySet[Location] | list[Location]) -> int:
    """Re-screen the patients with dated conditions who have future appointments at these locations (called when
    a new day begins there), so holds appear and lift as conditions' dates pass. Returns how many holds changed.
    Each patient in its own transaction."""
    patients = (
        Patient.objects.filter(
            Q(conditions__since__isnull=False) | Q(conditions__until__isnull=False),
            conditions__active=True,
            appointments__location__in=locations,
            appointments__status__in=ACTIVE_APPOINTMENT_STATUSES,
            appointments__end__gt=timezone.now(),
        )
        .distinct()
        .order_by("pk")
    )
    changed = 0
    for patient in patients:
        with transaction.atomic():
            plans_rescreen(patient=patient)
            changed += len(appointments_rescreen(patient=patient))
    return changed


def locations_at_midnight(*, now: datetime | None = None, window_minutes: int = 15) -> list[Location]:
    """The locations where a new local day began within the last `window_minutes` (the beat runs that often)."""
    now = now or timezone.now()
    found = []
    for location in Location.objects.all():
        local = now.astimezone(location.zone)
        if local.hour == 0 and local.minute < window_minutes:
            found.append(location)
    return found
