"""Clinical writes in the admin that re-screen: conditions and contraindication rules go through care.holds, the
same services the API calls."""

from django.contrib import admin

from care.holds import (
    contraindication_delete,
    contraindication_save,
    patient_condition_record,
    patient_condition_update,
    product_save,
)
from care.people import patients_deactivate, patients_reactivate, practitioner_deactivate, practitioner_reactivate
from patients.admin import PatientAdminBase, PatientConditionAdminBase
from patients.models import Patient, PatientCondition
from scheduling.admin import PractitionerAdminBase, WrittenThroughServices
from scheduling.models import Practitioner
from treatments.admin import ContraindicationAdminBase, ProductAdminBase
from treatments.models import Contraindication, Product


@admin.register(PatientCondition)
class PatientConditionAdmin(PatientConditionAdminBase):
    """Conditions saved here go through care.holds: the patient's plans and appointments are re-screened."""

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


@admin.register(Contraindication)
class ContraindicationAdmin(WrittenThroughServices, ContraindicationAdminBase):
    """Rules saved or deleted here re-screen the patients with the rule's condition (care.holds)."""

    def save_row(self, request, obj):
        contraindication_save(rule=obj, by=request.user)

    def delete_row(self, request, obj):
        contraindication_delete(rule=obj, by=request.user)


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
