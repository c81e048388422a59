"""The public online-booking API's input and output: ids and plain values, no room, device, patient or rule."""

from rest_framework import serializers

from clinic.api.fields import (
    AwareDateTimeField,
    BoundedDateField,
    IdRelatedField,
    StrictBooleanField,
    StrictCharField,
    StrictEmailField,
    StrictSerializer,
)
from portal.online.selectors import MAX_DAYS
from scheduling.models import Location, Practitioner
from treatments.models import Product, TherapyType


class PublicLocationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    time_zone = serializers.CharField()


class PublicProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PublicTherapyTypeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    session_minutes = serializers.IntegerField()
    products = PublicProductSerializer(many=True)


class CatalogSerializer(serializers.Serializer):
    locations = PublicLocationSerializer(many=True)
    therapy_types = PublicTherapyTypeSerializer(many=True)


def _bookable(model):
    return IdRelatedField(queryset=model.objects.filter(online_booking=True))


class SlotsQuerySerializer(StrictSerializer):
    therapy_type = _bookable(TherapyType)
    location = _bookable(Location)
    date = BoundedDateField(required=False, help_text="The first local day at the location (default: today there).")
    days = serializers.IntegerField(min_value=1, max_value=MAX_DAYS, default=1, required=False)


class PublicPractitionerSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="practitioner_id")
    display_name = serializers.CharField(source="practitioner_name")


class PublicSlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    practitioner = PublicPractitionerSerializer(source="*")


class PublicSlotsSerializer(serializers.Serializer):
    slots = PublicSlotSerializer(many=True)
    more = serializers.BooleanField(help_text="True when more slots were found than listed: ask for fewer days.")


class QuestionsQuerySerializer(StrictSerializer):
    therapy_type = _bookable(TherapyType)
    product = IdRelatedField(queryset=Product.objects.filter(active=True), required=False)


class QuestionSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()


class QuestionsSerializer(serializers.Serializer):
    questions = QuestionSerializer(many=True)


class BookingRequestCreateSerializer(StrictSerializer):
    therapy_type = IdRelatedField(queryset=TherapyType.objects.all())
    location = IdRelatedField(queryset=Location.objects.all())
    start = AwareDateTimeField()
    practitioner = IdRelatedField(queryset=Practitioner.objects.filter(active=True), required=False, allow_null=True)
    product = IdRelatedField(queryset=Product.objects.all(), required=False, allow_null=True)
    first_name = StrictCharField(max_length=100)
    last_name = StrictCharField(max_length=100)
    email = StrictEmailField(max_length=254)
    phone = StrictCharField(max_length=32, help_text="National or international format.")
    date_of_birth = BoundedDateField()
    answers = serializers.DictField(
        child=StrictBooleanField(), help_text="Each question's code (GET questions/) -> yes (true) or no (false)."
    )
    note = StrictCharField(max_length=2000, required=False, allow_blank=True)
    website = StrictCharField(
        max_length=200, required=False, allow_blank=True, help_text="Leave empty (a field for robots only)."
    )

    def validate_answers(self, value):
        if len(value) > 100:
            raise serializers.ValidationError("Too many answers.")
        return value


class BookingRequestAcceptedSerializer(serializers.Serializer):
    status = serializers.CharField()
    expires_at = serializers.DateTimeField()
