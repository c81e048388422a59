from rest_framework import serializers

from clinic.api.fields import (
    BoundedDateField,
    StrictModelSerializer,
)
from scheduling.models import (
    WaitlistEntry,
    WaitlistOffer,
)


class WaitlistEntrySerializer(StrictModelSerializer):
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        max_length=7,
        help_text="Wanted weekdays, 0 = Monday to 6 = Sunday; empty means any day.",
    )
    earliest = BoundedDateField(help_text="First acceptable day, in the location's time zone.")
    latest = BoundedDateField(help_text="Last acceptable day, in the location's time zone.")
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "patient",
            "patient_name",
            "therapy_type",
            "product",
            "location",
            "practitioner",
            "earliest",
            "latest",
            "weekdays",
            "status",
            "note",
            "appointment",
            "joined_at",
        ]
        read_only_fields = ["id", "status", "appointment", "joined_at"]
        extra_kwargs = {
            "practitioner": {"allow_null": True, "required": False},
            "product": {"allow_null": True, "required": False},
            "note": {"required": False},
        }

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields) if isinstance(self.initial_data, dict) else set()
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
        return attrs


class WaitlistOfferSerializer(serializers.ModelSerializer):
    class Meta:
        model = WaitlistOffer
        fields = ["id", "entry", "start", "end", "practitioner", "status", "expires_at", "delivery", "sent_at"]
        read_only_fields = fields
