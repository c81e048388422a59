"""Ten patients claim the same freed slot at once (ten offers of it, real threads and connections): exactly one
booking; and one link clicked ten times at once books once. Runs on SQLite and PostgreSQL alike."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from scheduling.choices import AppointmentStatus, OfferStatus
from scheduling.models import Appointment, WaitlistOffer
from tests.factories import PatientFactory, future_weekday, local_time
from tests.scheduling.test_concurrency import race
from waitlist import claims as waitlist_claims
from waitlist import entries as waitlist_entries
from waitlist import offers as waitlist_offers

pytestmark = pytest.mark.django_db(transaction=True)
CLAIMS = 10


def offers_of_one_slot(clinic, count: int) -> list[WaitlistOffer]:
    day = future_weekday(0)
    start = local_time(day, 10)
    offers = []
    for _ in range(count):
        entry = waitlist_entries.waitlist_entry_create(
            patient=PatientFactory(),
            therapy_type=clinic.exosome,
            product=clinic.plant_product,
            location=clinic.location,
            earliest=day,
            latest=day,
        )
        offers.append(
            WaitlistOffer.objects.create(
                entry=entry,
                practitioner=clinic.practitioners[0],
                start=start,
                end=start + timedelta(minutes=clinic.exosome.session_minutes),
                expires_at=timezone.now() + timedelta(minutes=30),
            )
        )
    return offers


@override_settings(CLINIC_WAITLIST_PARALLEL_OFFERS=CLAIMS)
def test_ten_patients_claiming_one_slot_at_once_book_it_once(clinic):
    offers = offers_of_one_slot(clinic, CLAIMS)
    outcomes = race(
        [lambda o=o: waitlist_claims.offer_claim_by_link(token=waitlist_offers.offer_token(o)) for o in offers]
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    booked = [o for o in outcomes if o.appointment is not None]
    assert len(booked) == 1
    assert all(o.refusal == waitlist_claims.GONE for o in outcomes if o.appointment is None)
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1
    assert sorted(WaitlistOffer.objects.values_list("status", flat=True)) == ["claimed"] + ["taken"] * (CLAIMS - 1)


def test_one_link_clicked_ten_times_at_once_books_once(clinic):
    (offer,) = offers_of_one_slot(clinic, 1)
    token = waitlist_offers.offer_token(offer)
    outcomes = race([lambda: waitlist_claims.offer_claim_by_link(token=token) for _ in range(CLAIMS)])
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(1 for o in outcomes if o.appointment is not None) == 1
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1
    assert WaitlistOffer.objects.get().status == OfferStatus.CLAIMED
