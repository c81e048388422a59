"""A request whose link is not used in CLINIC_ONLINE_HOLD_MINUTES: the slot is free again (at once for
availability, recorded and offered to the waitlist by the sweep) and the link's page offers other times."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from portal.online.models import BookingRequest
from portal.online.requests import booking_requests_sweep
from scheduling.models import Appointment, FreedTime, SlotHold, WaitlistOffer
from tests import factories
from tests.portal.online.conftest import link_from_email, request_body, send_emails
from waitlist.entries import waitlist_entry_create
from waitlist.matching import freed_time_match

pytestmark = pytest.mark.django_db


def nine_is_offered(online) -> bool:
    slots = (
        APIClient()
        .get(
            "/api/v1/public/slots/",
            {"therapy_type": online.prp.pk, "location": online.location.pk, "date": online.day.isoformat()},
        )
        .json()["slots"]
    )
    return any(slot["start"].endswith("T09:00:00Z") for slot in slots)


def test_an_unused_request_expires_frees_its_slot_and_offers_it_to_the_waitlist(online, clock, client, settings):
    waiting = factories.PatientFactory()
    waitlist_entry_create(
        patient=waiting, therapy_type=online.prp, location=online.location, earliest=online.day, latest=online.day
    )
    assert nine_is_offered(online)
    APIClient().post("/api/v1/public/booking-requests/", request_body(online), format="json")
    link = link_from_email(send_emails()[0])
    assert not nine_is_offered(online)
    assert booking_requests_sweep() == {"expired": 0, "sent": 0}  # still held

    clock.shift(timedelta(minutes=settings.CLINIC_ONLINE_HOLD_MINUTES, seconds=1))
    assert nine_is_offered(online)  # an expired hold keeps nothing, sweep or no sweep
    page = client.get(link)
    assert b"expired" in page.content and b"See other times" in page.content

    assert booking_requests_sweep()["expired"] == 1
    assert BookingRequest.objects.get().status == "expired"
    assert SlotHold.objects.get().status == "expired"
    freed = FreedTime.objects.get(reason="hold expired")
    assert freed.start == online.nine
    assert freed_time_match(freed_id=freed.pk) >= 1
    assert WaitlistOffer.objects.filter(entry__patient=waiting, start=online.nine).exists()

    # The old link books nothing.
    done = client.post(link)
    assert b"expired" in done.content and not Appointment.objects.exists()


def test_a_held_slot_is_not_offered_to_the_waitlist(online):
    waiting = factories.PatientFactory()
    waitlist_entry_create(
        patient=waiting, therapy_type=online.prp, location=online.location, earliest=online.day, latest=online.day
    )
    practitioner = online.clinic.practitioners[0]
    APIClient().post(
        "/api/v1/public/booking-requests/", request_body(online, practitioner=practitioner.pk), format="json"
    )
    freed = FreedTime.objects.create(
        practitioner=practitioner,
        location=online.location,
        start=online.nine,
        end=online.nine + timedelta(hours=1),
        reason="cancelled",
    )
    freed_time_match(freed_id=freed.pk)
    assert not WaitlistOffer.objects.filter(start=online.nine).exists()


def test_the_link_after_expiry_but_before_the_sweep_expires_the_request(online, clock, client, settings):
    APIClient().post("/api/v1/public/booking-requests/", request_body(online), format="json")
    link = link_from_email(send_emails()[0])
    clock.shift(timedelta(minutes=settings.CLINIC_ONLINE_HOLD_MINUTES + 1))
    page = client.post(link)
    assert page.status_code == 200 and b"expired" in page.content
    assert BookingRequest.objects.get().status == "expired"
    assert FreedTime.objects.filter(reason="hold expired").count() == 1
