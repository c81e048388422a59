"""The clinic admin's use cases for webhooks: endpoints created, changed, removed; a failed delivery retried. The API
and the Django admin both call these."""

import base64
import secrets

from django.db import transaction
from django.utils import timezone

from clinic.events import EVENT_TYPES
from clinic.exceptions import DomainValidationError, InvalidTransition
from clinic.outbox import outbox_retry
from messaging.webhooks.addresses import UnsafeUrl, url_resolve
from messaging.webhooks.delivery import WEBHOOKS, endpoint_deliveries_fail
from messaging.webhooks.models import WebhookDelivery, WebhookEndpoint

URL_MAX_LENGTH = 500


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_endpoint_problems(*, url: str | None, events: list[str] | None) -> dict[str, list[str]]:
    """What is wrong with an endpoint's URL or events (field -> sentences); empty when nothing. None skips a field."""
    errors: dict[str, list[str]] = {}
    if url is not None:
        if len(url) > URL_MAX_LENGTH:
            errors["url"] = [f"At most {URL_MAX_LENGTH} characters."]
        else:
            try:
                url_resolve(url)
            except UnsafeUrl as exc:
                errors["url"] = [str(exc)]
    if events is not None:
        unknown = sorted(set(events) - set(EVENT_TYPES))
        if not events:
            errors["events"] = ["Choose at least one event."]
        elif unknown:
            errors["events"] = [f"Unknown event types: {', '.join(unknown)}."]
    return errors


def webhook_endpoint_create(*, url: str, events: list[str], active: bool = True, by=None) -> WebhookEndpoint:
    """Register an endpoint for `events` with a new secret (readable on the returned object, and never again).

    Guarantees: DomainValidationError and nothing written unless the URL is https and resolves to public addresses
    only (any URL with CLINIC_WEBHOOKS_ALLOW_PRIVATE) and every event type is known. Only events recorded after
    its creation are sent to it.
    """
    errors = webhook_endpoint_problems(url=url, events=events)
    if errors:
        raise DomainValidationError(errors=errors)
    return WebhookEndpoint.objects.create(
        url=url, events=list(dict.fromkeys(events)), active=active, secret=new_secret(), created_by=by
    )


def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, url: str | None = None, events: list[str] | None = None, active: bool | None = None
) -> WebhookEndpoint:
    """Change an endpoint's URL, events or state (None leaves a field as it is).

    Guarantees: the same checks as creation; switching an endpoint on clears its disabled state and failure clock;
    switching it off fails its pending deliveries (they are not kept for later). Nothing written on a refusal.
    """
    errors = webhook_endpoint_problems(url=url, events=events)
    if errors:
        raise DomainValidationError(errors=errors)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if url is not None:
            endpoint.url = url
        if events is not None:
            endpoint.events = list(dict.fromkeys(events))
        if active is True and not endpoint.active:
            endpoint.active = True
            endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since = None, "", None
        elif active is False and endpoint.active:
            endpoint.active = False
            endpoint_deliveries_fail(endpoint_id=endpoint.pk, reason="the endpoint was switched off")
        endpoint.updated_at = timezone.now()
        endpoint.save()
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its deliveries; a delivery in flight may still arrive once."""
    endpoint.delete()


def webhook_delivery_retry(*, delivery: WebhookDelivery, by=None) -> WebhookDelivery:
    """Give a failed delivery a fresh round of attempts now, with the same webhook-id.

    Guarantees: InvalidTransition (409) unless the delivery is failed and its endpoint is active; otherwise it is
    pending from zero attempts and a worker is asked to send it after commit (clinic.outbox.outbox_retry).
    """
    if not delivery.endpoint.active:
        raise InvalidTransition(
            "This endpoint is switched off: switch it on before retrying its deliveries.", current=delivery.status
        )
    return outbox_retry(WEBHOOKS, delivery, by=by, what="delivery", fields={"retried_at": timezone.now()})
