from django.db import models


class ConditionKind(models.TextChoices):
    CONDITION = "condition", "Condition"
    MEDICATION = "medication", "Medication class"
    ALLERGY = "allergy", "Allergy"


class ConditionSource(models.TextChoices):
    CLINIC = "clinic", "Recorded by the clinic"
    PATIENT = "patient", "Declared by the patient"


class PatientSource(models.TextChoices):
    """Who registered the patient."""

    CLINIC = "clinic", "Registered by the clinic"
    ONLINE = "online", "Registered through online booking"
