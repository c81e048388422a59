"""Status values of webhooks, with their transition tables (the outbox sender writes them; clinic.outbox)."""

from django.db import models


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


# Sending is the outbox's claim; a failed delivery goes back to pending only by Retry or by the endpoint's re-enabling.
DELIVERY_TRANSITIONS: dict[str, set[str]] = {
    DeliveryStatus.PENDING: {DeliveryStatus.SENDING, DeliveryStatus.FAILED},
    DeliveryStatus.SENDING: {DeliveryStatus.DELIVERED, DeliveryStatus.PENDING, DeliveryStatus.FAILED},
    DeliveryStatus.DELIVERED: set(),
    DeliveryStatus.FAILED: {DeliveryStatus.PENDING},
}
