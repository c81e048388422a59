from collections.abc import Callable
from datetime import date, datetime, timedelta

from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from clinic.api.fields import (
    AwareDateTimeField,
    BoundedDateField,
    IdRelatedField,
    StrictCharField,
    StrictSerializer,
)
from clinic.redaction import shown_text
from patients.models import Patient
from scheduling.choices import CancelledBy
from scheduling.models import (
    Appointment,
    Device,
    Location,
    LocationClosure,
    Practitioner,
    Room,
)
from scheduling.selectors import (
    ATTENTION_COLUMNS,
    appointment_attention_reasons,
    attention_sentences,
    carries_clinical_data,
    patients_attendance,
)
from treatments.api.serializers import CascadeSerializer
from treatments.models import TherapyType

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


class AvailabilityDaysQuerySerializer(AvailabilityQuerySerializer):
    """The availability query without `limit`: every day of the range is counted."""

    limit = None


class DayCountSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="A local day of the location.")
    free_starts = serializers.IntegerField(
        help_text="How many distinct start times are free that day (0 on a closed day or a day off)."
    )


class AvailabilityDaysSerializer(serializers.Serializer):
    days = DayCountSerializer(many=True, help_text="Every local day the range meets, in order, none left out.")


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    practitioner = serializers.IntegerField(source="practitioner_id")
    room = serializers.IntegerField(source="room_id")
    device = serializers.IntegerField(source="device_id", allow_null=True)


class AvailabilitySerializer(serializers.Serializer):
    slots = SlotSerializer(many=True, help_text="By start; spread over the days when `more` is true.")
    more = serializers.BooleanField(help_text="True when the limit left out slots: narrow the range or raise limit.")


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
    patient_phone = serializers.CharField(
        source="patient.phone", read_only=True, help_text="E.164; empty when unknown (the desk calls from the list)."
    )
    practitioner_name = serializers.CharField(source="practitioner.display_name", read_only=True)
    # "session k of N" on the desk's cards without a request per plan.
    session_sequence = serializers.IntegerField(source="session.sequence", read_only=True, allow_null=True)
    sessions_planned = serializers.IntegerField(source="plan.sessions_planned", read_only=True, allow_null=True)
    # The patient's attendance on each card of a list; null in life-cycle answers, which are not read as a list.
    patient_no_show_count = serializers.IntegerField(read_only=True, default=None, allow_null=True)
    patient_late_cancellation_count = serializers.IntegerField(read_only=True, default=None, allow_null=True)
    cancelled_by = serializers.ChoiceField(
        choices=CancelledBy.choices,
        allow_blank=True,
        read_only=True,
        help_text="Who cancelled: the patient or the clinic; empty while the appointment is not cancelled.",
    )

    record = serializers.SerializerMethodField(help_text="The visit's clinical record; null for the front desk.")
    cancel_reason = serializers.SerializerMethodField(
        help_text="Why it was cancelled; a clinician's reason reads as a neutral sentence for the front desk."
    )
    cascade = serializers.SerializerMethodField(
        help_text="Other appointments this action moved or cancelled (life-cycle answers; empty otherwise)."
    )
    needs_attention = serializers.SerializerMethodField(
        help_text="A future appointment a person must act on (on hold, practitioner inactive, missed session...)."
    )
    attention_reason = serializers.SerializerMethodField(
        help_text="One sentence per reason, one per line; never clinical detail. Empty when nothing is needed."
    )

    clinical_reader = False

    def get_record(self, appointment) -> VisitRecordSerializer(allow_null=True):
        return None

    def get_cancel_reason(self, appointment) -> str:
        return shown_text(
            appointment.cancel_reason,
            clinical_text=appointment.cancel_reason_clinical,
            clinical_reader=self.clinical_reader,
        )

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
            "patient_phone",
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
            "sequence",
            "cancel_reason",
            "checked_in_at",
            "completed_at",
            "patient_confirmed_at",
            "cancelled_by",
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

    clinical_reader = True

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


def _instant_formatter() -> Callable[[datetime | None], str | None]:
    """DRF's DateTimeField output (ISO 8601 in the current time zone, "Z" for UTC) with the zone read once: DRF
    reads it for every value, which was most of a week list's time once the rows were plain."""
    field = serializers.DateTimeField()
    zone = field.default_timezone()
    if zone is None or (api_settings.DATETIME_FORMAT or "").lower() != ISO_8601:
        return field.to_representation

    def instant(value: datetime | None) -> str | None:
        if not value:
            return None
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return instant


