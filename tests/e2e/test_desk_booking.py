"""Booking from the grid chooses nothing for the desk (issue 23, item 8): after clicking an empty time, no therapy
and no product is selected and Confirm does not show until the receptionist has chosen them, except when the
practitioner gives one therapy only."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from scheduling.models import Appointment
from tests import factories
from tests.e2e.conftest import DESKTOP, NARROW, SCREENSHOTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk_user():
    return factories.front_desk_user(username="desk")


def open_day(page, day):
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    page.get_by_label("Date", exact=True).dispatch_event("change")
    expect(page.locator(".day-head").first).to_have_attribute("data-date", day.isoformat())


def click_time(page, day, practitioner, minutes):
    page.locator(
        f'.lane[data-date="{day.isoformat()}"][data-resource="{practitioner.id}"] .cell[data-minutes="{minutes}"]'
    ).click()


def choose_patient(page, last_name, full_name):
    page.get_by_label("Find the patient").fill(last_name)
    page.get_by_role("button", name=f"Choose {full_name}").click()


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["1280", "820"])
def test_an_empty_time_preselects_no_therapy_or_product(new_page, clinic, desk_user, viewport):
    monday = factories.future_weekday(0)
    patient = factories.PatientFactory(first_name="Rosalind", last_name="Franklin")
    width = "1280" if viewport == DESKTOP else "820"
    page = new_page(viewport)
    log_in(page, "desk", factories.PASSWORD)
    open_day(page, monday)

    click_time(page, monday, clinic.practitioners[0], 600)
    choose_patient(page, "Franklin", "Rosalind Franklin")
    expect(page.get_by_label(clinic.prp.name, exact=True)).not_to_be_checked()
    expect(page.get_by_label(clinic.exosome.name, exact=True)).not_to_be_checked()
    expect(page.get_by_role("button", name="Confirm booking")).to_be_hidden()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"desk-book-nothing-chosen-{width}.png"), full_page=True)

    page.get_by_label(clinic.exosome.name, exact=True).check()
    expect(page.get_by_label("Product")).to_have_value("")
    expect(page.get_by_role("button", name="Confirm booking")).to_be_hidden()
    page.get_by_label("Product").select_option(label="Fish exosomes (fish)")
    expect(page.get_by_role("button", name="Confirm booking")).to_be_visible()
    expect(page.locator("#confirm-text")).to_contain_text("Exosome")
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.locator("#flash")).to_contain_text("Booked: Rosalind Franklin")
    booked = Appointment.objects.get(patient=patient)
    assert booked.therapy_type == clinic.exosome
    assert booked.product == clinic.fish_product
    assert booked.start == factories.local_time(monday, 10)


def test_a_practitioner_giving_one_therapy_has_it_chosen(new_page, clinic, desk_user):
    monday = factories.future_weekday(0) + timedelta(days=7)
    only_prp = clinic.practitioners[1]
    only_prp.therapy_types.set([clinic.prp])
    factories.PatientFactory(first_name="Dorothy", last_name="Hodgkin")
    page = new_page()
    log_in(page, "desk", factories.PASSWORD)
    open_day(page, monday)

    click_time(page, monday, only_prp, 660)
    choose_patient(page, "Hodgkin", "Dorothy Hodgkin")
    expect(page.get_by_label(clinic.prp.name, exact=True)).to_be_checked()
    expect(page.get_by_label(clinic.exosome.name, exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Confirm booking")).to_be_visible()
