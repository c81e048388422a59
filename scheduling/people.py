"""Patients leaving the clinic and coming back: what that means for their appointments still ahead."""

from django.db import transaction
from django.db.models import Q, QuerySet

from patients.models import Patient
from patients.services import patients_set_active
from scheduling.practitioners import future_active_appointments, people_change_with_reminders


def _set_active(patients: QuerySet[Patient], active: bool) -> int:
    changed = 0

    def change():
        nonlocal changed
        changed = patients_set_active(patients=patients, active=active)

    with transaction.atomic():
        ids = list(patients.exclude(active=active).values_list("pk", flat=True))
        people_change_with_reminders(appointments=future_active_appointments(Q(patient_id__in=ids)), change=change)
    return changed


def patients_deactivate(*, patients: QuerySet[Patient], by=None) -> int:
    """Deactivate patients (kept, hidden from search and new bookings); returns how many changed.

    Guarantees, in one transaction: their future appointments stay booked, appear on the attention list ("the
    patient is inactive") and their reminders are held; each may still be moved (the patient is told the new
    time) or cancelled (the patient is told) by the clinic.
    """
    return _set_active(patients, False)


def patients_reactivate(*, patients: QuerySet[Patient], by=None) -> int:
    """Reactivate patients; their future appointments leave the attention list and their held reminders are
    recomputed (an overdue one is skipped) unless something else holds them. Returns how many changed."""
    return _set_active(patients, True)
