from datetime import date, timedelta

from rest_framework import serializers

from clinic.api.fields import (
    AwareDateTimeField,
    BoundedDateField,
    IdRelatedField,
    StrictCharField,
    StrictModelSerializer,
    StrictSerializer,
)
from patients.models import Patient
from scheduling.models import (
    Appointment,
    Device,
    Location,
    LocationClosure,
    Practitioner,
    Reminder,
    Room,
    WaitlistEntry,
    WaitlistOffer,
)
from scheduling.selectors import appointment_attention_reasons
from treatments.models import Product, ProductLot, TherapyType, TreatmentSession

MAX_AVAILABILITY_DAYS = 62


class LocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = ["id", "name", "time_zone", "address", "phone"]


class PractitionerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Practitioner
        fields = ["id", "display_name", "therapy_types", "locations", "active"]


class LocationClosureSerializer(serializers.ModelSerializer):
    class Meta:
        model = LocationClosure
        fields = ["id", "location", "date", "name"]


class RoomSerializer(serializers.ModelSerializer):
    class Meta:
        model = Room
        fields = ["id", "name", "location", "kind", "active"]


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "name", "location", "kind", "active"]


class AvailabilityQuerySerializer(StrictSerializer):
    therapy_type = IdRelatedField(queryset=TherapyType.objects.all())
    location = IdRelatedField(queryset=Location.objects.all())
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    practitioner = IdRelatedField(queryset=Practitioner.objects.all(), required=False)
    patient = IdRelatedField(queryset=Patient.objects.all(), required=False)
    limit = serializers.IntegerField(min_value=1, max_value=200, default=50)

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["Must be after start."]})
        if attrs["end"] - attrs["start"] > timedelta(days=MAX_AVAILABILITY_DAYS):
            raise serializers.ValidationError({"end": [f"Search at most {MAX_AVAILABILITY_DAYS} days at once."]})
        return attrs


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    practitioner = serializers.IntegerField(source="practitioner_id")
    room = serializers.IntegerField(source="room_id")
    device = serializers.IntegerField(source="device_id", allow_null=True)


class AvailabilitySerializer(serializers.Serializer):
    slots = SlotSerializer(many=True, help_text="By start; spread over the days when `more` is true.")
    more = serializers.BooleanField(help_text="True when the limit left out slots: narrow the range or raise limit.")


class CascadeSerializer(serializers.Serializer):
    """Another appointment a life-cycle action changed (a later session of the course moved or cancelled)."""

    appointment = serializers.IntegerField()
    status = serializers.CharField()
    start = serializers.DateTimeField()


class VisitRecordSerializer(serializers.ModelSerializer):
    """The clinical record of a visit (ids as everywhere); for practitioners and clinic admins only."""

    class Meta:
        model = Appointment
        fields = ["notes", "product", "product_lot", "completed_by", "completed_at", "consent"]
        read_only_fields = fields


class AppointmentSerializer(serializers.ModelSerializer):
    """An appointment as the front desk sees it: `record` is null (no clinical detail); holds and attention in
    neutral sentences. Life-cycle answers carry `cascade`: the other appointments the action changed (empty
    otherwise)."""

    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    practitioner_name = serializers.CharField(source="practitioner.display_name", read_only=True)
    # "session k of N" on the desk's cards without a request per plan.
    session_sequence = serializers.IntegerField(source="session.sequence", read_only=True, allow_null=True)
    sessions_planned = serializers.IntegerField(source="plan.sessions_planned", read_only=True, allow_null=True)
    # The patient's attendance on each card of a list; null in life-cycle answers, which are not read as a list.
    patient_no_show_count = serializers.IntegerField(read_only=True, default=None, allow_null=True)
    patient_late_cancellation_count = serializers.IntegerField(read_only=True, default=None, allow_null=True)

    record = serializers.SerializerMethodField(help_text="The visit's clinical record; null for the front desk.")
    cascade = serializers.SerializerMethodField(
        help_text="Other appointments this action moved or cancelled (life-cycle answers; empty otherwise)."
    )
    needs_attention = serializers.SerializerMethodField(
        help_text="A future appointment a person must act on (on hold, practitioner inactive, missed session...)."
    )
    attention_reason = serializers.SerializerMethodField(
        help_text="One sentence per reason, one per line; never clinical detail. Empty when nothing is needed."
    )

    def get_record(self, appointment) -> VisitRecordSerializer(allow_null=True):
        return None

    def get_cascade(self, appointment) -> CascadeSerializer(many=True):
        return CascadeSerializer(getattr(appointment, "cascade", []), many=True).data

    def _reasons(self, appointment) -> list[str]:
        cache = self.context.setdefault("_attention", {})
        if appointment.pk not in cache:
            cache[appointment.pk] = appointment_attention_reasons(appointment)
        return cache[appointment.pk]

    def get_needs_attention(self, appointment) -> bool:
        return bool(self._reasons(appointment))

    def get_attention_reason(self, appointment) -> str:
        return "\n".join(self._reasons(appointment))

    class Meta:
        model = Appointment
        fields = [
            "id",
            "patient",
            "patient_name",
            "practitioner",
            "practitioner_name",
            "location",
            "room",
            "device",
            "therapy_type",
            "session",
            "session_sequence",
            "plan",
            "sessions_planned",
            "patient_no_show_count",
            "patient_late_cancellation_count",
            "start",
            "end",
            "status",
            "cancel_reason",
            "checked_in_at",
            "completed_at",
            "patient_confirmed_at",
            "late_cancellation",
            "on_hold",
            "needs_attention",
            "attention_reason",
            "created_at",
            "record",
            "cascade",
        ]
        read_only_fields = fields


