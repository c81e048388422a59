from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets

from clinic.api.audit import access_record
from clinic.api.filters import CountWithPagePagination
from clinic.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from clinic.api.permissions import STAFF
from patients.api.serializers import ConditionSerializer, PatientSerializer
from patients.filtersets import ConditionFilterSet, PatientFilterSet
from patients.models import Condition, Patient


class PatientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Patients' demographics; `?search=` on name, email and phone. Reading one record is logged. The list holds
    active patients only; a deactivated one (clinic admin, in the admin) is still read by id."""

    queryset = Patient.objects.all()
    serializer_class = PatientSerializer
    filterset_class = PatientFilterSet
    # The search's matches are built once, for the page and its count together.
    pagination_class = CountWithPagePagination
    http_method_names = ["get", "post", "patch", "head", "options"]
    roles = {"*": STAFF}

    def get_queryset(self):
        patients = super().get_queryset()
        return patients.filter(active=True) if self.action == "list" else patients

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

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
