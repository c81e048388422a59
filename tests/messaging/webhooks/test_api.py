"""The clinic admin's webhook API and admin pages: the secret shown once, the roles, the refusals of URLs the clinic
will not call (at creation), the deliveries list and Retry."""

import socket

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.events import event_record
from messaging.webhooks import addresses
from messaging.webhooks.choices import DeliveryStatus
from messaging.webhooks.delivery import events_fan_out
from messaging.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests import factories
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.216.34"


@pytest.fixture
def dns(monkeypatch):
    """Names resolve as the test says (a dict host -> addresses); IP literals resolve to themselves."""
    table: dict[str, list[str]] = {"hooks.example.com": [PUBLIC]}
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host in table:
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in table[host]
            ]
        if host.replace(".", "").isdigit() or ":" in host:
            return real(host, port, *args, **kwargs)
        raise socket.gaierror("unknown host")

    monkeypatch.setattr(addresses.socket, "getaddrinfo", resolve)
    return table


def create(api, url="https://hooks.example.com/clinic", events=("appointment.booked",), **extra):
    return api.post("/api/v1/webhooks/", {"url": url, "events": list(events), **extra}, format="json")


def test_the_secret_is_returned_once_on_creation(clinic_admin_api, dns):
    answer = create(clinic_admin_api)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["secret"].startswith("whsec_") and body["active"] is True and body["disabled"] is False
    listed = clinic_admin_api.get("/api/v1/webhooks/").json()["results"]
    detail = clinic_admin_api.get(f"/api/v1/webhooks/{body['id']}/").json()
    assert "secret" not in listed[0] and "secret" not in detail
    assert WebhookEndpoint.objects.get().secret == body["secret"]


def test_only_the_clinic_admin_manages_webhooks(front_desk_api, practitioner_api, api_client, dns):
    for api in (front_desk_api, practitioner_api):
        assert create(api).status_code == 403
        assert api.get("/api/v1/webhooks/").status_code == 403
    assert api_client.get("/api/v1/webhooks/").status_code == 401


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/in", "https://"),
        ("https://127.0.0.1/in", "loopback"),
        ("https://localhost/in", "loopback"),
        ("https://10.1.2.3/in", "private"),
        ("https://192.168.0.10/in", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[::1]/in", "loopback"),
        ("https://[::ffff:127.0.0.1]/in", "loopback"),
        ("https://[fe80::1]/in", "link-local"),
        ("https://0.0.0.0/in", "unspecified"),
        ("https://inside.example.com/in", "private"),
        ("https://mixed.example.com/in", "private"),
        ("https://nowhere.example.com/in", "does not resolve"),
        ("https://user:pw@hooks.example.com/in", "password"),
        ("ftp://hooks.example.com/in", "https://"),
    ],
)
def test_urls_the_clinic_will_not_call_are_refused_at_creation(clinic_admin_api, dns, url, why):
    dns["localhost"] = ["127.0.0.1"]
    dns["inside.example.com"] = ["10.0.0.7"]
    dns["mixed.example.com"] = [PUBLIC, "192.168.1.1"]
    answer = create(clinic_admin_api, url=url)
    assert answer.status_code == 400, answer.content
    assert why in " ".join(answer.json()["errors"]["url"])
    assert not WebhookEndpoint.objects.exists()


def test_private_addresses_and_http_are_allowed_when_the_clinic_says_so(clinic_admin_api, settings):
    settings.CLINIC_WEBHOOKS_ALLOW_PRIVATE = True
    assert create(clinic_admin_api, url="http://127.0.0.1:9/in").status_code == 201


def test_unknown_events_and_empty_lists_are_refused(clinic_admin_api, dns):
    assert create(clinic_admin_api, events=["appointment.exploded"]).status_code == 400
    assert create(clinic_admin_api, events=[]).status_code == 400
    assert create(clinic_admin_api, secret="whsec_mine").status_code == 400  # the clinic makes the secret
    assert not WebhookEndpoint.objects.exists()


