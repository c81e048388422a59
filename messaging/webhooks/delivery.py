"""Webhook deliveries: events fanned out to the endpoints subscribed to them, then sent by the one outbox sender
(clinic.outbox) with Standard Webhooks signatures, at least once and with the same webhook-id on every try."""

import json
import logging
from contextlib import contextmanager
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from clinic.celery import enqueue_on_commit
from clinic.models import Event
from clinic.outbox import Outbox, OutboxRun, SendFailed, outbox_dispatch, outbox_due_count
from messaging.webhooks.addresses import UnsafeUrl, url_resolve
from messaging.webhooks.choices import DeliveryStatus
from messaging.webhooks.models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

SEND_TASK = "messaging.tasks.send_webhook"
DISPATCH_TASK = "messaging.tasks.dispatch_webhooks"


def event_body(event: Event) -> str:
    """The body of every delivery of `event`, the same bytes on every try: type, timestamp and data."""
    body = {"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": event.data}
    return json.dumps(body, separators=(",", ":"), sort_keys=False)


def signed_headers(delivery: WebhookDelivery, body: str, *, at: datetime) -> dict[str, str]:
    """Standard Webhooks headers for one try: the delivery's webhook-id, the try's time, its v1 signature."""
    signature = Webhook(delivery.endpoint.secret).sign(msg_id=delivery.webhook_id, timestamp=at, data=body)
    return {
        "content-type": "application/json",
        "user-agent": "clinic-webhooks/1",
        "webhook-id": delivery.webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def _endpoint_failed(endpoint_id: int, *, error: str) -> None:
    """A try failed: the endpoint is failing since now unless it already was; failing for the whole
    CLINIC_WEBHOOK_DISABLE_AFTER_HOURS disables it (its undelivered deliveries fail with it)."""
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(failing_since=now)
    since = now - timedelta(hours=settings.CLINIC_WEBHOOK_DISABLE_AFTER_HOURS)
    disabled = WebhookEndpoint.objects.filter(pk=endpoint_id, active=True, failing_since__lte=since).update(
        active=False,
        disabled_at=now,
        disabled_reason=f"Failing for {settings.CLINIC_WEBHOOK_DISABLE_AFTER_HOURS:g} hours. Last error: {error}"[
            :2000
        ],
        updated_at=now,
    )
    if disabled:
        logger.warning("webhook endpoint %s disabled: failing since before %s", endpoint_id, since)
    if disabled or not WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).exists():
        endpoint_deliveries_fail(endpoint_id=endpoint_id, reason="the endpoint was disabled after a day of failures")


def endpoint_deliveries_fail(*, endpoint_id: int, reason: str) -> int:
    """Every pending delivery of the endpoint ends failed (it is no longer active); returns how many. A delivery in
    flight finishes as its sender decides."""
    return WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=f"Not sent: {reason}.", updated_at=timezone.now()
    )


