"""Changes to patients that are more than a field edit."""

from django.db import transaction
from django.db.models import QuerySet

from patients.models import Patient


def patients_set_active(*, patients: QuerySet[Patient], active: bool) -> int:
    """Deactivate (or reactivate) patients; returns how many changed. Nothing is deleted: a deactivated patient
    keeps every record and access-log entry and is only hidden from search. Each change is kept in the history."""
    changed = 0
    with transaction.atomic():
        for patient in patients.select_for_update().exclude(active=active):
            patient.active = active
            patient.save(update_fields=["active", "updated_at"])
            changed += 1
    return changed
