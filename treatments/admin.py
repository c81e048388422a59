from django import forms
from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin

from patients.models import PatientCondition
from treatments.models import (
    Consent,
    Contraindication,
    Product,
    ProductLot,
    TherapyType,
    TreatmentSession,
)
from treatments.services import clinic_today, patient_condition_record, patient_condition_update


class ContraindicationInline(admin.TabularInline):
    """The therapy's rules, edited where the medical lead looks for them."""

    model = Contraindication
    extra = 0
    fields = ("condition", "severity", "rationale")
    autocomplete_fields = ("condition",)


@admin.register(TherapyType)
class TherapyTypeAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "session_minutes",
        "buffer_minutes",
        "default_sessions",
        "min_interval_days",
        "max_interval_days",
        "requires_blood_draw",
        "requires_product",
        "device_kind",
    )
    search_fields = ("name", "code")
    inlines = [ContraindicationInline]


class ProductLotInline(admin.TabularInline):
    model = ProductLot
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "therapy_type", "source", "regulatory_status", "jurisdiction", "active")
    list_filter = ("therapy_type", "source", "regulatory_status", "active")
    search_fields = ("name", "manufacturer")
    inlines = [ProductLotInline]


@admin.register(Contraindication)
class ContraindicationAdmin(admin.ModelAdmin):
    list_display = ("condition", "therapy_type", "product_source", "severity")
    list_filter = ("severity", "therapy_type", "product_source", "condition__kind")
    search_fields = ("condition__name", "condition__code", "rationale")
    autocomplete_fields = ("condition",)
    list_select_related = ("condition", "therapy_type")


class TreatmentSessionInline(admin.TabularInline):
    """Sessions are made by plan_create and moved by booking: here they are read, only notes are edited."""

    model = TreatmentSession
    extra = 0
    fields = (
        "sequence",
        "status",
        "window_start",
        "window_end",
        "scheduled_date",
        "completed_at",
        "completed_by",
        "product_lot",
        "notes",
    )
    readonly_fields = fields[:-1]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0
    fields = ("consented_to", "text_version", "method", "consented_at", "recorded_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class TreatmentPlanAdminBase(SimpleHistoryAdmin):
    """The plan admin; scheduling adds its appointment inline (imports run scheduling -> treatments).

    Plans are opened through plan_create (screening, sessions, windows) and change status through the services,
    so here the course, the status and the contraindication override are shown, not edited.
    """

    list_display = (
        "id",
        "patient",
        "therapy_type",
        "product",
        "indication",
        "sessions_planned",
        "status",
        "needs_attention",
        "overridden",
        "created_at",
    )
    list_filter = ("status", "needs_attention", "therapy_type", "indication")
    search_fields = ("patient__last_name", "patient__first_name", "attention_reason", "override_reason")
    list_select_related = ("patient", "therapy_type", "product")
    readonly_fields = (
        "patient",
        "therapy_type",
        "product",
        "status",
        "sessions_planned",
        "min_interval_days",
        "max_interval_days",
        "start_date",
        "needs_attention",
        "attention_reason",
        "override_reason",
        "override_by",
        "override_at",
        "overridden_findings_list",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("patient", "therapy_type", "product", "indication", "status", "prescriber", "notes")}),
        ("Course", {"fields": ("sessions_planned", "min_interval_days", "max_interval_days", "start_date")}),
        ("Attention", {"fields": ("needs_attention", "attention_reason")}),
        (
            "Contraindication override",
            {"fields": ("override_reason", "override_by", "override_at", "overridden_findings_list")},
        ),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    inlines = [TreatmentSessionInline, ConsentInline]

    def has_add_permission(self, request):
        return False

    @admin.display(boolean=True, description="override")
    def overridden(self, plan):
        return bool(plan.overridden_findings)

    @admin.display(description="Overridden findings")
    def overridden_findings_list(self, plan):
        findings = plan.overridden_findings or []
        if not findings:
            return "-"
        return format_html_join(
            mark_safe("<br>"),
            "{} ({}, {}): {}",
            (
                (f.get("condition_name"), f.get("condition_kind"), f.get("severity"), f.get("rationale") or "-")
                for f in findings
            ),
        )


@admin.register(TreatmentSession)
class TreatmentSessionAdmin(SimpleHistoryAdmin):
    list_display = ("plan", "sequence", "status", "window_start", "window_end", "completed_at", "product_lot")
    list_filter = ("status",)
    search_fields = ("plan__patient__last_name", "product_lot__lot_number")
    list_select_related = ("plan__patient", "plan__therapy_type", "product_lot__product")
    fields = TreatmentSessionInline.fields
    readonly_fields = TreatmentSessionInline.readonly_fields

    def has_add_permission(self, request):
        return False


@admin.register(Consent)
class ConsentAdmin(SimpleHistoryAdmin):
    """A consent is a signed record: recorded through consent_record, never edited afterwards."""

    list_display = ("plan", "text_version", "method", "consented_at", "recorded_by")
    list_filter = ("method",)
    search_fields = ("plan__patient__last_name", "text_version")
    list_select_related = ("plan__patient", "plan__therapy_type", "recorded_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PatientConditionForm(forms.ModelForm):
    class Meta:
        model = PatientCondition
        fields = ("patient", "condition", "active", "since", "note")

    def clean_since(self):
        since = self.cleaned_data.get("since")
        if since and since > clinic_today():
            raise forms.ValidationError("The date cannot be in the future.")
        return since


@admin.register(PatientCondition)
class PatientConditionAdmin(SimpleHistoryAdmin):
    """Conditions go through the treatments services, so recording one here re-screens the patient's plans."""

    form = PatientConditionForm
    list_display = ("patient", "condition", "active", "since", "updated_at")
    list_filter = ("active", "condition__kind", "condition")
    search_fields = ("patient__last_name", "patient__first_name", "condition__name", "condition__code")
    autocomplete_fields = ("patient", "condition")
    list_select_related = ("patient", "condition")
    readonly_fields = ("recorded_by",)

    def get_readonly_fields(self, request, obj=None):
        return ("patient", "condition", "recorded_by") if obj else ("recorded_by",)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the history of what a patient had stays

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in ("active", "since", "note") if name in form.changed_data}
            saved = patient_condition_update(patient_condition=obj, by=request.user, **fields)
        else:
            saved = patient_condition_record(
                patient=data["patient"],
                condition=data["condition"],
                by=request.user,
                active=data["active"],
                since=data["since"],
                note=data["note"],
            )
        obj.pk = saved.pk