class WebhookOutbox(Outbox):
    model = WebhookDelivery
    name = "webhook"
    PENDING, SENDING, DONE, FAILED = (
        DeliveryStatus.PENDING,
        DeliveryStatus.SENDING,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
    )
    task = SEND_TASK

    def rows(self) -> QuerySet:
        return WebhookDelivery.objects.select_related("endpoint", "event").order_by("id")

    def eligible(self) -> Q:
        return Q(endpoint__active=True)

    def claim_seconds(self) -> float:
        return settings.CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS

    def retry_delay(self, attempts: int) -> timedelta:
        seconds = settings.CLINIC_WEBHOOK_RETRY_BASE_SECONDS * 2 ** min(attempts - 1, 32)
        return timedelta(seconds=min(seconds, settings.CLINIC_WEBHOOK_RETRY_MAX_SECONDS))

    def give_up_reason(self, row: WebhookDelivery, *, next_attempt_at: datetime) -> str | None:
        hours = settings.CLINIC_WEBHOOK_GIVE_UP_HOURS
        since = max(row.event.occurred_at, row.retried_at or row.event.occurred_at)
        if next_attempt_at > since + timedelta(hours=hours):
            return f"not delivered within {hours:g} hours" + (" of the Retry" if row.retried_at else " of the event")
        return None

    def refusal(self, row: WebhookDelivery) -> tuple[dict, str] | None:
        # Switched off (or disabled by an earlier row of this batch) since the batch was claimed.
        if not WebhookEndpoint.objects.filter(pk=row.endpoint_id, active=True).exists():
            return {"status": DeliveryStatus.FAILED, "next_attempt_at": None}, "Not sent: the endpoint is switched off."
        return None

    @contextmanager
    def transport(self):
        with httpx.Client(
            timeout=settings.CLINIC_WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False, trust_env=False
        ) as client:
            yield client

    def send(self, row: WebhookDelivery, transport: httpx.Client) -> dict:
        try:
            target = url_resolve(row.endpoint.url)  # again at every try: DNS may have changed since
        except UnsafeUrl as exc:
            raise SendFailed(str(exc), last_status_code=None) from exc
        body = event_body(row.event)
        headers = signed_headers(row, body, at=timezone.now())
        headers["host"] = target.host_header
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        response = transport.post(target.pinned_url, content=body.encode(), headers=headers, extensions=extensions)
        if not 200 <= response.status_code < 300:
            raise SendFailed(
                f"the endpoint answered HTTP {response.status_code}", last_status_code=response.status_code
            )
        return {"last_status_code": response.status_code, "last_error": ""}

    def sent_fields(self, row) -> dict:
        return {"sent_at": timezone.now(), "next_attempt_at": None}

    def after(self, row: WebhookDelivery, *, outcome: str, fields: dict, now: datetime) -> None:
        if outcome == DeliveryStatus.DELIVERED:
            WebhookEndpoint.objects.filter(pk=row.endpoint_id, failing_since__isnull=False).update(failing_since=None)
        else:
            _endpoint_failed(row.endpoint_id, error=fields.get("last_error", ""))


WEBHOOKS = WebhookOutbox()


def _skip_locked() -> dict:
    return {"skip_locked": True} if connection.vendor == "postgresql" else {}


def events_fan_out(*, limit: int = 500) -> int:
    """Turn recorded events into one delivery per active endpoint subscribed to their type; returns how many
    deliveries were made.

    Guarantees: each event is fanned out once (its row is locked and marked in the same transaction; a second
    delivery of one event to one endpoint is refused by a unique constraint); after commit a worker is asked to
    send the new deliveries.
    """
    with transaction.atomic():
        events = list(
            Event.objects.filter(fanned_out_at__isnull=True).order_by("id").select_for_update(**_skip_locked())[:limit]
        )
        if not events:
            return 0
        endpoints = list(WebhookEndpoint.objects.filter(active=True).only("pk", "events"))
        deliveries = [
            WebhookDelivery(endpoint=endpoint, event=event)
            for event in events
            for endpoint in endpoints
            if event.type in endpoint.events
        ]
        WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        Event.objects.filter(pk__in=[event.pk for event in events]).update(fanned_out_at=timezone.now())
        if deliveries:
            enqueue_on_commit(DISPATCH_TASK)
    return len(deliveries)


def webhooks_dispatch_due(*, limit: int = 100) -> OutboxRun:
    """Claim and send up to `limit` due deliveries (clinic.outbox.outbox_dispatch)."""
    return outbox_dispatch(WEBHOOKS, limit=limit)


def webhook_send(*, delivery_id: int) -> bool:
    """Send one delivery now if it is due and nobody else holds it; True when this call delivered it."""
    return outbox_dispatch(WEBHOOKS, limit=1, pk=delivery_id).sent == 1


def webhooks_due_count() -> int:
    return outbox_due_count(WEBHOOKS)
