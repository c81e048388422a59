"""Writing patients: registration, with the duplicate check a front desk needs."""

from datetime import date
from difflib import SequenceMatcher

from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from clinic.events import event_record
from clinic.exceptions import PossibleDuplicate
from clinic.text import fold
from patients.choices import PatientSource
from patients.models import Patient

# How alike two folded full names must be (difflib ratio) to count as the same person born the same day.
SIMILAR_NAME_RATIO = 0.8
MAX_MATCHES = 10


def _similar_names(first_a: str, last_a: str, first_b: str, last_b: str) -> bool:
    """Same person by name: alike once folded ("Zoe Adams" ~ "Zoë Adams", "Alex" ~ "Alexander Smith"), either order."""
    a_first, a_last, b_first, b_last = (fold(name).strip() for name in (first_a, last_a, first_b, last_b))
    if a_last == b_last and (a_first.startswith(b_first) or b_first.startswith(a_first)):
        return True
    if {a_first, a_last} == {b_first, b_last}:
        return True
    return SequenceMatcher(None, f"{a_first} {a_last}", f"{b_first} {b_last}").ratio() >= SIMILAR_NAME_RATIO


def patient_possible_duplicates(
    *, first_name: str, last_name: str, date_of_birth: date, email: str = "", phone: str = "", exclude_id=None
) -> list[tuple[Patient, list[str]]]:
    """Registered patients who may be this person, with what matched (`name_and_date_of_birth`, `email`, `phone`):
    the same date of birth and a similar name, or the same email (any case) or phone. At most MAX_MATCHES, oldest
    record first. One query."""
    same = Q(date_of_birth=date_of_birth)
    if email:
        same |= Q(email_lower=email.lower())
    if phone:
        same |= Q(phone=phone)
    candidates = Patient.objects.alias(email_lower=Lower("email")).filter(same).order_by("id")
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    matches = []
    for candidate in candidates[:200]:
        reasons = []
        if candidate.date_of_birth == date_of_birth and _similar_names(
            first_name, last_name, candidate.first_name, candidate.last_name
        ):
            reasons.append("name_and_date_of_birth")
        if email and candidate.email.lower() == email.lower():
            reasons.append("email")
        if phone and candidate.phone == phone:
            reasons.append("phone")
        if reasons:
            matches.append((candidate, reasons))
    return matches[:MAX_MATCHES]


def patient_register(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    email: str = "",
    phone: str = "",
    email_reminders: bool = True,
    allow_duplicate: bool = False,
    source: str = PatientSource.CLINIC,
) -> Patient:
    """Register a patient. Unless `allow_duplicate`, refuses with PossibleDuplicate (carrying `matches`) when
    someone registered may be the same person (patient_possible_duplicates): nothing is written then."""
    with transaction.atomic():
        if not allow_duplicate:
            matches = patient_possible_duplicates(
                first_name=first_name, last_name=last_name, date_of_birth=date_of_birth, email=email, phone=phone
            )
            if matches:
                raise PossibleDuplicate(matches=[_match(patient, reasons) for patient, reasons in matches])
        patient = Patient(
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            email=email,
            phone=phone,
            email_reminders=email_reminders,
            source=source,
        )
        patient.full_clean()
        patient.save()
        event_record("patient.created", data={"patient": patient.pk})
    return patient


def _match(patient: Patient, reasons: list[str]) -> dict:
    return {
        "id": patient.pk,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "email": patient.email,
        "phone": patient.phone,
        "matched_on": reasons,
    }


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
