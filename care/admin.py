"""Clinical writes in the admin go through the services the API calls: conditions (added, changed, confirmed,
rejected) and contraindication rules through care.holds (re-screening, holds); plans and sessions are shown, never
deleted, and cancelled or skipped through the plan use cases, each with the reason a person gives."""

from django.contrib import admin

from care.holds import (
    contraindication_delete,
    contraindication_save,
    patient_condition_record,
    patient_condition_update,
    patient_condition_verify,
    patient_today,
    product_save,
)
from care.people import patients_deactivate, patients_reactivate, practitioner_deactivate, practitioner_reactivate
from care.planning import plan_cancel_with_appointments, session_skip_with_appointment
from clinic.admin_actions import action_with_reason
from patients.admin import PatientAdminBase, PatientConditionAdminBase, PatientConditionForm
from patients.models import Patient, PatientCondition
from scheduling.admin import PractitionerAdminBase, WrittenThroughServices
from scheduling.models import Practitioner
from treatments.admin import (
    ContraindicationAdminBase,
    ProductAdminBase,
    TreatmentPlanAdminBase,
    TreatmentSessionAdminBase,
)
from treatments.models import Contraindication, Product, TreatmentPlan, TreatmentSession


class PatientConditionCareForm(PatientConditionForm):
    """The form's dates checked against the patient's clinic's today, the day patient_condition_record and
    patient_condition_update check them against (a New York patient's evening is London's next day)."""

    patient_today = staticmethod(patient_today)


@admin.register(PatientCondition)
class PatientConditionAdmin(PatientConditionAdminBase):
    """Conditions are added, changed, confirmed and rejected here through care.holds, the use cases the API
    calls: the same fields (`until` included), the same validation (on the form), and the patient's plans and
    appointments re-screened in the same transaction (a hold appears with the save)."""

    actions = ["confirm", "reject"]
    form = PatientConditionCareForm

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = patient_condition_update(patient_condition=obj, by=request.user, **form.changed_fields())
        else:
            saved = patient_condition_record(
                patient=data["patient"],
                condition=data["condition"],
                by=request.user,
                **{name: data[name] for name in ("active", "since", "until", "note")},
            )
        obj.pk = saved.pk

    def _verdict(self, request, queryset, *, verified: bool) -> int:
        for record in queryset.select_related("patient"):
            patient_condition_verify(patient_condition=record, by=request.user, verified=verified)
        return queryset.count()

    @admin.action(description="Confirm the selected conditions (a practitioner's review)")
    def confirm(self, request, queryset):
        self.message_user(request, f"{self._verdict(request, queryset, verified=True)} condition(s) confirmed.")

    @admin.action(description="Reject the selected declared conditions (they become inactive)")
    def reject(self, request, queryset):
        count = self._verdict(request, queryset, verified=False)
        self.message_user(request, f"{count} condition(s) rejected: inactive, the patients re-screened.")


@admin.register(Contraindication)
class ContraindicationAdmin(WrittenThroughServices, ContraindicationAdminBase):
    """Rules saved or deleted here re-screen the patients with the rule's condition (care.holds)."""

    def save_row(self, request, obj):
        contraindication_save(rule=obj, by=request.user)

    def delete_row(self, request, obj):
        contraindication_delete(rule=obj, by=request.user)


class _ActsThroughServices:
    """The actions are offered to whoever may change the model, although its change form is read-only."""

    def has_act_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(_ActsThroughServices, TreatmentPlanAdminBase):
    actions = ["cancel_plans"]

    @admin.action(description="Cancel the selected plans (and their appointments still ahead)", permissions=["act"])
    def cancel_plans(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset,
            action="cancel_plans",
            title="Cancel plans",
            question="Cancel these plans? Their appointments still ahead are cancelled and the patients told.",
            apply=lambda plan, reason: plan_cancel_with_appointments(plan=plan, by=request.user, reason=reason),
        )


@admin.register(TreatmentSession)
class TreatmentSessionAdmin(_ActsThroughServices, TreatmentSessionAdminBase):
    actions = ["skip_sessions"]

    @admin.action(
        description="Skip the selected sessions (a booked one's appointment is cancelled)", permissions=["act"]
    )
    def skip_sessions(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset,
            action="skip_sessions",
            title="Skip sessions",
            question="Skip these sessions? A booked one's appointment is cancelled and the patient told.",
            apply=lambda session, reason: session_skip_with_appointment(
                session=session, by=request.user, reason=reason
            ),
        )


@admin.register(Practitioner)
class PractitionerAdmin(PractitionerAdminBase):
    """Deactivating a practitioner here puts their appointments ahead on the attention list and holds their
    reminders (care.people), as reactivating releases them."""

    actions = ["deactivate", "reactivate"]

    @admin.action(description="Deactivate (their future appointments go to the attention list)")
    def deactivate(self, request, queryset):
        for practitioner in queryset:
            ahead = practitioner_deactivate(practitioner=practitioner, by=request.user).count()
            self.message_user(request, f"{practitioner} deactivated: {ahead} future appointment(s) need a person.")

    @admin.action(description="Reactivate (they take appointments again)")
    def reactivate(self, request, queryset):
        for practitioner in queryset:
            practitioner_reactivate(practitioner=practitioner, by=request.user)
        self.message_user(request, f"{queryset.count()} practitioner(s) reactivated.")


@admin.register(Patient)
class PatientAdmin(PatientAdminBase):
    """Deactivating a patient here puts their appointments ahead on the attention list and holds their reminders
    (care.people), as reactivating releases them."""

    actions = ["deactivate", "reactivate"]

    @admin.action(description="Deactivate the selected patients (kept, hidden from search)")
    def deactivate(self, request, queryset):
        changed = patients_deactivate(patients=queryset, by=request.user)
        self.message_user(request, f"{changed} patient(s) deactivated: their appointments ahead need a person.")

    @admin.action(description="Reactivate the selected patients")
    def reactivate(self, request, queryset):
        changed = patients_reactivate(patients=queryset, by=request.user)
        self.message_user(request, f"{changed} patient(s) reactivated.")


@admin.register(Product)
class ProductAdmin(ProductAdminBase):
    """Products saved here go through care.holds.product_save: a new source re-screens who uses them."""

    def save_model(self, request, obj, form, change):
        product_save(product=obj, by=request.user)
