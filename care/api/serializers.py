from rest_framework import serializers

from patients.api.serializers import PatientNoteSerializer
from patients.models import PatientNote


class PatientNoteClinicalSerializer(PatientNoteSerializer):
    """A patient's note with the appointment whose questionnaire it came from (null for any other note)."""

    appointment = serializers.SerializerMethodField(help_text="The appointment whose questionnaire held the words.")

    class Meta(PatientNoteSerializer.Meta):
        fields = [*PatientNoteSerializer.Meta.fields, "appointment"]
        read_only_fields = fields

    def get_appointment(self, note: PatientNote) -> int | None:
        answer = getattr(note, "questionnaire", None)
        return answer.appointment_id if answer is not None else None
