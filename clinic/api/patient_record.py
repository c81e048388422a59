"""A patient's whole record (GDPR access request) and who has read it: views that span every app."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api.audit import access_record
from clinic.api.permissions import ADMIN, CLINICAL
from clinic.models import AccessLog
from patients.api.serializers import PatientConditionSerializer, PatientSerializer
from patients.models import Patient
from scheduling.api.serializers import AppointmentSerializer, ReminderSerializer
from treatments.api.serializers import ConsentSerializer, PlanSerializer
from treatments.models import TreatmentPlan

PATIENT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The patient's id.")


class ExportPlanSerializer(PlanSerializer):
    consents = ConsentSerializer(many=True, read_only=True)

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "consents"]
        read_only_fields = fields


class ExportAppointmentSerializer(AppointmentSerializer):
    reminders = ReminderSerializer(many=True, read_only=True)

    class Meta(AppointmentSerializer.Meta):
        fields = [*AppointmentSerializer.Meta.fields, "reminders"]
        read_only_fields = fields


class PatientExportSerializer(serializers.Serializer):
    patient = PatientSerializer()
    conditions = PatientConditionSerializer(many=True)
    plans = ExportPlanSerializer(many=True)
    appointments = ExportAppointmentSerializer(many=True)


class PatientExportView(APIView):
    """Everything held about one patient, as one JSON document."""

    roles = {"*": CLINICAL}

    @extend_schema(parameters=[PATIENT_ID], responses={200: PatientExportSerializer})
    def get(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        document = {
            "patient": patient,
            "conditions": patient.conditions.select_related("condition"),
            "plans": TreatmentPlan.objects.filter(patient=patient).prefetch_related(
                "sessions__appointments", "consents"
            ),
            "appointments": patient.appointments.select_related("patient", "practitioner").prefetch_related(
                "reminders"
            ),
        }
        data = PatientExportSerializer(document).data
        access_record(request, [patient])
        return Response(data)


class AccessLogSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = AccessLog
        fields = ["id", "user", "username", "patient", "endpoint", "method", "at"]


class PatientAccessLogView(generics.ListAPIView):
    """Who read this patient's record or clinical data through the API, newest first."""

    serializer_class = AccessLogSerializer
    roles = {"*": ADMIN}

    @extend_schema(parameters=[PATIENT_ID])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AccessLog.objects.none()
        patient = get_object_or_404(Patient, pk=self.kwargs["pk"])
        return AccessLog.objects.filter(patient=patient).select_related("user")
