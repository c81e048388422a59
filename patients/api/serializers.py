from rest_framework import serializers

from patients.models import Condition, Patient


class PatientSerializer(serializers.ModelSerializer):
    """Demographics: everything the front desk may see of a patient."""

    class Meta:
        model = Patient
        fields = ["id", "first_name", "last_name", "date_of_birth", "email", "phone", "email_reminders"]


class ConditionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Condition
        fields = ["id", "code", "name", "kind", "description"]
