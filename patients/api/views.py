from rest_framework import mixins, viewsets

from clinic.api.audit import access_record
from clinic.api.filters import CountWithPagePagination
from clinic.api.permissions import STAFF
from patients.api.serializers import ConditionSerializer, PatientSerializer
from patients.filtersets import ConditionFilterSet, PatientFilterSet
from patients.models import Condition
from patients.selectors import patients_with_attendance


class PatientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Patients' demographics; `?search=` on name, email and phone. Reading one record is logged."""

    queryset = patients_with_attendance()
    serializer_class = PatientSerializer
    filterset_class = PatientFilterSet
    # The search's matches are built once, for the page and its count together.
    pagination_class = CountWithPagePagination
    http_method_names = ["get", "post", "patch", "head", "options"]
    roles = {"*": STAFF}

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
