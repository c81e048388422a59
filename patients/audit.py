"""The one access-log rule: every answer that carries a patient's clinical data (API, admin pages, export) writes
an access-log row per patient it carries and is sent with `Cache-Control: no-store` (clinic.privacy)."""

from collections.abc import Iterable
from datetime import timedelta

from django.utils import timezone

from clinic.privacy import mark_clinical_answer
from patients.models import AccessAlert, AccessLog


def access_record(request, patients: Iterable) -> None:
    """Log that request.user read these patients' data at request.path (one row per distinct patient), and mark the
    answer as one no browser or proxy may keep. Patients are rows or ids; None is ignored."""
    patient_ids = {getattr(patient, "pk", patient) for patient in patients} - {None}
    mark_clinical_answer(request)
    AccessLog.objects.bulk_create(
        AccessLog(user=request.user, patient_id=patient_id, endpoint=request.path[:255], method=request.method)
        for patient_id in sorted(patient_ids)
    )


def access_alert_burst(*, user, what: str, within: timedelta) -> AccessAlert | None:
    """Put `what` `user` did on the clinic admin's attention list (AccessAlert), once per `within`: a burst that
    goes on does not flood the list. Returns the new alert, or None when one is already open for that period."""
    recent = AccessAlert.objects.filter(user=user, reviewed=False, at__gte=timezone.now() - within)
    if recent.exists():
        return None
    return AccessAlert.objects.create(user=user, what=what)


class AccessLoggedAdmin:
    """A ModelAdmin mixin: the change page, the history pages (and, with `logged_list`, the list) of rows that carry
    a patient's clinical data write the access log and are not cached. `patient_lookup` names the patient's id on
    the row."""

    patient_lookup = "patient_id"
    logged_list = False

    def _read(self, request, response, object_ids):
        if response.status_code != 200:
            return response
        ids = [pk for pk in object_ids if pk is not None]
        rows = self.model._default_manager.filter(pk__in=ids) if ids else None
        access_record(request, rows.values_list(self.patient_lookup, flat=True) if rows is not None else [])
        return response

    def _one(self, object_id) -> list:
        try:
            return [int(object_id)]
        except (TypeError, ValueError):
            return []

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        return self._read(request, response, self._one(object_id)) if object_id else response

    def history_view(self, request, object_id, extra_context=None):
        return self._read(request, super().history_view(request, object_id, extra_context), self._one(object_id))

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        response = super().history_form_view(request, object_id, version_id, extra_context)
        return self._read(request, response, self._one(object_id))

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if not self.logged_list or changelist is None:
            return response
        return self._read(request, response, [row.pk for row in changelist.result_list])
