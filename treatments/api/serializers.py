from rest_framework import serializers

from clinic.api.fields import (
    AwareDateTimeField,
    BoundedDateField,
    IdRelatedField,
    StrictCharField,
    StrictSerializer,
)
from patients.models import Patient
from treatments.choices import ConsentMethod, Indication, Severity
from treatments.models import (
    Consent,
    Contraindication,
    Product,
    ProductLot,
    TherapyType,
    TreatmentPlan,
    TreatmentSession,
)
from treatments.plans import MAX_INTERVAL_DAYS, MAX_SESSIONS, MIN_SESSIONS


class TherapyTypeSerializer(serializers.ModelSerializer):
    device_kind = serializers.CharField(read_only=True, help_text="Kind of device each session needs; empty if none.")

    class Meta:
        model = TherapyType
        fields = [
            "id",
            "code",
            "name",
            "session_minutes",
            "buffer_minutes",
            "default_sessions",
            "min_interval_days",
            "max_interval_days",
            "requires_blood_draw",
            "requires_product",
            "device_kind",
            "preparation_notes",
        ]


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "therapy_type", "source", "regulatory_status", "jurisdiction", "manufacturer", "active"]


class ProductLotSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductLot
        fields = ["id", "product", "lot_number", "expires_on", "received_on", "status", "status_reason", "recalled_at"]
        read_only_fields = fields


class ContraindicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contraindication
        fields = ["id", "condition", "therapy_type", "product_source", "severity", "rationale", "washout_days"]


class FindingSerializer(serializers.Serializer):
    rule_id = serializers.IntegerField()
    condition_code = serializers.CharField()
    condition_name = serializers.CharField()
    condition_kind = serializers.CharField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    target = serializers.CharField()
    rationale = serializers.CharField()


class FindingNameSerializer(serializers.Serializer):
    """What the front desk learns of a finding: its name, not the clinical detail."""

    condition_name = serializers.CharField()


class ScreeningRequestSerializer(StrictSerializer):
    patient = IdRelatedField(queryset=Patient.objects.all())
    therapy_type = IdRelatedField(queryset=TherapyType.objects.all())
    product = IdRelatedField(queryset=Product.objects.all(), required=False, allow_null=True)


class ScreeningResultSerializer(serializers.Serializer):
    eligible = serializers.BooleanField()
    blocking = FindingSerializer(many=True)
    warnings = FindingSerializer(many=True)


class ScreeningNamesSerializer(serializers.Serializer):
    eligible = serializers.BooleanField()
    blocking = FindingNameSerializer(many=True)
    warnings = FindingNameSerializer(many=True)


class TreatmentSessionSerializer(serializers.ModelSerializer):
    """A session as the front desk sees it: where it stands, not what was given."""

    appointment = serializers.SerializerMethodField(help_text="The session's latest appointment, if any.")

    class Meta:
        model = TreatmentSession
        fields = ["id", "sequence", "status", "window_start", "window_end", "appointment"]

    def get_appointment(self, session) -> int | None:
        # Uses the prefetched appointments: no query per session.
        appointments = list(session.appointments.all())
        return max(appointments, key=lambda appointment: appointment.pk).pk if appointments else None


class TreatmentSessionClinicalSerializer(TreatmentSessionSerializer):
    """A session with its record, for practitioners and clinic admins."""

    class Meta(TreatmentSessionSerializer.Meta):
        fields = [*TreatmentSessionSerializer.Meta.fields, "completed_at", "completed_by", "notes", "product_lot"]


class CascadeSerializer(serializers.Serializer):
    """Another appointment a life-cycle action changed (a later session of the course moved or cancelled)."""

    appointment = serializers.IntegerField()
    status = serializers.CharField()
    start = serializers.DateTimeField()


class PlanDeskSerializer(serializers.ModelSerializer):
    """A plan as the front desk sees it: no override reason, no clinical notes. Plan actions' answers carry
    `cascade`: the appointments the action moved or cancelled (empty otherwise)."""

    sessions = TreatmentSessionSerializer(many=True, read_only=True)
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    cascade = serializers.SerializerMethodField(
        help_text="Appointments this action moved or cancelled (plan actions' answers; empty otherwise)."
    )

    def get_cascade(self, plan) -> CascadeSerializer(many=True):
        return CascadeSerializer(getattr(plan, "cascade", []), many=True).data

    class Meta:
        model = TreatmentPlan
        fields = [
            "id",
            "patient",
            "patient_name",
            "therapy_type",
            "product",
            "indication",
            "sessions_planned",
            "min_interval_days",
            "max_interval_days",
            "start_date",
            "status",
            "needs_attention",
            "attention_reason",
            "sessions",
            "cascade",
        ]
        read_only_fields = fields


class PlanSerializer(PlanDeskSerializer):
    sessions = TreatmentSessionClinicalSerializer(many=True, read_only=True)

    class Meta(PlanDeskSerializer.Meta):
        fields = [
            *PlanDeskSerializer.Meta.fields,
            "override_reason",
            "override_by",
            "override_at",
            "prescriber",
            "notes",
        ]
        read_only_fields = fields


class PlanCreateSerializer(StrictSerializer):
    patient = IdRelatedField(queryset=Patient.objects.all())
    therapy_type = IdRelatedField(queryset=TherapyType.objects.all())
    product = IdRelatedField(queryset=Product.objects.all(), required=False, allow_null=True)
    indication = serializers.ChoiceField(choices=Indication.choices)
    sessions_planned = serializers.IntegerField(min_value=MIN_SESSIONS, max_value=MAX_SESSIONS, required=False)
    min_interval_days = serializers.IntegerField(min_value=0, max_value=MAX_INTERVAL_DAYS, required=False)
    max_interval_days = serializers.IntegerField(min_value=0, max_value=MAX_INTERVAL_DAYS, required=False)
    start_date = BoundedDateField(required=False)
    override_reason = StrictCharField(required=False, allow_blank=True, max_length=2000)
    notes = StrictCharField(required=False, allow_blank=True, max_length=10000)


class ConsentCreateSerializer(StrictSerializer):
    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    text_version = StrictCharField(max_length=64)
    consented_to = StrictCharField(required=False, allow_blank=True, max_length=2000)
    consented_at = AwareDateTimeField(required=False)


class ConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Consent
        fields = ["id", "patient", "plan", "method", "text_version", "consented_to", "consented_at", "recorded_by"]
