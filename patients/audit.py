"""Reads of patient records and clinical data through the API, logged for the patient's access log."""

from collections.abc import Iterable

from patients.models import AccessLog


def access_record(request, patients: Iterable) -> None:
    """Log that request.user read these patients' data at request.path (one row per distinct patient)."""
    patient_ids = {getattr(patient, "pk", patient) for patient in patients}
    AccessLog.objects.bulk_create(
        AccessLog(user=request.user, patient_id=patient_id, endpoint=request.path[:255], method=request.method)
        for patient_id in sorted(patient_ids)
    )
