from django.db import models


class ConditionKind(models.TextChoices):
    CONDITION = "condition", "Condition"
    MEDICATION = "medication", "Medication class"
    ALLERGY = "allergy", "Allergy"
