from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_actions import HistoryShownNotReverted
from patients.audit import AccessLoggedAdmin
from treatments.models import (
    Consent,
    Contraindication,
    ProductLot,
    ProductLotStatusChange,
    TherapyType,
    TreatmentSession,
)


class ContraindicationInline(admin.TabularInline):
    """The therapy's rules, shown where the medical lead looks for them; edited in the rules' own admin, whose
    save re-screens the patients the rule can block."""

    model = Contraindication
    extra = 0
    fields = ("condition", "severity", "washout_days", "rationale")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


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
        "online_booking",
        "device_kind",
    )
    search_fields = ("name", "code")
    inlines = [ContraindicationInline]


class ProductLotInline(admin.TabularInline):
    """A product's lots, shown: a lot is received and changes status in its own admin, through treatments.lots
    (each status change kept with who, when and why)."""

    model = ProductLot
    extra = 0
    fields = ("lot_number", "expires_on", "received_on", "status")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class ProductLotStatusChangeInline(admin.TabularInline):
    """A lot's status history: every change with who, when and why; a recall stays on it after a release."""

    model = ProductLotStatusChange
    extra = 0
    fields = ("at", "from_status", "to_status", "reason", "by")
    readonly_fields = fields
    can_delete = False
    ordering = ("-at", "-id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProductAdminBase(admin.ModelAdmin):
    """How products look in the admin. Registered by care.admin, whose save goes through care.holds.product_save:
    a change of source re-screens the visits and plans that use the product."""

    list_display = ("name", "therapy_type", "source", "regulatory_status", "jurisdiction", "active")
    list_filter = ("therapy_type", "source", "regulatory_status", "active")
    search_fields = ("name", "manufacturer")
    inlines = [ProductLotInline]


class ContraindicationAdminBase(admin.ModelAdmin):
    """How rules look in the admin. Registered by scheduling.admin, whose save and delete go through
    care.holds: a rule added or changed re-screens the patients it can block, in the same transaction."""

    list_display = ("condition", "therapy_type", "product_source", "severity", "washout_days")
    list_filter = ("severity", "therapy_type", "product_source", "condition__kind")
    search_fields = ("condition__name", "condition__code", "rationale")
    autocomplete_fields = ("condition",)
    list_select_related = ("condition", "therapy_type")


class SessionAppointmentsMixin:
    """A session's appointments, each linked to its admin page (read through the reverse relation: treatments does
    not import scheduling)."""

    @admin.display(description="appointments")
    def appointments_list(self, session):
        appointments = sorted(session.appointments.all(), key=lambda appointment: (appointment.start, appointment.pk))
        if not appointments:
            return "-"
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}, {}</a>',
            (
                (
                    reverse("admin:scheduling_appointment_change", args=[appointment.pk]),
                    f"{appointment.start.astimezone(appointment.location.zone):%Y-%m-%d %H:%M}",
                    appointment.get_status_display().lower(),
                )
                for appointment in appointments
            ),
        )


class TreatmentSessionInline(SessionAppointmentsMixin, admin.TabularInline):
    """Sessions are made by plan_create, moved by booking, completed and skipped through the services: here they
    are read."""

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
        "appointments_list",
        "notes",
    )
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("appointments__location")

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


class NeverDeleted:
    """Clinical records are cancelled, skipped or deactivated through their services, never deleted: no delete
    button, no bulk delete."""

    def has_delete_permission(self, request, obj=None):
        return False


class TreatmentPlanAdminBase(AccessLoggedAdmin, NeverDeleted, HistoryShownNotReverted, SimpleHistoryAdmin):
    """The plan admin: the plan, its sessions (each with its appointments) and its consents.

    Plans are opened through plan_create (screening, sessions, windows) and change status through the services
    (care.admin registers this with its cancel action), so here the whole plan is shown, not edited. Its pages and
    list (indications) are in the access log.
    """

    logged_list = True

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
        "indication",
        "prescriber",
        "notes",
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

    def has_change_permission(self, request, obj=None):
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


class TreatmentSessionAdminBase(NeverDeleted, HistoryShownNotReverted, SessionAppointmentsMixin, SimpleHistoryAdmin):
    """Sessions, read; care.admin registers this with its skip action (through the service)."""

    list_display = ("plan", "sequence", "status", "window_start", "window_end", "completed_at", "product_lot")
    list_filter = ("status",)
    search_fields = ("plan__patient__last_name", "product_lot__lot_number")
    list_select_related = ("plan__patient", "plan__therapy_type", "product_lot__product")
    fields = TreatmentSessionInline.fields
    readonly_fields = TreatmentSessionInline.readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Consent)
class ConsentAdmin(NeverDeleted, HistoryShownNotReverted, SimpleHistoryAdmin):
    """A consent is a signed record: recorded through consent_record, never edited afterwards."""

    list_display = ("plan", "text_version", "method", "consented_at", "recorded_by")
    list_filter = ("method",)
    search_fields = ("plan__patient__last_name", "text_version")
    list_select_related = ("plan__patient", "plan__therapy_type", "recorded_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
