"""Twenty visitors ask for one slot at once over HTTP, each thread with its own database connection: exactly one
request holds it, every other answer is 409 slot_unavailable (PostgreSQL row locks, real threads)."""

import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from portal.online.models import BookingRequest
from scheduling.models import SlotHold
from tests.portal.online.conftest import request_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


@pytest.fixture
def generous_rates(settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], public="1000/hour")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def test_twenty_requests_for_one_slot_make_exactly_one_hold(online, generous_rates):
    barrier = threading.Barrier(THREADS)
    answers: list = [None] * THREADS

    def ask(index: int) -> None:
        try:
            connection.ensure_connection()
            body = request_body(online, email=f"visitor{index}@example.com")
            client = APIClient()
            barrier.wait(timeout=30)
            response = client.post("/api/v1/public/booking-requests/", body, format="json")
            answers[index] = (response.status_code, response.json().get("code"))
        except Exception as exc:  # noqa: BLE001 - every outcome is examined below
            answers[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(answers, key=str).count((202, None)) == 1, answers
    assert answers.count((409, "slot_unavailable")) == THREADS - 1, answers
    assert SlotHold.objects.filter(status="held").count() == 1
    assert BookingRequest.objects.filter(status="pending").count() == 1
