from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.response import Response

from clinic.api.filters import CountWithPagePagination
from clinic.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from clinic.api.permissions import ADMIN, STAFF
from patients.api.serializers import AccessLogSerializer, ConditionSerializer, PatientSerializer
from patients.audit import access_record
from patients.filtersets import ConditionFilterSet, PatientFilterSet
from patients.models import AccessLog, Condition, Patient
from patients.selectors import patients_with_attendance
from patients.services import patient_register


class PatientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Patients' demographics; `?search=` on name, email and phone. Reading one record is logged. The list holds
    active patients only; a deactivated one (clinic admin, in the admin) is still read by id."""

    queryset = patients_with_attendance()
    serializer_class = PatientSerializer
    filterset_class = PatientFilterSet
    # The search's matches are built once, for the page and its count together.
    pagination_class = CountWithPagePagination
    http_method_names = ["get", "post", "patch", "head", "options"]
    roles = {"*": STAFF}
    error_statuses = {"create": (409, 422)}

    @extend_schema(
        description="Register a patient. 409 possible_duplicate, with `matches` (id, names, date of birth, email, "
        "phone, `matched_on`), when someone registered has the same date of birth and a similar name, or the same "
        'email or phone; send `"allow_duplicate": true` to register anyway.',
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient = patient_register(**serializer.validated_data)
        return Response(self.get_serializer(patient).data, status=status.HTTP_201_CREATED)

    def get_queryset(self):
        patients = super().get_queryset()
        return patients.filter(active=True) if self.action == "list" else patients

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        access_record(request, [response.data["id"]])
        return response


class ConditionViewSet(viewsets.ReadOnlyModelViewSet):
    """The catalog of conditions, medication classes and allergies that rules refer to."""

    queryset = Condition.objects.all()
    serializer_class = ConditionSerializer
    filterset_class = ConditionFilterSet
    roles = {"*": STAFF}


class PatientAccessLogView(generics.ListAPIView):
    """Who read this patient's record or clinical data through the API, newest first."""

    serializer_class = AccessLogSerializer
    roles = {"*": ADMIN}

    @extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The patient's id.")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AccessLog.objects.none()
        patient = get_object_or_404(Patient, pk=self.kwargs["pk"])
        return AccessLog.objects.filter(patient=patient).select_related("user")
