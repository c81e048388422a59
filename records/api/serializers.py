from rest_framework import serializers

from patients.api.serializers import PatientSerializer
from scheduling.api.serializers import AppointmentSerializer, ReminderSerializer
from treatments.api.serializers import ConsentSerializer, PatientConditionSerializer, PlanSerializer


class ExportPlanSerializer(PlanSerializer):
    consents = ConsentSerializer(many=True, read_only=True)

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "consents"]
        read_only_fields = fields


class ExportAppointmentSerializer(AppointmentSerializer):
    reminders = ReminderSerializer(many=True, read_only=True)

    class Meta(AppointmentSerializer.Meta):
        fields = [*AppointmentSerializer.Meta.fields, "reminders"]
        read_only_fields = fields


class PatientExportSerializer(serializers.Serializer):
    patient = PatientSerializer()
    conditions = PatientConditionSerializer(many=True)
    plans = ExportPlanSerializer(many=True)
    appointments = ExportAppointmentSerializer(many=True)
