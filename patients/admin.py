from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from patients.models import Condition, Patient, PatientCondition
from patients.services import patients_set_active


@admin.register(Condition)
class ConditionAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}


class PatientConditionInline(admin.TabularInline):
    """Shown, not edited here: recording a condition must re-screen the patient's plans, which the treatments app
    does (its admin registers PatientCondition through the screening services)."""

    model = PatientCondition
    extra = 0
    fields = ("condition", "active", "since", "note", "recorded_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    """Patients are deactivated, never deleted: their appointments, plans and access log must stay readable."""

    list_display = ("last_name", "first_name", "date_of_birth", "email", "phone", "email_reminders", "active")
    list_filter = ("active", "email_reminders")
    search_fields = ("last_name", "first_name", "email", "phone")
    readonly_fields = ("active",)
    inlines = [PatientConditionInline]
    actions = ["deactivate", "reactivate"]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Deactivate the selected patients (kept, hidden from search)")
    def deactivate(self, request, queryset):
        changed = patients_set_active(patients=queryset, active=False)
        self.message_user(request, f"{changed} patient(s) deactivated.")

    @admin.action(description="Reactivate the selected patients")
    def reactivate(self, request, queryset):
        changed = patients_set_active(patients=queryset, active=True)
        self.message_user(request, f"{changed} patient(s) reactivated.")
