from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from clinic.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from clinic.api.permissions import STAFF
from patients.audit import access_record
from scheduling.filtersets import (
    WaitlistEntryFilterSet,
    WaitlistOfferFilterSet,
)
from scheduling.models import WaitlistEntry, WaitlistOffer
from waitlist import entries
from waitlist.api import serializers as s


class WaitlistEntryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Patients waiting for a slot. DELETE takes an entry off the list (status `removed`); the row is kept."""

    queryset = WaitlistEntry.objects.select_related("patient")
    serializer_class = s.WaitlistEntrySerializer
    filterset_class = WaitlistEntryFilterSet
    roles = {"*": STAFF}

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        access_record(request, [row["patient"] for row in response.data["results"]])
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        access_record(request, [response.data["patient"]])
        return response

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], responses={201: s.WaitlistEntrySerializer})
    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = s.WaitlistEntrySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = entries.waitlist_entry_create(by=request.user, **serializer.validated_data)
        access_record(request, [entry.patient_id])
        return Response(s.WaitlistEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        entry = entries.waitlist_entry_remove(entry=self.get_object(), by=request.user)
        access_record(request, [entry.patient_id])
        return Response(status=status.HTTP_204_NO_CONTENT)


class WaitlistOfferViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Slots offered to waitlist entries by email, and what became of each offer."""

    queryset = WaitlistOffer.objects.select_related("entry")
    serializer_class = s.WaitlistOfferSerializer
    filterset_class = WaitlistOfferFilterSet
    roles = {"*": STAFF}

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        patients = WaitlistEntry.objects.filter(pk__in={row["entry"] for row in response.data["results"]})
        access_record(request, patients.values_list("patient_id", flat=True))
        return response
