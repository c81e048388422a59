from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clinic.clock import clinic_today
from patients.audit import AccessLoggedAdmin
from patients.models import AccessAlert, Condition, Patient, PatientCondition
from patients.services import patients_set_active


@admin.register(Condition)
class ConditionAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}


class PatientConditionInline(admin.TabularInline):
    """Shown, not edited here: recording a condition must re-screen the patient's plans and appointments, which
    care.holds does (care's admin registers PatientConditionAdminBase through it)."""

    model = PatientCondition
    extra = 0
    fields = ("condition", "active", "since", "until", "note", "recorded_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Patient)
class PatientAdmin(AccessLoggedAdmin, SimpleHistoryAdmin):
    """Patients are deactivated, never deleted: their appointments, plans and access log must stay readable. Its
    change page shows the patient's conditions: each view is in the access log."""

    patient_lookup = "pk"

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


class PatientConditionForm(forms.ModelForm):
    class Meta:
        model = PatientCondition
        fields = ("patient", "condition", "active", "since", "until", "note")

    def clean_since(self):
        since = self.cleaned_data.get("since")
        if since and since > clinic_today():
            raise forms.ValidationError("The date cannot be in the future.")
        return since


class PatientConditionAdminBase(AccessLoggedAdmin, SimpleHistoryAdmin):
    """How a patient's conditions look and validate in the admin. Registered by scheduling.admin, whose save goes
    through care.holds so a condition recorded here re-screens the patient's plans and appointments. Lists and
    pages are in the access log."""

    logged_list = True

    form = PatientConditionForm
    list_display = ("patient", "condition", "active", "since", "until", "updated_at")
    list_filter = ("active", "condition__kind", "condition")
    search_fields = ("patient__last_name", "patient__first_name", "condition__name", "condition__code")
    autocomplete_fields = ("patient", "condition")
    list_select_related = ("patient", "condition")
    readonly_fields = ("recorded_by",)

    def get_readonly_fields(self, request, obj=None):
        return ("patient", "condition", "recorded_by") if obj else ("recorded_by",)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the history of what a patient had stays


@admin.register(AccessAlert)
class AccessAlertAdmin(admin.ModelAdmin):
    """The clinic admin's attention list for reads of patient data (bursts of exports): review, then mark."""

    list_display = ("at", "user", "what", "reviewed", "reviewed_by")
    list_filter = ("reviewed",)
    readonly_fields = ("user", "at", "what", "reviewed", "reviewed_by")
    actions = ["mark_reviewed"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Mark the selected alerts reviewed")
    def mark_reviewed(self, request, queryset):
        changed = queryset.filter(reviewed=False).update(reviewed=True, reviewed_by=request.user)
        self.message_user(request, f"{changed} alert(s) marked reviewed.")
