"""The waitlist: freed time offered in join order, the first claim books, later claims and expired offers are
refused, the sweep passes expired offers on, and an offer email is sent once and never for a taken slot."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from care import booking
from scheduling.choices import AppointmentStatus, OfferDelivery, OfferStatus, WaitlistStatus
from scheduling.models import Appointment, FreedTime, WaitlistEntry, WaitlistOffer
from tests.factories import ContraindicationFactory, PatientConditionFactory, PatientFactory, future_weekday, local_time
from treatments.choices import ProductSource
from waitlist import entries as waitlist_entries
from waitlist import matching as waitlist_matching
from waitlist import offers as waitlist_offers

pytestmark = pytest.mark.django_db
MONDAY = 0
LINK = re.compile(r"http://\S+/waitlist/offers/\S+/")


def join(clinic, day, **kwargs):
    kwargs.setdefault("patient", PatientFactory())
    therapy = kwargs.pop("therapy_type", clinic.exosome)
    if therapy.requires_product and "appointment" not in kwargs:
        kwargs.setdefault("product", clinic.plant_product)
    return waitlist_entries.waitlist_entry_create(
        therapy_type=therapy,
        location=clinic.location,
        earliest=kwargs.pop("earliest", day),
        latest=kwargs.pop("latest", day + timedelta(days=7)),
        **kwargs,
    )


@pytest.fixture
def freed(clinic):
    """A Monday 10:00 exosome appointment with practitioner 0, cancelled: its time is free again."""
    day = future_weekday(MONDAY)
    appointment = booking.appointment_book(
        patient=PatientFactory(),
        therapy_type=clinic.exosome,
        product=clinic.plant_product,
        practitioner=clinic.practitioners[0],
        start=local_time(day, 10),
    )
    return day, appointment


def cancel_and_match(appointment) -> list[WaitlistOffer]:
    booking.appointment_cancel(appointment=appointment, reason="ill")
    row = FreedTime.objects.get(reason="cancelled")
    waitlist_matching.freed_time_match(freed_id=row.pk)
    return list(WaitlistOffer.objects.order_by("id"))


def links_in_outbox() -> dict[str, str]:
    return {message.to[0]: LINK.search(message.body).group(0) for message in mail.outbox if "waitlist" in message.body}


def test_a_cancelled_slot_is_offered_to_the_first_three_eligible_entries_in_join_order(clinic, freed):
    day, appointment = freed
    blocked = join(clinic, day)
    ContraindicationFactory(
        condition=PatientConditionFactory(patient=blocked.patient).condition, therapy_type=clinic.exosome
    )
    entries = [join(clinic, day) for _ in range(4)]
    join(clinic, day, weekdays=[2])  # Wednesdays only
    join(clinic, day, practitioner=clinic.practitioners[1])

    offers = cancel_and_match(appointment)

    assert [offer.entry_id for offer in offers] == [entry.pk for entry in entries[:3]]
    assert {offer.start for offer in offers} == {appointment.start}
    assert all(offer.practitioner == clinic.practitioners[0] for offer in offers)
    statuses = dict(WaitlistEntry.objects.values_list("pk", "status"))
    assert [statuses[entry.pk] for entry in entries] == ["offered"] * 3 + ["waiting"]
    assert statuses[blocked.pk] == "waiting"


def test_the_first_claim_books_and_a_second_is_told_the_slot_is_gone(clinic, freed, client):
    day, appointment = freed
    entries = [join(clinic, day) for _ in range(3)]
    cancel_and_match(appointment)
    assert waitlist_offers.offers_dispatch_due() == 3
    urls = links_in_outbox()
    assert len(urls) == 3

    first, second = urls[entries[1].patient.email], urls[entries[0].patient.email]
    page = client.get(first)
    assert page.status_code == 200 and "Book this appointment" in page.content.decode()
    booked = client.post(first, {"answer": "claim"})
    assert booked.status_code == 200 and "Booked" in booked.content.decode()
    late = client.post(second, {"answer": "claim"})
    assert late.status_code == 409
    assert "already been taken" in late.content.decode()
    assert "Keep me on the waiting list" in late.content.decode()

    new = Appointment.objects.get(status=AppointmentStatus.BOOKED)
    assert new.patient == entries[1].patient and new.start == appointment.start
    assert new.reminders.filter(kind="confirmation").exists()  # the usual confirmation follows
    assert sorted(WaitlistOffer.objects.values_list("status", flat=True)) == ["claimed", "taken", "taken"]
    statuses = dict(WaitlistEntry.objects.values_list("pk", "status"))
    assert statuses == {entries[0].pk: "waiting", entries[1].pk: "booked", entries[2].pk: "waiting"}
    # Claiming again changes nothing and says it is already booked.
    again = client.post(first, {"answer": "claim"})
    assert again.status_code == 200 and "already booked" in again.content.decode()
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1


def test_an_expired_offer_books_nothing_and_the_sweep_offers_the_slot_to_the_next_entry(clinic, freed, client):
    day, appointment = freed
    entries = [join(clinic, day) for _ in range(4)]
    cancel_and_match(appointment)
    waitlist_offers.offers_dispatch_due()
    url = links_in_outbox()[entries[0].patient.email]
    WaitlistOffer.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    refused = client.post(url, {"answer": "claim"})
    assert refused.status_code == 409 and "expired" in refused.content.decode()
    assert not Appointment.objects.filter(status=AppointmentStatus.BOOKED).exists()

    counts = waitlist_offers.waitlist_sweep()
    assert counts["offers_expired"] == 2  # the third; the first was expired by its own claim
    fresh = WaitlistOffer.objects.filter(status=OfferStatus.SENT)
    assert [offer.entry_id for offer in fresh] == [entries[3].pk]
    assert fresh.get().delivery == OfferDelivery.DELIVERED  # the sweep sent its email too
    # The same slot is never offered twice to one entry, though they wait again.
    assert WaitlistOffer.objects.filter(entry=entries[0]).count() == 1
    assert WaitlistEntry.objects.get(pk=entries[0].pk).status == WaitlistStatus.WAITING


def test_no_offer_email_goes_out_for_a_slot_booked_meanwhile(clinic, freed):
    day, appointment = freed
    entry = join(clinic, day)
    cancel_and_match(appointment)
    booking.appointment_book(
        patient=PatientFactory(),
        therapy_type=clinic.exosome,
        product=clinic.plant_product,
        practitioner=clinic.practitioners[0],
        start=appointment.start,
    )
    waitlist_offers.offers_dispatch_due()
    assert mail.outbox == [] or all("waitlist" not in m.body for m in mail.outbox)
    offer = WaitlistOffer.objects.get()
    assert (offer.status, offer.delivery) == (OfferStatus.TAKEN, OfferDelivery.CANCELLED)
    assert WaitlistEntry.objects.get(pk=entry.pk).status == WaitlistStatus.WAITING


def test_an_offer_email_is_sent_once_with_a_stable_message_id(clinic, freed):
    day, appointment = freed
    join(clinic, day)
    cancel_and_match(appointment)
    offer = WaitlistOffer.objects.get()
    assert waitlist_offers.offer_send(offer_id=offer.pk) is True
    assert waitlist_offers.offer_send(offer_id=offer.pk) is False
    assert waitlist_offers.offers_dispatch_due() == 0
    sent = [m for m in mail.outbox if m.extra_headers.get("Message-ID") == waitlist_offers.offer_message_id(offer)]
    assert len(sent) == 1


def test_a_tampered_offer_link_changes_nothing(clinic, freed, client):
    day, appointment = freed
    join(clinic, day)
    cancel_and_match(appointment)
    waitlist_offers.offers_dispatch_due()
    url = next(iter(links_in_outbox().values()))
    answer = client.post(url[:-3] + "xx/", {"answer": "claim"})
    assert answer.status_code == 400 and "not valid" in answer.content.decode()
    assert not Appointment.objects.filter(status=AppointmentStatus.BOOKED).exists()


def test_keep_me_on_the_list_and_take_me_off(clinic, freed, client):
    day, appointment = freed
    entry = join(clinic, day)
    cancel_and_match(appointment)
    waitlist_offers.offers_dispatch_due()
    url = links_in_outbox()[entry.patient.email]
    WaitlistOffer.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.post(url, {"answer": "claim"})
    kept = client.post(url, {"answer": "keep"})
    assert "still on the waiting list" in kept.content.decode()
    assert WaitlistEntry.objects.get(pk=entry.pk).status == WaitlistStatus.WAITING
    left = client.post(url, {"answer": "leave"})
    assert "no longer on the waiting list" in left.content.decode()
    assert WaitlistEntry.objects.get(pk=entry.pk).status == WaitlistStatus.REMOVED


def test_a_moved_appointment_frees_its_old_time_for_the_waitlist(clinic, freed):
    day, appointment = freed
    entry = join(clinic, day)
    booking.appointment_reschedule(appointment=appointment, start=local_time(day, 14))
    waitlist_matching.freed_time_match(freed_id=FreedTime.objects.get(reason="moved").pk)
    offer = WaitlistOffer.objects.get()
    assert (offer.entry_id, offer.start) == (entry.pk, local_time(day, 10))


def test_a_rule_on_the_product_source_keeps_the_entry_from_offers(clinic, freed):
    day, appointment = freed
    allergic = join(clinic, day, product=clinic.fish_product)
    ContraindicationFactory(
        condition=PatientConditionFactory(patient=allergic.patient).condition,
        therapy_type=None,
        product_source=ProductSource.FISH,
    )
    plant = join(clinic, day, patient=allergic.patient, therapy_type=clinic.prp)  # the same patient, no fish
    other = join(clinic, day)

    offers = cancel_and_match(appointment)

    assert [offer.entry_id for offer in offers] == [plant.pk, other.pk]
