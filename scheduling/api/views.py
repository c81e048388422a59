from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from clinic.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from clinic.api.permissions import CLINICAL, STAFF, is_clinical
from patients.audit import access_record
from scheduling import availability, availability_days, selectors
from scheduling.api import serializers as s
from scheduling.closures import closures_between
from scheduling.filtersets import (
    DeviceFilterSet,
    PractitionerFilterSet,
    RoomFilterSet,
)
from scheduling.models import Appointment, Device, Location, Practitioner, Room
from treatments import lots
from treatments.models import ProductLot


def _first_last(query: dict) -> dict:
    return {"first_day": query["date_from"], "last_day": query["date_to"]}


class LocationViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Location.objects.all()
    serializer_class = s.LocationSerializer
    roles = {"*": STAFF}

    @extend_schema(
        parameters=[s.ClosureRangeQuerySerializer],
        responses={200: s.LocationClosureSerializer(many=True)},
        description="The days this location is closed between date_from and date_to (local days, both included).",
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def closures(self, request, pk=None):
        location = self.get_object()
        query = s.ClosureRangeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = closures_between(location=location, **_first_last(query.validated_data))
        return Response(s.LocationClosureSerializer(found, many=True).data)


class PractitionerViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Practitioner.objects.prefetch_related("therapy_types", "locations")
    serializer_class = s.PractitionerSerializer
    filterset_class = PractitionerFilterSet
    roles = {"*": STAFF}


class RoomViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Room.objects.all()
    serializer_class = s.RoomSerializer
    filterset_class = RoomFilterSet
    roles = {"*": STAFF}


class DeviceViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Device.objects.all()
    serializer_class = s.DeviceSerializer
    filterset_class = DeviceFilterSet
    roles = {"*": STAFF}


class AvailabilityView(APIView):
    """Free slots for a therapy at a location between start and end, at most `limit`; `more` says whether the limit
    left some out (then the slots offered are spread over the days that have any). Closed days have none."""

    roles = {"*": STAFF}
    query_serializer_class = s.AvailabilityQuerySerializer

    @extend_schema(
        parameters=[s.AvailabilityQuerySerializer],
        responses={200: s.AvailabilitySerializer},
        description="With `patient`, the patient is screened first: `409 contraindicated` before any slot when they "
        "cannot have the therapy (the front desk reads the findings' names only).",
    )
    def get(self, request):
        query = s.AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if params.get("patient") is not None:
            offer = availability.offer_free_slots_for_patient(relative_allowed=is_clinical(request.user), **params)
            access_record(request, [params["patient"]])
        else:
            offer = availability.offer_free_slots(**params)
        return Response(s.AvailabilitySerializer(offer).data)


class AvailabilityDaysView(APIView):
    """For each local day between start and end, how many distinct start times are free: the desk's day strip."""

    roles = {"*": STAFF}
    query_serializer_class = s.AvailabilityDaysQuerySerializer
    error_statuses = {"get": (409,)}

    @extend_schema(
        parameters=[s.AvailabilityDaysQuerySerializer],
        responses={200: s.AvailabilityDaysSerializer},
        description="Every local day of the location that the range meets, closed days and days off included (0). "
        "With `patient`, the patient is screened first: `409 contraindicated` when they cannot have the therapy on "
        "the first day; later days they cannot have it count 0.",
    )
    def get(self, request):
        query = s.AvailabilityDaysQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        days = availability_days.free_start_counts_by_day(relative_allowed=is_clinical(request.user), **params)
        if params.get("patient") is not None:
            access_record(request, [params["patient"]])
        return Response(s.AvailabilityDaysSerializer({"days": days}).data)


class LotRecipientsView(generics.ListAPIView):
    """Every visit (plan session or one-off) that recorded this lot, with the patient's contact details: a recall's
    list, oldest first, page by page."""

    serializer_class = s.LotRecipientSerializer
    roles = {"*": CLINICAL}

    @extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)])
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        access_record(request, [row["patient"] for row in response.data["results"]])
        return response

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Appointment.objects.none()
        return selectors.lot_recipients(get_object_or_404(ProductLot, pk=self.kwargs["pk"]))


class LotRecallView(APIView):
    """Recall a lot: it can no longer be given, and the answer lists who received it."""

    roles = {"*": CLINICAL}
    error_statuses = {"post": (409,)}

    @extend_schema(
        request=s.LotRecallSerializer,
        responses={200: s.LotRecallResultSerializer},
        parameters=[IDEMPOTENCY_PARAMETER, OpenApiParameter("id", int, OpenApiParameter.PATH)],
    )
    @idempotent
    def post(self, request, pk):
        body = s.LotRecallSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lot = lots.lot_recall(lot=get_object_or_404(ProductLot, pk=pk), by=request.user, **body.validated_data)
        recipients = selectors.lot_recipients(lot)
        first_page = list(recipients[: api_settings.PAGE_SIZE])
        access_record(request, [appointment.patient_id for appointment in first_page])
        result = {
            "lot": lot.pk,
            "status": lot.status,
            "recalled_at": lot.recalled_at,
            "reason": lot.status_reason,
            "recipients_count": recipients.count(),
            "recipients": first_page,
            "recipients_url": reverse("v1:lot-recipients", kwargs={"pk": lot.pk}, request=request),
        }
        return Response(s.LotRecallResultSerializer(result).data)
