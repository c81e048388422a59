"""Webhook endpoints (managed by the clinic admin) and their deliveries (the outbox rows)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from clinic.models import Event
from messaging.webhooks.choices import DeliveryStatus


class WebhookEndpoint(models.Model):
    """A receiver of the clinic's events: an https URL, the event types it wants and the secret that signs them."""

    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="The event types sent to this endpoint.")
    active = models.BooleanField(default=True)
    secret = models.CharField(max_length=100, editable=False, help_text="whsec_...: shown once, on creation.")
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="The first failure since the last success; a day of failures disables it."
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event owed to one endpoint: an outbox row, sent at least once with the same webhook-id on every try."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker took it to send.")
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When the endpoint answered 2xx.")
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    retried_at = models.DateTimeField(null=True, blank=True, help_text="A clinic admin's Retry: a new day of tries.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")]
        indexes = [
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_list_idx"),
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
                name="webhook_delivery_outbox_idx",
            ),
        ]

    def __str__(self):
        return f"{self.event.type} to {self.endpoint}"

    @property
    def webhook_id(self) -> str:
        """The same on every try of this event (Standard Webhooks' webhook-id)."""
        return f"msg_{self.event.uuid.hex}"
