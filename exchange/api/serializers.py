from rest_framework import serializers

from care.api.serializers import PatientNoteClinicalSerializer
from messaging.api.serializers import ReminderSerializer
from patients.api.serializers import PatientConditionSerializer, PatientSerializer
from scheduling.api.serializers import AppointmentClinicalSerializer
from treatments.api.serializers import ConsentSerializer, PlanSerializer


class ExportPlanSerializer(PlanSerializer):
    consents = ConsentSerializer(many=True, read_only=True)

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "consents"]
        read_only_fields = fields


class ExportAppointmentSerializer(AppointmentClinicalSerializer):
    """Every appointment with its clinical record (notes, product, lot, who, when, consent) and its emails."""

    reminders = ReminderSerializer(many=True, read_only=True)

    class Meta(AppointmentClinicalSerializer.Meta):
        fields = [*AppointmentClinicalSerializer.Meta.fields, "reminders"]
        read_only_fields = fields


class PatientExportSerializer(serializers.Serializer):
    patient = PatientSerializer()
    conditions = PatientConditionSerializer(many=True)
    notes = PatientNoteClinicalSerializer(many=True, help_text="The patient's own words, read or not.")
    plans = ExportPlanSerializer(many=True)
    appointments = ExportAppointmentSerializer(many=True)
    consents = ConsentSerializer(many=True, help_text="Every consent: to plans and to single visits.")
