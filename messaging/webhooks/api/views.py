"""The clinic admin's webhook API: endpoints (the secret shown once, on creation), their deliveries, Retry."""

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api.filters import FilterSet
from clinic.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from clinic.api.permissions import ADMIN
from messaging.webhooks import services
from messaging.webhooks.api import serializers as s
from messaging.webhooks.choices import DeliveryStatus
from messaging.webhooks.models import WebhookDelivery, WebhookEndpoint


class EndpointFilterSet(FilterSet):
    class Meta:
        model = WebhookEndpoint
        fields = ["active"]


class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Where the clinic's events are sent (clinic admin only). An endpoint failing for a day is switched off
    (`disabled`, with the reason); PATCH `{"active": true}` switches it on again."""

    queryset = WebhookEndpoint.objects.all()
    serializer_class = s.WebhookEndpointSerializer
    filterset_class = EndpointFilterSet
    roles = {"*": ADMIN}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @extend_schema(
        request=s.WebhookEndpointInputSerializer,
        responses={201: s.WebhookEndpointCreatedSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = s.WebhookEndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(by=request.user, **data.validated_data)
        return Response(s.WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.WebhookEndpointUpdateSerializer, responses={200: s.WebhookEndpointSerializer})
    def partial_update(self, request, *args, **kwargs):
        data = s.WebhookEndpointUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(endpoint=self.get_object(), **data.validated_data)
        return Response(s.WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        services.webhook_endpoint_delete(endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


PUBLIC_STATUSES = [(c, label) for c, label in DeliveryStatus.choices if c != DeliveryStatus.SENDING]


class DeliveryFilterSet(FilterSet):
    status = django_filters.MultipleChoiceFilter(method="filter_status", choices=PUBLIC_STATUSES)

    def filter_status(self, queryset, name, value):
        # `pending` includes the deliveries a worker holds right now (shown as pending).
        wanted = set(value) | ({DeliveryStatus.SENDING} if DeliveryStatus.PENDING in value else set())
        return queryset.filter(status__in=wanted)

    class Meta:
        model = WebhookDelivery
        fields = ["status"]


class WebhookDeliveryListView(mixins.ListModelMixin, viewsets.GenericViewSet):
    """An endpoint's deliveries, newest first: status, attempts, the last answer and the next try."""

    serializer_class = s.WebhookDeliverySerializer
    filterset_class = DeliveryFilterSet
    roles = {"*": ADMIN}

    queryset = WebhookDelivery.objects.none()  # for the schema; the real one is the endpoint's

    def get_queryset(self):
        endpoint = get_object_or_404(WebhookEndpoint, pk=self.kwargs["pk"])
        return WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event").order_by("-id")


class WebhookDeliveryRetryView(APIView):
    roles = {"*": ADMIN}
    error_statuses = {"*": (409,)}

    @extend_schema(
        request=None,
        responses={200: s.WebhookDeliverySerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        description="Send a failed delivery again with the same webhook-id: it becomes pending and goes out at once "
        "(409 unless failed and its endpoint is switched on).",
    )
    @idempotent
    def post(self, request, pk, did):
        delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint", "event"), pk=did, endpoint=pk)
        delivery = services.webhook_delivery_retry(delivery=delivery, by=request.user)
        return Response(s.WebhookDeliverySerializer(delivery).data)
