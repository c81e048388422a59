from datetime import timedelta

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api.permissions import CLINICAL
from clinic.api.throttling import ScopedReadThrottle
from exchange.api.serializers import PatientExportSerializer
from patients.audit import access_alert_burst, access_record
from patients.selectors import patients_with_attendance
from scheduling.selectors import appointments_with_attention
from treatments.models import TreatmentPlan

PATIENT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The patient's id.")


class ExportThrottle(ScopedReadThrottle):
    """Whole-record exports per user (CLINIC_THROTTLE_EXPORT): past the rate the export is `429 throttled` and the
    burst goes on the clinic admin's attention list (patients.AccessAlert, once per period)."""

    def allow_request(self, request, view) -> bool:
        if super().allow_request(request, view):
            return True
        access_alert_burst(
            user=request.user,
            what=f"Exported more than {self.num_requests} whole patient records within {self.duration // 60} "
            "minutes; further exports were refused.",
            within=timedelta(seconds=self.duration),
        )
        return False


class PatientExportView(APIView):
    """Everything held about one patient, as one JSON document. Rate-limited per user (CLINIC_THROTTLE_EXPORT)."""

    roles = {"*": CLINICAL}
    throttle_classes = [ExportThrottle]
    throttle_scope = "export"
    error_statuses = {"get": (429,)}

    @extend_schema(parameters=[PATIENT_ID], responses={200: PatientExportSerializer})
    def get(self, request, pk):
        patient = get_object_or_404(patients_with_attendance(), pk=pk)
        document = {
            "patient": patient,
            "conditions": patient.conditions.select_related("condition"),
            "notes": patient.notes.select_related("questionnaire"),
            "plans": TreatmentPlan.objects.filter(patient=patient)
            .select_related("patient")
            .prefetch_related("sessions__appointments", "consents"),
            "appointments": appointments_with_attention(
                patient.appointments.select_related("patient", "practitioner", "session", "plan").prefetch_related(
                    "reminders"
                )
            ),
            "consents": patient.consents.all(),
        }
        data = PatientExportSerializer(document).data
        access_record(request, [patient])
        return Response(data)
