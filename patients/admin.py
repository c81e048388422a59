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
    model = PatientCondition
    extra = 0
    autocomplete_fields = ("condition",)
    fields = ("condition", "active", "since", "note", "recorded_by")
    readonly_fields = ("recorded_by",)


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    list_display = ("last_name", "first_name", "date_of_birth", "email", "phone", "email_reminders")
    list_filter = ("email_reminders",)
    search_fields = ("last_name", "first_name", "email", "phone")
    inlines = [PatientConditionInline]


@admin.register(PatientCondition)
class PatientConditionAdmin(SimpleHistoryAdmin):
    list_display = ("patient", "condition", "active", "since", "updated_at")
    list_filter = ("active", "condition__kind", "condition")
    search_fields = ("patient__last_name", "patient__first_name", "condition__name", "condition__code")
    autocomplete_fields = ("patient", "condition")
    list_select_related = ("patient", "condition")
