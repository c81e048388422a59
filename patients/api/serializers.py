from django.core.validators import RegexValidator
from django.utils import timezone
from rest_framework import serializers

from clinic.api.fields import (
    IdRelatedField,
    OptionalEmailField,
    StrictBooleanField,
    StrictCharField,
    StrictModelSerializer,
    StrictSerializer,
)
from patients.models import AccessLog, Condition, Patient, PatientCondition, PatientNote, e164_validator


class PatientSerializer(StrictModelSerializer):
    """Demographics: everything the front desk may see of a patient."""

    email = OptionalEmailField(required=False, help_text="Empty when the patient gave none.")
    phone = StrictCharField(
        max_length=16,
        required=False,
        allow_blank=True,
        # Checked as sent: trimming first would turn whitespace-only input into an accepted empty phone, which the
        # schema's pattern forbids.
        trim_whitespace=False,
        validators=[RegexValidator(r"^(\+[1-9]\d{6,14})?$", e164_validator.message)],
        help_text="E.164, e.g. +447700900123; empty when unknown.",
    )
    allow_duplicate = StrictBooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="Register even though someone registered may be the same person (otherwise 409 "
        "possible_duplicate with `matches`).",
    )

    no_show_count = serializers.IntegerField(
        read_only=True, default=0, help_text="Appointments the patient missed (no-show)."
    )
    late_cancellation_count = serializers.IntegerField(
        read_only=True, default=0, help_text="Appointments cancelled within the cancellation policy's hours."
    )

    class Meta:
        model = Patient
        fields = [
            "id",
            "first_name",
            "last_name",
            "date_of_birth",
            "email",
            "phone",
            "email_reminders",
            "no_show_count",
            "late_cancellation_count",
            "allow_duplicate",
            "active",
        ]
        read_only_fields = ["active"]

    def validate_date_of_birth(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError("A date of birth cannot be in the future.")
        return value


class ConditionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Condition
        fields = ["id", "code", "name", "kind", "description"]


class PatientConditionSerializer(StrictModelSerializer):
    condition = IdRelatedField(queryset=Condition.objects.all())
    condition_name = serializers.CharField(source="condition.name", read_only=True)
    condition_kind = serializers.CharField(source="condition.kind", read_only=True)

    class Meta:
        model = PatientCondition
        fields = [
            "id",
            "condition",
            "condition_name",
            "condition_kind",
            "active",
            "since",
            "until",
            "note",
            "source",
            "verified",
            "verified_by",
            "verified_at",
        ]
        read_only_fields = ["source", "verified", "verified_by", "verified_at"]


class PatientConditionVerifySerializer(StrictSerializer):
    verified = serializers.BooleanField(
        help_text="true confirms the condition; false rejects it (it becomes inactive and stops counting)."
    )


class PatientConditionUpdateSerializer(StrictModelSerializer):
    """A recorded condition's state changes; which condition it is does not."""

    class Meta:
        model = PatientCondition
        fields = ["active", "since", "until", "note"]


class PatientNoteSerializer(serializers.ModelSerializer):
    """A note in free text about the patient's health (clinical roles only): the patient's own words from the
    questionnaire are `source: "patient"`; `read_at` is empty until a practitioner has read it."""

    class Meta:
        model = PatientNote
        fields = ["id", "patient", "text", "source", "created_at", "read_by", "read_at"]
        read_only_fields = fields


class AccessLogSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = AccessLog
        fields = ["id", "user", "username", "patient", "endpoint", "method", "at"]
