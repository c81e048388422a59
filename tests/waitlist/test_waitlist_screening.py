"""The waitlist screens with the booking's own screening, for the slot's local date (issue 20 item 5): a condition
that will have ended (until + washout_days) does not stop an offer; one that starts to block that day does; a claim
screening refuses tells the patient in neutral words and puts the entry on the attention list, not "taken"."""

import re
from datetime import timedelta

import pytest
from django.core import mail

from care import booking
from care.holds import patient_condition_record
from patients.choices import ConditionKind
from scheduling.models import FreedTime, WaitlistEntry, WaitlistOffer
from tests import factories
from tests.conftest import api_client_for
from tests.factories import PatientFactory, future_weekday, local_time, practitioner_user
from treatments.choices import Severity
from waitlist import entries, matching, offers

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://\S+/waitlist/offers/\S+/")


@pytest.fixture
def world(clinic):
    """A Monday 10:00 exosome slot about to be freed, and a blood-thinner rule on exosome with a 2-day washout."""
    day = future_weekday(0)
    appointment = booking.appointment_book(
        patient=PatientFactory(),
        therapy_type=clinic.exosome,
        product=clinic.plant_product,
        practitioner=clinic.practitioners[0],
        start=local_time(day, 10),
    )
    blood_thinner = factories.ConditionFactory(code="anticoagulant-therapy", kind=ConditionKind.MEDICATION)
    factories.ContraindicationFactory(
        condition=blood_thinner, therapy_type=clinic.exosome, severity=Severity.ABSOLUTE, washout_days=2
    )
    return day, appointment, blood_thinner


def join(clinic, day, patient):
    return entries.waitlist_entry_create(
        patient=patient,
        therapy_type=clinic.exosome,
        product=clinic.plant_product,
        location=clinic.location,
        earliest=day,
        latest=day + timedelta(days=7),
    )


def free(appointment) -> list[WaitlistOffer]:
    booking.appointment_cancel(appointment=appointment, reason="ill")
    matching.freed_time_match(freed_id=FreedTime.objects.get(reason="cancelled").pk)
    return list(WaitlistOffer.objects.order_by("id"))


def test_the_slots_own_day_decides_who_is_offered_it(clinic, world):
    day, appointment, blood_thinner = world
    stopping = PatientFactory()  # blocked today; by the slot's day the course and its washout are over
    factories.PatientConditionFactory(
        patient=stopping, condition=blood_thinner, since=day - timedelta(days=30), until=day - timedelta(days=3)
    )
    starting = PatientFactory()  # clear today; the condition starts to block on the slot's day
    factories.PatientConditionFactory(patient=starting, condition=blood_thinner, since=day)
    starting_entry, stopping_entry = join(clinic, day, starting), join(clinic, day, stopping)

    offers = free(appointment)

    assert [offer.entry_id for offer in offers] == [stopping_entry.pk]
    assert WaitlistEntry.objects.get(pk=starting_entry.pk).status == "waiting"


def test_a_claim_screening_refuses_is_not_taken_and_asks_a_person(clinic, world, client):
    day, appointment, blood_thinner = world
    patient = PatientFactory()
    entry = join(clinic, day, patient)
    [offer] = free(appointment)
    offers.offers_dispatch_due()
    url = LINK.search(mail.outbox[-1].body).group(0)
    patient_condition_record(patient=patient, condition=blood_thinner, by=practitioner_user())

    page = client.post(url, {"answer": "claim"})

    text = page.content.decode()
    assert page.status_code == 409
    assert "taken" not in text and "anticoagulant" not in text.lower()
    assert "contact you" in text
    offer.refresh_from_db()
    assert offer.status != "taken"
    desk = api_client_for(factories.front_desk_user())
    listed = desk.get("/api/v1/waitlist/?needs_attention=true").json()["results"]
    assert [(row["id"], row["needs_attention"]) for row in listed] == [(entry.pk, True)]
    assert "anticoagulant" not in listed[0]["attention_reason"].lower()