def test_deliveries_are_listed_and_a_failed_one_retried(clinic_admin_api, dns, django_capture_on_commit_callbacks):
    endpoint_id = create(clinic_admin_api).json()["id"]
    for _ in range(3):
        event_record("appointment.booked", data={"appointment": 1})
    events_fan_out()
    first = WebhookDelivery.objects.order_by("id").first()
    WebhookDelivery.objects.filter(pk=first.pk).update(
        status=DeliveryStatus.FAILED, attempts=9, last_status_code=500, last_error="Gave up"
    )
    with CaptureQueriesContext(connection) as queries:
        listed = clinic_admin_api.get(f"/api/v1/webhooks/{endpoint_id}/deliveries/").json()
    assert len(queries) <= 8  # token, roles, endpoint, page with its events and count: not one per row
    assert [row["id"] for row in listed["results"]][-1] == first.pk
    row = listed["results"][-1]
    assert (row["event"], row["status"], row["attempts"], row["last_status_code"]) == (
        "appointment.booked",
        "failed",
        9,
        500,
    )
    assert row["webhook_id"] == first.webhook_id
    failed_only = clinic_admin_api.get(f"/api/v1/webhooks/{endpoint_id}/deliveries/?status=failed").json()
    assert [r["id"] for r in failed_only["results"]] == [first.pk]
    WebhookDelivery.objects.filter(pk=listed["results"][0]["id"]).update(status=DeliveryStatus.SENDING)
    pending = clinic_admin_api.get(f"/api/v1/webhooks/{endpoint_id}/deliveries/?status=pending").json()["results"]
    assert len(pending) == 2 and {r["status"] for r in pending} == {"pending"}  # in a worker's hands: pending

    retry = f"/api/v1/webhooks/{endpoint_id}/deliveries/{first.pk}/retry/"
    with django_capture_on_commit_callbacks() as callbacks:
        answer = clinic_admin_api.post(retry)
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "pending" and answer.json()["attempts"] == 0
    assert len(callbacks) == 1  # a worker is asked to send it now
    assert clinic_admin_api.post(retry).json()["code"] == "invalid_transition"
    other = create(clinic_admin_api).json()["id"]
    assert clinic_admin_api.post(f"/api/v1/webhooks/{other}/deliveries/{first.pk}/retry/").status_code == 404


def test_the_endpoint_list_reads_in_a_fixed_number_of_queries(clinic_admin_api, dns):
    for _ in range(2):
        create(clinic_admin_api)
    with CaptureQueriesContext(connection) as few:
        clinic_admin_api.get("/api/v1/webhooks/")
    for _ in range(8):
        create(clinic_admin_api)
    with CaptureQueriesContext(connection) as many:
        assert len(clinic_admin_api.get("/api/v1/webhooks/").json()["results"]) == 10
    assert len(many) == len(few)


def test_switching_an_endpoint_off_fails_its_pending_deliveries_and_on_again_clears_the_disabled_state(
    clinic_admin_api, dns
):
    endpoint_id = create(clinic_admin_api).json()["id"]
    event_record("appointment.booked", data={"appointment": 1})
    events_fan_out()
    off = clinic_admin_api.patch(f"/api/v1/webhooks/{endpoint_id}/", {"active": False}, format="json")
    assert off.status_code == 200 and off.json()["active"] is False
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        disabled_reason="Failing for 24 hours", disabled_at=timezone.now()
    )
    listed = clinic_admin_api.get("/api/v1/webhooks/?active=false").json()["results"]
    assert [(e["id"], e["disabled"]) for e in listed] == [(endpoint_id, True)]  # the admin's list of disabled ones
    assert clinic_admin_api.get("/api/v1/webhooks/?active=true").json()["results"] == []
    on = clinic_admin_api.patch(f"/api/v1/webhooks/{endpoint_id}/", {"active": True}, format="json").json()
    assert on["active"] is True and on["disabled_reason"] == "" and on["failing_since"] is None
    bad = clinic_admin_api.patch(f"/api/v1/webhooks/{endpoint_id}/", {"url": "https://10.0.0.1/"}, format="json")
    assert bad.status_code == 400
    assert clinic_admin_api.delete(f"/api/v1/webhooks/{endpoint_id}/").status_code == 204
    assert not WebhookDelivery.objects.exists()


def test_the_admin_creates_endpoints_through_the_service_and_shows_the_secret_once(client, dns):
    admin_user = factories.clinic_admin_user()
    client.force_login(admin_user)
    answer = client.post(
        "/admin/messaging/webhookendpoint/add/",
        {"url": "https://hooks.example.com/a", "events": ["appointment.booked", "plan.created"], "active": "on"},
        follow=True,
    )
    assert answer.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_") and endpoint.created_by == admin_user
    assert endpoint.secret in answer.content.decode()
    refused = client.post(
        "/admin/messaging/webhookendpoint/add/", {"url": "https://10.0.0.1/", "events": ["plan.created"]}
    )
    assert refused.status_code == 200 and "private address" in refused.content.decode()
    assert WebhookEndpoint.objects.count() == 1


def test_the_admin_retry_action_uses_the_service(client, dns):
    admin_user = factories.clinic_admin_user()
    client.force_login(admin_user)
    create(api_client_for(admin_user))
    event_record("plan.created", data={"plan": 1})
    event_record("appointment.booked", data={"appointment": 1})
    events_fan_out()
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    client.post(
        "/admin/messaging/webhookdelivery/",
        {"action": "retry", "_selected_action": [delivery.pk]},
        follow=True,
    )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.retried_at is not None
