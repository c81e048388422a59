from rest_framework import serializers

from scheduling.models import (
    Reminder,
)


class ReminderSerializer(serializers.ModelSerializer):
    # What the desk's failed-reminders list shows, without a request per appointment.
    patient = serializers.IntegerField(source="appointment.patient_id", read_only=True)
    patient_name = serializers.CharField(source="appointment.patient.full_name", read_only=True)
    appointment_start = serializers.DateTimeField(source="appointment.start", read_only=True)

    class Meta:
        model = Reminder
        fields = [
            "id",
            "appointment",
            "patient",
            "patient_name",
            "appointment_start",
            "kind",
            "due_at",
            "status",
            "attempts",
            "next_attempt_at",
            "sent_at",
            "last_error",
        ]
