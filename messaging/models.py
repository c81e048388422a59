"""The messaging app's models, kept in the modules of their feature."""

from messaging.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = ["WebhookDelivery", "WebhookEndpoint"]
