"""The public online-booking API: no sign-in, every answer the same whoever asks, throttled per client address."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from clinic.clock import local_date
from portal.online import requests, selectors
from portal.online.api import serializers as s
from portal.online.requests import RequestDetails, TooManyRequests


class PublicAddressThrottle(BaseThrottle):
    """Per client address (the trusted-proxy setting decides which): requests made at `public`, reads at
    `public_read`. Counted atomically in the shared cache (portal.online.requests.rate_spend)."""

    def allow_request(self, request, view):
        scope = "public" if request.method == "POST" else "public_read"
        try:
            requests.rate_spend(scope=scope, ident=self.get_ident(request))
        except TooManyRequests as exc:
            self._wait = exc.wait
            return False
        return True

    def wait(self):
        return getattr(self, "_wait", None)


class PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicAddressThrottle]
    error_statuses = {"*": (429,)}


class CatalogView(PublicView):
    @extend_schema(auth=[], responses={200: s.CatalogSerializer}, description="What can be booked online, and where.")
    def get(self, request):
        return Response(s.CatalogSerializer(selectors.catalog()).data)


class SlotsView(PublicView):
    query_serializer_class = s.SlotsQuerySerializer

    @extend_schema(
        auth=[],
        parameters=[s.SlotsQuerySerializer],
        responses={200: s.PublicSlotsSerializer},
        description="Free times of a therapy at a location on `days` local days (at most 14) from `date`.",
    )
    def get(self, request):
        query = s.SlotsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        location = params["location"]
        day = params.get("date") or local_date(timezone.now(), location.zone)
        found = selectors.public_slots(
            therapy_type=params["therapy_type"], location=location, day=day, days=params["days"]
        )
        return Response(s.PublicSlotsSerializer(found).data)


class QuestionsView(PublicView):
    query_serializer_class = s.QuestionsQuerySerializer

    @extend_schema(
        auth=[],
        parameters=[s.QuestionsQuerySerializer],
        responses={200: s.QuestionsSerializer},
        description="The yes / no health questions of a therapy (and product): answer each in a booking request.",
    )
    def get(self, request):
        query = s.QuestionsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        questions = selectors.questions_for(**query.validated_data)
        return Response(s.QuestionsSerializer({"questions": questions}).data)


class BookingRequestsView(PublicView):
    error_statuses = {"*": (409, 429)}

    @extend_schema(
        auth=[],
        request=s.BookingRequestCreateSerializer,
        responses={202: s.BookingRequestAcceptedSerializer},
        description="Hold the slot for CLINIC_ONLINE_HOLD_MINUTES and email a link that books it. The answer is the "
        "same whether or not the email is a patient's. 409 slot_unavailable when the time is gone; 429 throttled "
        "with two requests already pending for the email.",
    )
    def post(self, request):
        body = s.BookingRequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if data.pop("website", ""):
            # A robot filled the hidden field: answered as a person would be, nothing held or sent.
            expires_at = timezone.now() + timedelta(minutes=settings.CLINIC_ONLINE_HOLD_MINUTES)
            return Response({"status": "pending", "expires_at": expires_at}, status=status.HTTP_202_ACCEPTED)
        made = requests.booking_request_make(details=RequestDetails(**data))
        return Response(
            s.BookingRequestAcceptedSerializer({"status": made.status, "expires_at": made.expires_at}).data,
            status=status.HTTP_202_ACCEPTED,
        )
