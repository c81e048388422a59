from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.api.fields import StrictBooleanField, StrictCharField, StrictSerializer
from clinic.events import EVENT_TYPES
from messaging.webhooks.choices import DeliveryStatus
from messaging.webhooks.models import WebhookDelivery, WebhookEndpoint
from messaging.webhooks.services import URL_MAX_LENGTH


class WebhookEndpointSerializer(serializers.ModelSerializer):
    disabled = serializers.SerializerMethodField(help_text="Switched off after a day of failures (see the reason).")

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "events",
            "active",
            "disabled",
            "disabled_at",
            "disabled_reason",
            "failing_since",
            "created_at",
        ]
        read_only_fields = fields

    def get_disabled(self, endpoint) -> bool:
        return endpoint.disabled_at is not None and not endpoint.active


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text="whsec_...: verify the signatures with it. Shown this once only.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointInputSerializer(StrictSerializer):
    url = StrictCharField(max_length=URL_MAX_LENGTH, help_text="https, to a public address.")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES), min_length=1, max_length=len(EVENT_TYPES)
    )
    active = StrictBooleanField(required=False, default=True)


class WebhookEndpointUpdateSerializer(WebhookEndpointInputSerializer):
    url = StrictCharField(max_length=URL_MAX_LENGTH, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES), min_length=1, max_length=len(EVENT_TYPES), required=False
    )
    active = StrictBooleanField(required=False)


@extend_schema_field({"type": "string", "enum": ["pending", "delivered", "failed"]})
class DeliveryStatusField(serializers.CharField):
    """A delivery in a worker's hands is still `pending` to the reader: it may yet fail and be tried again."""

    def to_representation(self, value):
        return DeliveryStatus.PENDING.value if value == DeliveryStatus.SENDING else str(value)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    status = DeliveryStatusField()
    event = serializers.CharField(source="event.type", help_text="The event type.")
    event_id = serializers.UUIDField(source="event.uuid")
    webhook_id = serializers.CharField(help_text="The webhook-id header, the same on every try.")
    timestamp = serializers.DateTimeField(source="event.occurred_at")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event",
            "event_id",
            "webhook_id",
            "timestamp",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "created_at",
        ]
        read_only_fields = fields
