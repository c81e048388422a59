from django import forms
from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_actions import HistoryShownNotReverted
from clinic.exceptions import DomainValidationError
from patients.audit import AccessLoggedAdmin
from patients.conditions import (
    PATIENT_CONDITION_EDITABLE_FIELDS,
    patient_condition_validate_change,
    patient_condition_validate_new,
)
from patients.models import AccessAlert, Condition, PatientCondition, PatientNote
from patients.notes import patient_note_mark_read


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


class PatientNoteInline(admin.TabularInline):
    """The patient's own words (the questionnaire's free text), shown: they are written by the questionnaire and
    marked read through the notes' admin or the API."""

    model = PatientNote
    extra = 0
    fields = ("created_at", "source", "text", "read_by", "read_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PatientNote)
class PatientNoteAdmin(AccessLoggedAdmin, HistoryShownNotReverted, SimpleHistoryAdmin):
    """Notes are kept as written, never edited or deleted; a practitioner marks them read (patients.notes). The
    patient's own words are clinical data, on the list as on the note's and its history's pages: in the access log."""

    logged_list = True

    list_display = ("patient", "created_at", "source", "text", "read_at", "read_by")
    list_filter = ("source", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("patient__last_name", "patient__first_name", "text")
    list_select_related = ("patient", "read_by")
    fields = ("patient", "source", "text", "created_at", "read_by", "read_at")
    readonly_fields = fields
    actions = ["mark_read"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Mark the selected notes read (a practitioner has read them)")
    def mark_read(self, request, queryset):
        try:
            for note in queryset:
                patient_note_mark_read(note=note, by=request.user)
        except DomainValidationError as exc:
            self.message_user(request, " ".join(exc.errors.get("by", [exc.detail])), messages.ERROR)
            return
        self.message_user(request, f"{queryset.count()} note(s) marked read.")


class PatientAdminBase(AccessLoggedAdmin, SimpleHistoryAdmin):
    """Patients are deactivated, never deleted: their appointments, plans and access log must stay readable. Its
    change page shows the patient's conditions: each view is in the access log. Registered by care.admin, whose
    deactivate and reactivate actions go through care.people so the patient's appointments ahead follow
    (attention list, reminders)."""

    patient_lookup = "pk"

    list_display = ("last_name", "first_name", "date_of_birth", "email", "phone", "email_reminders", "active")
    list_filter = ("active", "email_reminders")
    search_fields = ("last_name", "first_name", "email", "phone")
    readonly_fields = ("active",)
    inlines = [PatientConditionInline, PatientNoteInline]

    def has_delete_permission(self, request, obj=None):
        return False


class PatientConditionForm(forms.ModelForm):
    """Validated by the service's own rules (patients.conditions), so the admin refuses what the API refuses and
    shows why on the field; the save itself goes through the holds use case (scheduling's admin)."""

    # The date a patient's `since` may not pass: their clinic's today, as the service that saves checks it. The admin
    # that registers this form sets it (care.holds.patient_today, a floor above); without it, the clinic's default.
    patient_today = None

    class Meta:
        model = PatientCondition
        fields = ("patient", "condition", "active", "since", "until", "note")

    def changed_fields(self) -> dict:
        """What the change form changes, as the service takes it."""
        changed = set(self.changed_data)
        return {name: self.cleaned_data[name] for name in PATIENT_CONDITION_EDITABLE_FIELDS if name in changed}

    def clean(self):
        data = super().clean()
        patient = self.instance.patient if self.instance.pk else data.get("patient")
        today = type(self).patient_today(patient) if self.patient_today and patient else None
        try:
            if self.instance.pk is None:
                details = {name: data.get(name) for name in ("since", "until")}
                patient_condition_validate_new(patient=patient, condition=data.get("condition"), today=today, **details)
            else:
                patient_condition_validate_change(self.changed_fields(), patient_condition=self.instance, today=today)
        except DomainValidationError as exc:
            for field, messages in exc.errors.items():
                self.add_error(field if field in self.fields else None, messages)
        # The service has checked the one-row-per-condition rule and the dates, each on its field.
        self._validate_unique = False
        return data


class PatientConditionAdminBase(AccessLoggedAdmin, HistoryShownNotReverted, SimpleHistoryAdmin):
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
