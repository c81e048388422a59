"""Clinical writes in the admin that re-screen: conditions and contraindication rules go through care.holds, the
same services the API calls."""

from django.contrib import admin

from care.holds import (
    contraindication_delete,
    contraindication_save,
    patient_condition_record,
    patient_condition_update,
)
from patients.admin import PatientConditionAdminBase
from patients.models import PatientCondition
from scheduling.admin import WrittenThroughServices
from treatments.admin import ContraindicationAdminBase
from treatments.models import Contraindication


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
