"""Free-text notes about a patient's health: what the patient wrote themselves (the questionnaire's "anything
else"), kept as written, unread until a practitioner reads it."""

from django.db import transaction
from django.utils import timezone

from clinic.exceptions import DomainValidationError
from clinic.roles import CLINIC_ADMIN, PRACTITIONER, has_role
from patients.choices import ConditionSource
from patients.models import Patient, PatientNote

MAX_NOTE_CHARS = 2000


def patient_note_declare(*, patient: Patient, text: str) -> PatientNote | None:
    """Keep what the patient wrote (trimmed, at most MAX_NOTE_CHARS) as an unread `source="patient"` note; None
    when they wrote nothing. Inside the use case's transaction."""
    text = (text or "").strip()[:MAX_NOTE_CHARS]
    if not text:
        return None
    note = PatientNote(patient=patient, text=text, source=ConditionSource.PATIENT)
    note.full_clean()
    note.save()
    return note


def patient_note_mark_read(*, note: PatientNote, by) -> PatientNote:
    """A practitioner (or clinic admin) has read the note: who and when are kept, once (a second read changes
    nothing). Refused (DomainValidationError) for anyone else."""
    if not has_role(by, PRACTITIONER, CLINIC_ADMIN):
        raise DomainValidationError(errors={"by": ["Only a practitioner may mark the patient's words as read."]})
    with transaction.atomic():
        row = PatientNote.objects.select_for_update().get(pk=note.pk)
        if row.read_at is None:
            row.read_by, row.read_at = by, timezone.now()
            row.save(update_fields=["read_by", "read_at"])
    return row
