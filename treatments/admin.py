from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from treatments.models import (
    Consent,
    Contraindication,
    Product,
    ProductLot,
    TherapyType,
    TreatmentSession,
)


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
        "device_kind",
    )
    search_fields = ("name", "code")


class ProductLotInline(admin.TabularInline):
    model = ProductLot
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "therapy_type", "source", "regulatory_status", "jurisdiction", "active")
    list_filter = ("therapy_type", "source", "regulatory_status", "active")
    search_fields = ("name", "manufacturer")
    inlines = [ProductLotInline]


@admin.register(ProductLot)
class ProductLotAdmin(admin.ModelAdmin):
    list_display = ("lot_number", "product", "expires_on", "received_on")
    list_filter = ("product",)
    search_fields = ("lot_number", "product__name")
    date_hierarchy = "expires_on"
    list_select_related = ("product",)


@admin.register(Contraindication)
class ContraindicationAdmin(admin.ModelAdmin):
    list_display = ("condition", "therapy_type", "product_source", "severity")
    list_filter = ("severity", "therapy_type", "product_source", "condition__kind")
    search_fields = ("condition__name", "condition__code", "rationale")
    autocomplete_fields = ("condition",)
    list_select_related = ("condition", "therapy_type")


class TreatmentSessionInline(admin.TabularInline):
    model = TreatmentSession
    extra = 0
    fields = ("sequence", "status", "window_start", "window_end", "completed_at", "product_lot")
    readonly_fields = ("completed_at",)


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0
    fields = ("consented_to", "text_version", "method", "consented_at", "recorded_by")


class TreatmentPlanAdminBase(SimpleHistoryAdmin):
    """The plan admin; scheduling adds its appointment inline (imports run scheduling -> treatments)."""

    list_display = (
        "id",
        "patient",
        "therapy_type",
        "product",
        "indication",
        "sessions_planned",
        "status",
        "needs_attention",
        "created_at",
    )
    list_filter = ("status", "needs_attention", "therapy_type", "indication")
    search_fields = ("patient__last_name", "patient__first_name", "attention_reason", "override_reason")
    autocomplete_fields = ("patient",)
    list_select_related = ("patient", "therapy_type", "product")
    readonly_fields = ("override_by", "override_at", "overridden_findings", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("patient", "therapy_type", "product", "indication", "status", "prescriber", "notes")}),
        ("Course", {"fields": ("sessions_planned", "min_interval_days", "max_interval_days", "start_date")}),
        ("Attention", {"fields": ("needs_attention", "attention_reason")}),
        (
            "Contraindication override",
            {"fields": ("override_reason", "override_by", "override_at", "overridden_findings")},
        ),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    inlines = [TreatmentSessionInline, ConsentInline]


@admin.register(TreatmentSession)
class TreatmentSessionAdmin(SimpleHistoryAdmin):
    list_display = ("plan", "sequence", "status", "window_start", "window_end", "completed_at", "product_lot")
    list_filter = ("status",)
    search_fields = ("plan__patient__last_name", "product_lot__lot_number")
    list_select_related = ("plan__patient", "plan__therapy_type", "product_lot__product")
    raw_id_fields = ("plan",)


@admin.register(Consent)
class ConsentAdmin(SimpleHistoryAdmin):
    list_display = ("plan", "text_version", "method", "consented_at", "recorded_by")
    list_filter = ("method",)
    search_fields = ("plan__patient__last_name", "text_version")
    list_select_related = ("plan__patient", "plan__therapy_type", "recorded_by")
    raw_id_fields = ("plan",)