class AppointmentClinicalSerializer(AppointmentSerializer):
    """An appointment as practitioners and clinic admins see it: with the visit's clinical record, the findings
    that hold it and any override."""

    class Meta(AppointmentSerializer.Meta):
        fields = [
            *AppointmentSerializer.Meta.fields,
            "held_at",
            "hold_findings",
            "override_reason",
            "override_by",
            "override_at",
            "overridden_findings",
        ]
        read_only_fields = fields

    def get_record(self, appointment) -> VisitRecordSerializer(allow_null=True):
        return VisitRecordSerializer(appointment).data


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


class AppointmentCompleteSerializer(StrictSerializer):
    notes = StrictCharField(required=False, allow_blank=True, max_length=10000)
    product_lot = IdRelatedField(queryset=ProductLot.objects.all(), required=False, allow_null=True)


class LotRecipientSerializer(serializers.ModelSerializer):
    """One visit (plan session or one-off) that recorded a lot, with the patient and how to reach them."""

    appointment = serializers.IntegerField(source="id")
    treatment_date = serializers.SerializerMethodField(help_text="The visit's local date.")
    sequence = serializers.IntegerField(source="session.sequence", allow_null=True, default=None)
    patient_name = serializers.CharField(source="patient.full_name")
    patient_email = serializers.CharField(source="patient.email")
    patient_phone = serializers.CharField(source="patient.phone")

    class Meta:
        model = Appointment
        fields = [
            "appointment",
            "session",
            "plan",
            "sequence",
            "start",
            "treatment_date",
            "completed_at",
            "product_lot",
            "patient",
            "patient_name",
            "patient_email",
            "patient_phone",
        ]
        read_only_fields = fields

    def get_treatment_date(self, appointment) -> date:
        return appointment.start.astimezone(appointment.location.zone).date()


class LotRecallSerializer(StrictSerializer):
    reason = StrictCharField(max_length=2000)


class LotRecallResultSerializer(serializers.Serializer):
    lot = serializers.IntegerField()
    status = serializers.CharField()
    recalled_at = serializers.DateTimeField()
    reason = serializers.CharField()
    recipients_count = serializers.IntegerField()
    recipients = LotRecipientSerializer(many=True, help_text="The first page of the recipients list.")
    recipients_url = serializers.CharField(help_text="Every recipient, page by page.")


class PlacementSerializer(serializers.Serializer):
    session = serializers.IntegerField(source="session_id")
    sequence = serializers.IntegerField()
    appointment = serializers.IntegerField(source="appointment_id", allow_null=True)
    reason = serializers.CharField(allow_blank=True)


class PlanScheduleSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    placements = PlacementSerializer(many=True)


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


class ClosureRangeQuerySerializer(StrictSerializer):
    date_from = BoundedDateField(help_text="First local day.")
    date_to = BoundedDateField(help_text="Last local day, included (at most 366 days after date_from).")

    def validate(self, attrs):
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": ["The range must end on or after its first day."]})
        if (attrs["date_to"] - attrs["date_from"]).days > 366:
            raise serializers.ValidationError({"date_to": ["Ask for at most a year at a time."]})
        return attrs


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
