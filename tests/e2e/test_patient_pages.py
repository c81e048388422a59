"""The patient's own pages in a real browser (Chromium) with JavaScript switched off: claiming a waitlist offer and
answering the pre-visit health questionnaire are plain links and forms."""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from care import booking
from messaging.emails import appointment_link_url
from patients.choices import ConditionSource
from patients.models import PatientCondition
from scheduling.choices import AppointmentStatus, OfferStatus, WaitlistStatus
from scheduling.models import Appointment, FreedTime, WaitlistEntry, WaitlistOffer
from tests import factories
from tests.e2e.conftest import SCREENSHOTS, TIMEOUT_MS
from tests.factories import PatientFactory, future_weekday, local_time
from waitlist import entries as waitlist_entries
from waitlist import matching as waitlist_matching
from waitlist import offers as waitlist_offers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MONDAY = 0


@pytest.fixture
def patient_page(browser, live_server, request):
    """A fresh browser context per patient (their own phone), with JavaScript disabled."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=live_server.url, locale="en-GB", java_script_enabled=False)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    SCREENSHOTS.mkdir(exist_ok=True)
    for number, context in enumerate(contexts, start=1):
        for page in context.pages:
            page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-{number}.png"), full_page=True)
        context.close()


def offer_path(offer: WaitlistOffer) -> str:
    return reverse("waitlist-offer", kwargs={"token": waitlist_offers.offer_token(offer)})


def test_two_patients_claim_one_offered_slot_the_second_is_told_it_is_gone(clinic, patient_page):
    day = future_weekday(MONDAY)
    cancelled = booking.appointment_book(
        patient=PatientFactory(),
        therapy_type=clinic.exosome,
        product=clinic.plant_product,
        practitioner=clinic.practitioners[0],
        start=local_time(day, 10),
    )
    entries = [
        waitlist_entries.waitlist_entry_create(
            patient=PatientFactory(first_name=name),
            therapy_type=clinic.exosome,
            product=clinic.plant_product,
            location=clinic.location,
            earliest=day,
            latest=day,
        )
        for name in ("Ada", "Grace")
    ]
    booking.appointment_cancel(appointment=cancelled, reason="ill")
    waitlist_matching.freed_time_match(freed_id=FreedTime.objects.get().pk)
    assert waitlist_offers.offers_dispatch_due() == 2
    first, second = (WaitlistOffer.objects.get(entry=entry) for entry in entries)

    ada = patient_page()
    ada.goto(offer_path(second))
    expect(ada.get_by_text(f"{clinic.exosome.name} with {clinic.practitioners[0].display_name}")).to_be_visible()
    expect(ada.get_by_text("10:00")).to_be_visible()
    grace = patient_page()
    grace.goto(offer_path(first))

    ada.get_by_role("button", name="Book this appointment").click()
    expect(ada.get_by_text("We have sent you an email confirming the booking.")).to_be_visible()
    grace.get_by_role("button", name="Book this appointment").click()
    expect(grace.get_by_text("already been taken")).to_be_visible()
    grace.get_by_role("button", name="Keep me on the waiting list").click()
    expect(grace.get_by_text("You are still on the waiting list")).to_be_visible()

    booked = Appointment.objects.get(status=AppointmentStatus.BOOKED)
    assert (booked.patient_id, booked.start) == (entries[1].patient_id, cancelled.start)
    assert dict(WaitlistOffer.objects.values_list("pk", "status")) == {
        first.pk: OfferStatus.TAKEN,
        second.pk: OfferStatus.CLAIMED,
    }
    assert WaitlistEntry.objects.get(pk=entries[0].pk).status == WaitlistStatus.WAITING


def test_the_questionnaire_is_a_plain_form_whose_blood_thinner_holds_the_prp_visit(clinic, patient_page):
    thinner = factories.ConditionFactory(code="anticoagulant-therapy", name="Anticoagulant therapy", kind="medication")
    factories.ContraindicationFactory(condition=thinner, therapy_type=clinic.prp)
    appointment = booking.appointment_book(
        patient=PatientFactory(),
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[0],
        start=local_time(future_weekday(MONDAY, after_days=3), 10),
    )
    page = patient_page()
    page.goto(urlsplit(appointment_link_url(appointment, action="questionnaire")).path)

    page.get_by_label("Anticoagulant therapy").check()
    page.get_by_label("Any other medicines, conditions or allergies (optional)").fill("Fish oil capsules")
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_text("The clinic will contact you")).to_be_visible()
    expect(page.get_by_text("contraindication")).to_have_count(0)
    record = PatientCondition.objects.get(patient=appointment.patient, condition=thinner)
    assert (record.source, record.verified, record.active) == (ConditionSource.PATIENT, False, True)
    assert Appointment.objects.get(pk=appointment.pk).on_hold  # the PRP visit waits for a practitioner
