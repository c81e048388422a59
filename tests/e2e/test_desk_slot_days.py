"""The slot finder shows the whole of each day (issue 23, item 4): a strip of days with their free starts, and every
free start of the chosen day grouped into morning, afternoon and evening."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from scheduling.models import Appointment
from tests import factories
from tests.e2e.conftest import DESKTOP, NARROW, SCREENSHOTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clinic_daytime")]


@pytest.fixture
def desk_user():
    return factories.front_desk_user(username="desk")


def day_button(page, day):
    return page.locator(f'#slot-days .day-choice[data-date="{day.isoformat()}"]')


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["1280", "820"])
def test_a_free_afternoon_start_of_a_later_day_is_reachable_and_bookable(new_page, clinic, desk_user, viewport):
    wednesday = factories.future_weekday(2, after_days=7)
    thursday = wednesday + timedelta(days=1)
    # Wednesday morning the only centrifuge is in use: PRP can start from 12:15 (its 15-minute buffer) to 16:00.
    factories.AppointmentFactory(
        practitioner=clinic.practitioners[0],
        location=clinic.location,
        room=clinic.rooms[0],
        device=clinic.centrifuge,
        therapy_type=clinic.prp,
        start=factories.local_time(wednesday, 9),
        end=factories.local_time(wednesday, 12),
    )
    # Thursday both practitioners are busy all day.
    for practitioner, room in zip(clinic.practitioners, clinic.rooms, strict=True):
        factories.AppointmentFactory(
            practitioner=practitioner,
            location=clinic.location,
            room=room,
            therapy_type=clinic.exosome,
            start=factories.local_time(thursday, 9),
            end=factories.local_time(thursday, 17),
        )
    patient = factories.PatientFactory(first_name="Lise", last_name="Meitner")
    page = new_page(viewport)
    log_in(page, "desk", factories.PASSWORD)
    page.get_by_label("Find a patient (name, email, phone or date of birth)").fill("Meitner")
    page.get_by_role("button", name="Book for Lise Meitner").click()
    page.get_by_label(clinic.prp.name, exact=True).check()
    page.get_by_role("button", name="Find free slots").click()

    strip = page.get_by_role("group", name="Free starts per day")
    expect(strip.get_by_role("button")).to_have_count(14)
    # The first day with a free start is chosen for the desk.
    first_open = strip.locator(".day-choice:not([disabled])").first
    expect(first_open).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#slots .slot").first).to_be_visible()
    expect(day_button(page, thursday)).to_have_text(f"{thursday:%a} {thursday.day} · 0 free")
    expect(day_button(page, thursday)).to_be_disabled()
    saturday = wednesday + timedelta(days=3)
    expect(day_button(page, saturday)).to_be_disabled()

    wednesday_button = strip.get_by_role("button", name=f"{wednesday:%a} {wednesday.day} · 16 free", exact=True)
    wednesday_button.click()
    expect(wednesday_button).to_have_attribute("aria-pressed", "true")
    expect(strip.locator('[aria-pressed="true"]')).to_have_count(1)
    afternoon = page.get_by_role("group", name=re.compile(r"^Afternoon, Wednesday"))
    expect(afternoon).to_be_visible()
    expect(page.get_by_role("group", name=re.compile(r"^Morning"))).to_have_count(0)
    second = clinic.practitioners[1].display_name
    # Every start, the last one included: 12:15 to 16:00 for each practitioner, no "later slots" to ask for.
    expect(afternoon.locator(".slot")).to_have_count(32)
    late = afternoon.get_by_role("button", name=f"16:00 {second} · ", exact=False)
    expect(late).to_be_visible()
    width = "1280" if viewport == DESKTOP else "820"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"desk-slot-days-{width}.png"), full_page=True)

    late.click()
    expect(page.locator("#confirm-text")).to_contain_text("at 16:00")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.locator("#flash")).to_contain_text("Booked: Lise Meitner")
    booked = Appointment.objects.get(patient=patient)
    assert booked.start == factories.local_time(wednesday, 16)
    assert booked.practitioner == clinic.practitioners[1]
