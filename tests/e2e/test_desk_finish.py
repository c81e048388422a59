"""Fit and finish of the desk (issue 23, item 10): a week of two practitioners fits 1280 px, a 45-minute card shows
its room and "On hold", the day opens at its earliest patient, the dialog and the printed list carry the phone,
cards are coloured by therapy, the week's lanes name their practitioners, and the centrifuge can be a lane."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import DESKTOP, NARROW, SCREENSHOTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk_user():
    return factories.front_desk_user(username="desk")


def visit(clinic, patient, start, minutes, practitioner=0, **extra):
    return factories.AppointmentFactory(
        patient=patient,
        practitioner=clinic.practitioners[practitioner],
        location=clinic.location,
        room=clinic.rooms[practitioner],
        device=clinic.centrifuge if practitioner == 0 else None,
        therapy_type=clinic.prp if practitioner == 0 else clinic.exosome,
        start=start,
        end=start + timedelta(minutes=minutes),
        **extra,
    )


def open_day(page, day):
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    page.get_by_label("Date", exact=True).dispatch_event("change")
    expect(page.locator(".day-head").first).to_have_attribute("data-date", day.isoformat())


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["1280", "820"])
def test_the_desk_fits_and_says_what_a_receptionist_needs(new_page, clinic, desk_user, viewport):
    monday = factories.future_weekday(0)
    width = "1280" if viewport == DESKTOP else "820"
    ada = factories.PatientFactory(first_name="Ada", last_name="Byron", phone="+447700900321")
    grace = factories.PatientFactory(first_name="Grace", last_name="Hopper", phone="")
    for practitioner, name in zip(clinic.practitioners, ("Dr Amara Okafor", "Dr Tom Reid"), strict=False):
        practitioner.display_name = name
        practitioner.save(update_fields=["display_name"])
    held = visit(clinic, ada, factories.local_time(monday, 15, 15), 45, practitioner=1, on_hold=True)
    spun = visit(clinic, grace, factories.local_time(monday, 16), 60, practitioner=0)
    page = new_page(viewport)
    log_in(page, "desk", factories.PASSWORD)
    open_day(page, monday)

    # The day opens at its earliest patient (15:15), not at 09:00 with everything below the fold.
    card = page.locator(f'.card[data-appointment="{held.id}"]')
    expect(card).to_be_in_viewport()
    assert page.locator("#day-grid").evaluate("el => el.scrollTop") > 0
    # A 45-minute card shows its room and "On hold" inside its own box.
    badge = card.locator(".badge-hold")
    expect(badge).to_have_text("On hold")
    expect(card.locator(".card-where")).to_contain_text(clinic.rooms[1].name)
    box, badge_box, where_box = card.bounding_box(), badge.bounding_box(), card.locator(".card-where").bounding_box()
    assert badge_box["y"] + badge_box["height"] <= box["y"] + box["height"] + 1
    assert where_box["y"] + where_box["height"] <= box["y"] + box["height"] + 1
    # Cards carry their therapy's colour, which the legend names.
    assert "therapy-" in card.get_attribute("class")
    assert card.get_attribute("class") != page.locator(f'.card[data-appointment="{spun.id}"]').get_attribute("class")
    expect(page.locator("#therapy-legend")).to_contain_text(clinic.exosome.name)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"desk-finish-day-{width}.png"), full_page=True)

    # The dialog and the printed day list carry the phone number.
    card.click()
    expect(page.locator("#appointment-details")).to_contain_text("+447700900321")
    page.keyboard.press("Escape")
    expect(page.locator("#print-list")).to_contain_text("+447700900321", use_inner_text=False)

    # The centrifuge as a lane: the PRP visit that uses it is in it.
    page.get_by_label("Devices").check()
    expect(page.locator(".col-head").first).to_have_text(clinic.centrifuge.name)
    expect(page.locator(f'.lane[data-key="device"] .card[data-appointment="{spun.id}"]')).to_be_attached()
    page.get_by_label("Practitioners").check()

    # A week of two practitioners, Monday to Friday, fits 1280 px without scrolling sideways.
    page.get_by_role("button", name="Week").click()
    expect(page.locator(".day-head")).to_have_count(5)
    if viewport == DESKTOP:
        grid = page.locator("#day-grid")
        assert grid.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), "the week scrolls sideways"
        friday = page.locator(f'.day-head[data-date="{(monday + timedelta(days=4)).isoformat()}"]')
        expect(friday).to_be_in_viewport()
    # Each narrow lane still says whose it is: initial and surname, the whole name on hover, nothing cut off.
    heads = page.locator(".col-head")
    expect(heads).to_have_text(["A. Okafor", "T. Reid"] * 5)
    expect(heads.first).to_have_attribute("title", "Dr Amara Okafor")
    if viewport == DESKTOP:
        assert heads.evaluate_all("els => els.every((el) => el.scrollWidth <= el.clientWidth + 1)"), "a name is cut"
        # The 45-minute held card in its narrow lane: its mark and its patient both inside the card; the hour-long
        # card shows its patient too.
        box = card.bounding_box()
        for part in (card.locator(".badge-hold"), card.locator(".card-patient")):
            part_box = part.bounding_box()
            assert part_box["y"] + part_box["height"] <= box["y"] + box["height"] + 1, part.inner_text()
        expect(page.locator(f'.card[data-appointment="{spun.id}"] .card-patient')).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / f"desk-finish-week-{width}.png"), full_page=True)
