from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from patients.models import Condition, Patient, PatientCondition


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
    list_display = ("last_name", "first_name", "date_of_birth", "email", "phone", "email_reminders")
    list_filter = ("email_reminders",)
    search_fields = ("last_name", "first_name", "email", "phone")
    inlines = [PatientConditionInline]
