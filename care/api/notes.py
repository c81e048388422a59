"""What a practitioner does with the patient's own words from the questionnaire: read them (the patient's notes)
and mark them read (the appointment leaves the attention list)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from care.api.serializers import PatientNoteClinicalSerializer
from care.questionnaire import questionnaire_mark_read
from clinic.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from clinic.api.permissions import CLINICAL
from patients.audit import access_record
from patients.models import Patient, PatientNote
from scheduling.api.serializers import AppointmentClinicalSerializer
from scheduling.models import Appointment
from scheduling.selectors import appointments_with_attention

ID = OpenApiParameter("id", int, OpenApiParameter.PATH)


def _no_store(response: Response) -> Response:
    response["Cache-Control"] = "no-store"
    return response


class PatientNotesView(generics.ListAPIView):
    """The patient's notes in free text, newest first: their own words from the questionnaire, read or not
    (practitioners and clinic admins; every read is in the patient's access log)."""

    serializer_class = PatientNoteClinicalSerializer
    roles = {"*": CLINICAL}

    @extend_schema(parameters=[ID])
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        access_record(request, [self.kwargs["pk"]])
        return _no_store(response)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PatientNote.objects.none()
        patient = get_object_or_404(Patient, pk=self.kwargs["pk"])
        return PatientNote.objects.filter(patient=patient).select_related("questionnaire")


class QuestionnaireReadView(APIView):
    """A practitioner has read what the patient wrote in this appointment's questionnaire."""

    roles = {"*": CLINICAL}
    error_statuses = {"post": (409,)}

    @extend_schema(
        request=None,
        responses={200: AppointmentClinicalSerializer},
        parameters=[ID, IDEMPOTENCY_PARAMETER],
        description="Mark the patient's own words in the appointment's questionnaire read (practitioners, clinic "
        "admins): the appointment leaves the attention list for them. An answer without words, or already read, "
        "is answered as it is; 409 invalid_transition when the patient has not answered.",
    )
    @idempotent
    def post(self, request, pk):
        appointment = get_object_or_404(Appointment, pk=pk)
        questionnaire_mark_read(appointment=appointment, by=request.user)
        appointment = appointments_with_attention(
            Appointment.objects.select_related("patient", "practitioner", "session", "plan")
        ).get(pk=pk)
        access_record(request, [appointment.patient_id])
        return _no_store(Response(AppointmentClinicalSerializer(appointment).data))