class AppointmentRows:
    """A list's page of appointments read with `.values()` and shaped in plain Python: exactly the fields and values
    AppointmentSerializer (front desk) or AppointmentClinicalSerializer (`clinical`) give, at a fraction of the
    cost. A location's week is ~540 rows of 25-31 fields; model instances and DRF's field-by-field serialising
    took ~90 % of that request. The serializers stay the single answer for one appointment and the schema; a test
    holds the two to the same output.

    Use: `rows.page(queryset.values(*rows.columns))` on a queryset of appointments_with_attention()."""

    # Output field -> column (None: built below). The order is the serializer's Meta.fields; a field added there
    # and not here is a KeyError on the first list.
    _COLUMNS = {
        "id": "id",
        "patient": "patient_id",
        "patient_name": None,
        "patient_phone": "patient__phone",
        "practitioner": "practitioner_id",
        "practitioner_name": "practitioner__display_name",
        "location": "location_id",
        "room": "room_id",
        "device": "device_id",
        "therapy_type": "therapy_type_id",
        "session": "session_id",
        "session_sequence": "session__sequence",
        "plan": "plan_id",
        "sessions_planned": "plan__sessions_planned",
        "patient_no_show_count": "patient_no_show_count",
        "patient_late_cancellation_count": "patient_late_cancellation_count",
        "start": "start",
        "end": "end",
        "status": "status",
        "sequence": "sequence",
        "cancel_reason": None,
        "checked_in_at": "checked_in_at",
        "completed_at": "completed_at",
        "patient_confirmed_at": "patient_confirmed_at",
        "cancelled_by": "cancelled_by",
        "late_cancellation": "late_cancellation",
        "on_hold": "on_hold",
        "needs_attention": None,
        "attention_reason": None,
        "created_at": "created_at",
        "record": None,
        "cascade": None,
        "held_at": "held_at",
        "hold_findings": "hold_findings",
        "override_reason": "override_reason",
        "override_by": "override_by_id",
        "override_at": "override_at",
        "overridden_findings": "overridden_findings",
    }
    # VisitRecordSerializer's fields -> columns.
    _RECORD = {
        "notes": "notes",
        "product": "product_id",
        "product_lot": "product_lot_id",
        "completed_by": "completed_by_id",
        "completed_at": "completed_at",
        "consent": "consent_id",
    }
    _DATETIMES = {"start", "end", "checked_in_at", "completed_at", "patient_confirmed_at", "created_at", "held_at"}
    _DATETIMES |= {"override_at"}

    def __init__(self, *, clinical: bool):
        self.clinical = clinical
        serializer = AppointmentClinicalSerializer if clinical else AppointmentSerializer
        self.fields = {name: self._COLUMNS[name] for name in serializer.Meta.fields}
        self.record = {name: self._RECORD[name] for name in VisitRecordSerializer.Meta.fields} if clinical else {}
        self.columns = sorted(
            {column for column in (*self.fields.values(), *self.record.values()) if column} - set(self._ATTENDANCE)
            | {
                "patient__first_name",
                "patient__last_name",
                "cancel_reason",
                "cancel_reason_clinical",
                *ATTENTION_COLUMNS,
            }
        )

    # The patients' attendance, counted for the page's patients in one grouped statement (patients_attendance),
    # not a subquery per row.
    _ATTENDANCE = ("patient_no_show_count", "patient_late_cancellation_count")

    def page(self, rows) -> list[dict]:
        """The rows as the serializer would give them, with their patients' attendance (one statement). For a
        clinical reader, `clinical_patients` then names the patients whose rows carried clinical data (for the access
        log)."""
        self.clinical_patients = set()
        rows = list(rows)
        attendance = patients_attendance(row["patient_id"] for row in rows)
        for row in rows:
            row.update(zip(self._ATTENDANCE, attendance.get(row["patient_id"], (0, 0)), strict=True))
        instant = _instant_formatter()
        plain = [(name, column) for name, column in self.fields.items() if column and name not in self._DATETIMES]
        timed = [(name, column) for name, column in self.fields.items() if column and name in self._DATETIMES]
        names = list(self.fields)
        answer = []
        for row in rows:
            item = dict.fromkeys(names)
            for name, column in plain:
                item[name] = row[column]
            for name, column in timed:
                item[name] = instant(row[column])
            item["patient_name"] = f"{row['patient__first_name']} {row['patient__last_name']}"
            item["cancel_reason"] = shown_text(
                row["cancel_reason"], clinical_text=row["cancel_reason_clinical"], clinical_reader=self.clinical
            )
            reasons = attention_sentences(row)
            item["needs_attention"] = bool(reasons)
            item["attention_reason"] = "\n".join(reasons)
            item["cascade"] = []
            if self.clinical:
                if carries_clinical_data(row):
                    self.clinical_patients.add(row["patient_id"])
                item["record"] = {
                    name: instant(row[column]) if name in self._DATETIMES else row[column]
                    for name, column in self.record.items()
                }
            answer.append(item)
        return answer


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


class ClosureRangeQuerySerializer(StrictSerializer):
    date_from = BoundedDateField(help_text="First local day.")
    date_to = BoundedDateField(help_text="Last local day, included (at most 366 days after date_from).")

    def validate(self, attrs):
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": ["The range must end on or after its first day."]})
        if (attrs["date_to"] - attrs["date_from"]).days > 366:
            raise serializers.ValidationError({"date_to": ["Ask for at most a year at a time."]})
        return attrs
