from rest_framework import serializers

from clinic.api.fields import (
    AwareDateTimeField,
    IdRelatedField,
    StrictCharField,
    StrictSerializer,
)
from patients.api.serializers import PatientNoteSerializer
from patients.models import Patient, PatientNote
from scheduling.choices import CancelledBy
from scheduling.models import (
    Device,
    Location,
    Practitioner,
    Room,
)
from treatments.models import Product, ProductLot, TherapyType, TreatmentSession


class AppointmentBookSerializer(StrictSerializer):
    patient = IdRelatedField(queryset=Patient.objects.all())
    therapy_type = IdRelatedField(queryset=TherapyType.objects.all())
    practitioner = IdRelatedField(queryset=Practitioner.objects.all())
    start = AwareDateTimeField()
    session = IdRelatedField(queryset=TreatmentSession.objects.all(), required=False, allow_null=True)
    room = IdRelatedField(queryset=Room.objects.all(), required=False, allow_null=True)
    device = IdRelatedField(queryset=Device.objects.all(), required=False, allow_null=True)
    product = IdRelatedField(
        queryset=Product.objects.all(),
        required=False,
        allow_null=True,
        help_text="For a visit outside a plan: the product used, where the therapy uses one (a session uses its "
        "plan's).",
    )
    location = IdRelatedField(
        queryset=Location.objects.all(),
        required=False,
        allow_null=True,
        help_text="Book at this location (the one availability was searched at); refused when the practitioner "
        "does not work there then.",
    )
    override_reason = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Practitioners only: why the visit goes ahead despite a relative contraindication.",
    )


class AppointmentRescheduleSerializer(StrictSerializer):
    start = AwareDateTimeField()
    sequence = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        help_text="The appointment's `sequence` as you read it: a move made since then answers `409 conflict`.",
    )
    practitioner = IdRelatedField(queryset=Practitioner.objects.all(), required=False, allow_null=True)
    location = IdRelatedField(
        queryset=Location.objects.all(), required=False, allow_null=True, help_text="Move to this location."
    )


class AppointmentReleaseSerializer(StrictSerializer):
    override_reason = StrictCharField(
        required=False, allow_blank=True, max_length=2000, help_text="Needed to accept a relative contraindication."
    )


class PlanReviewSerializer(StrictSerializer):
    override_reason = StrictCharField(
        required=False, allow_blank=True, max_length=2000, help_text="Needed to accept a relative contraindication."
    )


class ReasonSerializer(StrictSerializer):
    reason = StrictCharField(max_length=2000)


class AppointmentCancelSerializer(StrictSerializer):
    reason = StrictCharField(required=False, allow_blank=True, max_length=2000)
    by = serializers.ChoiceField(
        choices=CancelledBy.choices,
        default=CancelledBy.PATIENT,
        source="cancelled_by",
        help_text="Who cancels: `patient` (the default; a late cancel counts in their attendance) or `clinic`.",
    )


class AppointmentCompleteSerializer(StrictSerializer):
    notes = StrictCharField(required=False, allow_blank=True, max_length=10000)
    product_lot = IdRelatedField(queryset=ProductLot.objects.all(), required=False, allow_null=True)


class PlacementSerializer(serializers.Serializer):
    session = serializers.IntegerField(source="session_id")
    sequence = serializers.IntegerField()
    appointment = serializers.IntegerField(source="appointment_id", allow_null=True)
    reason = serializers.CharField(allow_blank=True)


class PlanScheduleSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    placements = PlacementSerializer(many=True)


class PatientNoteClinicalSerializer(PatientNoteSerializer):
    """A patient's note with the appointment whose questionnaire it came from (null for any other note)."""

    appointment = serializers.SerializerMethodField(help_text="The appointment whose questionnaire held the words.")

    class Meta(PatientNoteSerializer.Meta):
        fields = [*PatientNoteSerializer.Meta.fields, "appointment"]
        read_only_fields = fields

    def get_appointment(self, note: PatientNote) -> int | None:
        answer = getattr(note, "questionnaire", None)
        return answer.appointment_id if answer is not None else None
