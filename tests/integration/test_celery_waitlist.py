"""The waitlist with real parts: a cancel on the API's path, a Celery worker on Redis, offers emailed to an SMTP
server, the first claim books, a second is told the slot is gone, and the offers are counted."""

import re
from datetime import timedelta

import pytest

from care import booking
from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment, WaitlistOffer
from tests.factories import PatientFactory, future_weekday, local_time
from tests.integration.celery_harness import wait_for
from waitlist import entries as waitlist_entries

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
LINK = re.compile(r"http://\S+/waitlist/offers/\S+/")


def body_of(message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


def test_cancel_offers_by_email_first_claim_books_second_is_refused(clinic, workers, smtp, client, front_desk_api):
    workers.start(smtp.url)
    day = future_weekday(0)
    appointment = booking.appointment_book(
        patient=PatientFactory(email_reminders=False),
        therapy_type=clinic.exosome,
        product=clinic.plant_product,
        practitioner=clinic.practitioners[0],
        start=local_time(day, 10),
    )
    entries = [
        waitlist_entries.waitlist_entry_create(
            patient=PatientFactory(email_reminders=False),
            therapy_type=clinic.exosome,
            product=clinic.plant_product,
            location=clinic.location,
            earliest=day,
            latest=day + timedelta(days=3),
        )
        for _ in range(4)
    ]

    assert (
        front_desk_api.post(
            f"/api/v1/appointments/{appointment.pk}/cancel/", {"reason": "ill"}, format="json"
        ).status_code
        == 200
    )

    offers = wait_for(
        lambda: [m for m in smtp.received() if "waitlist/offers" in body_of(m)] if smtp.count() >= 3 else None,
        timeout=30,
        what=f"three offer emails\n{workers.logs()}",
    )
    assert sorted(m["To"] for m in offers) == sorted(e.patient.email for e in entries[:3])
    urls = {m["To"]: LINK.search(body_of(m)).group(0) for m in offers}

    first = client.post(urls[entries[2].patient.email], {"answer": "claim"})
    assert first.status_code == 200 and "Booked" in first.content.decode()
    second = client.post(urls[entries[0].patient.email], {"answer": "claim"})
    assert second.status_code == 409 and "already been taken" in second.content.decode()

    booked = Appointment.objects.get(status=AppointmentStatus.BOOKED)
    assert (booked.patient, booked.start) == (entries[2].patient, appointment.start)
    listed = front_desk_api.get("/api/v1/waitlist/offers/").json()
    assert listed["count"] == 3
    assert sorted(row["status"] for row in listed["results"]) == ["claimed", "taken", "taken"]
    assert WaitlistOffer.objects.filter(entry=entries[3]).count() == 0
