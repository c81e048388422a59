from django.conf import settings
from django.contrib.postgres.indexes import OpClass
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import CharField, F, Q, TextField, Value
from django.db.models.functions import Cast, Concat, Lower, Upper
from simple_history.models import HistoricalRecords

from clinic.db import PostgresGinIndex
from clinic.text import Folded
from patients.choices import ConditionKind, ConditionSource, PatientSource

e164_validator = RegexValidator(
    regex=r"^\+[1-9]\d{6,14}$",
    message="Enter the phone number in international E.164 form, e.g. +447700900123.",
)


class Condition(models.Model):
    """A catalog entry a rule can refer to: a condition, a medication class or an allergy."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=ConditionKind.choices, default=ConditionKind.CONDITION)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


def trigram_index(expression, name: str) -> PostgresGinIndex:
    """A trigram index (PostgreSQL) for case-insensitive substring matches on `expression`: Django writes
    `icontains` as UPPER(expression::text) LIKE UPPER('%word%'), so the index is on exactly that expression."""
    return PostgresGinIndex(OpClass(Upper(Cast(expression, TextField())), name="gin_trgm_ops"), name=name)


def search_text() -> Concat:
    """Name, email and phone in one string, a space apart, for patient search (patients.filtersets).

    A search word has no space in it, so it occurs in this text exactly when it occurs in one of the fields: one
    case-insensitive match here equals the four per field. PostgreSQL serves it from one trigram index on this
    very expression (Patient.Meta) instead of combining four.
    """
    return Concat(
        "first_name", Value(" "), "last_name", Value(" "), "email", Value(" "), "phone", output_field=CharField()
    )


def folded_search_text() -> Folded:
    """search_text() without accents, in lower case: what patient search (patients.search) matches every word
    against, with LIKE and pg_trgm's `<%`, both served by the one trigram index on it (Meta)."""
    return Folded(search_text())


class Patient(models.Model):
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(
        max_length=16, blank=True, validators=[e164_validator], help_text="E.164, e.g. +447700900123"
    )
    email_reminders = models.BooleanField(default=True, help_text="Send confirmation and reminder emails.")
    source = models.CharField(
        max_length=16, choices=PatientSource.choices, default=PatientSource.CLINIC, help_text="Who registered them."
    )
    # Patients are never deleted (their history and access log must stay): one who leaves is deactivated, which
    # hides them from search and new bookings.
    active = models.BooleanField(default=True, help_text="Inactive patients are kept but hidden from search.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(Lower("last_name"), Lower("first_name"), name="patient_name_idx"),
            models.Index(Lower("email"), name="patient_email_idx"),
            models.Index(fields=["phone"], name="patient_phone_idx"),
            # Patient search (patients.search) matches every word against the folded search text.
            PostgresGinIndex(OpClass(folded_search_text(), name="gin_trgm_ops"), name="patient_search_folded_trgm"),
            # The admin's search matches each column on its own.
            *(
                trigram_index(column, f"patient_{column}_trgm")
                for column in ("first_name", "last_name", "email", "phone")
            ),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class PatientCondition(models.Model):
    """A condition, medication or allergy recorded for a patient; inactive rows are history, not findings."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conditions")
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="patient_conditions")
    active = models.BooleanField(default=True)
    since = models.DateField(null=True, blank=True)
    until = models.DateField(
        null=True, blank=True, help_text="Last day the condition holds (e.g. the last dose); empty while ongoing."
    )
    note = models.TextField(blank=True)
    source = models.CharField(max_length=16, choices=ConditionSource.choices, default=ConditionSource.CLINIC)
    verified = models.BooleanField(
        default=True, help_text="False while a condition the patient declared waits for a practitioner's review."
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["patient", "condition__name"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "condition"], name="patient_condition_unique"),
            models.CheckConstraint(
                condition=Q(since__isnull=True) | Q(until__isnull=True) | Q(since__lte=F("until")),
                name="patient_condition_since_before_until",
                violation_error_message="A condition cannot end before it began.",
            ),
        ]

    def __str__(self):
        state = "" if self.active else " (inactive)"
        return f"{self.patient}: {self.condition}{state}"


class PatientNote(models.Model):
    """Free text about the patient's health, kept as it was written: what the patient wrote in the pre-visit
    questionnaire ("I take apixaban") is `source="patient"`. Clinical data: clinical roles read it; the front desk
    reads only that a practitioner must review it. Unread until a practitioner marks it read (who and when)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="notes")
    text = models.TextField()
    source = models.CharField(max_length=16, choices=ConditionSource.choices, default=ConditionSource.PATIENT)
    created_at = models.DateTimeField(auto_now_add=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    read_at = models.DateTimeField(null=True, blank=True, help_text="When a practitioner read it; empty while unread.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["patient", "-created_at", "-id"]

    def __str__(self):
        return f"{self.patient}: note of {self.created_at:%Y-%m-%d} ({self.get_source_display().lower()})"


class AccessLog(models.Model):
    """One read of a patient's record or clinical data through the API: who, which patient, what, when."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The audit trail outlives whatever happens to the patient row: no database constraint and no cascade, so the
    # entry keeps the patient's id even if the row were ever removed (patients are deactivated, never deleted).
    patient = models.ForeignKey(Patient, on_delete=models.DO_NOTHING, db_constraint=False, related_name="access_log")
    endpoint = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "-at"], name="access_log_patient_idx")]

    def __str__(self):
        return f"{self.user} {self.method} {self.endpoint} at {self.at:%Y-%m-%d %H:%M}"


class AccessAlert(models.Model):
    """Something about reads of patient data a clinic admin should look at (their attention list in the admin),
    e.g. a burst of whole-record exports by one user. Kept until an admin marks it reviewed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    what = models.TextField(help_text="What happened, in a sentence.")
    reviewed = models.BooleanField(default=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["reviewed", "-at", "-id"]

    def __str__(self):
        return f"{self.user}: {self.what}"
