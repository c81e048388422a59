"""The desk's Day and Week grid in Chromium: views, booking from empty time, dragging cards, live refresh, print."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from scheduling.models import Appointment, LocationClosure
from tests import factories
from tests.e2e.conftest import DESKTOP, NARROW, SCREENSHOTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk_user():
    return factories.front_desk_user(username="desk")


def book(clinic, patient, day, hour, minute=0, practitioner=0, **extra):
    start = factories.local_time(day, hour, minute)
    return factories.AppointmentFactory(
        patient=patient,
        practitioner=clinic.practitioners[practitioner],
        location=clinic.location,
        room=clinic.rooms[practitioner],
        device=clinic.centrifuge if practitioner == 0 else None,
        therapy_type=clinic.prp if practitioner == 0 else clinic.exosome,
        start=start,
        end=start + timedelta(minutes=60 if practitioner == 0 else 45),
        **extra,
    )


def show_day(page, day):
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    page.get_by_label("Date", exact=True).dispatch_event("change")
    expect(page.locator(".day-head").first).to_have_attribute("data-date", day.isoformat())


def card_of(page, appointment):
    return page.locator(f'.card[data-appointment="{appointment.id}"]')


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["1280", "820"])
def test_week_view_shows_each_day_per_practitioner_and_per_room(new_page, clinic, desk_user, viewport):
    monday = factories.future_weekday(0)
    ada = factories.PatientFactory(first_name="Ada", last_name="Lovelace")
    grace = factories.PatientFactory(first_name="Grace", last_name="Hopper")
    on_monday = book(clinic, ada, monday, 10)
    on_thursday = book(clinic, grace, monday + timedelta(days=3), 14, practitioner=1)
    page = new_page(viewport)
    log_in(page, "desk", factories.PASSWORD)
    show_day(page, monday)
    expect(page.get_by_role("button", name="Day")).to_have_attribute("aria-pressed", "true")
    expect(card_of(page, on_monday)).to_contain_text("Ada Lovelace")
    expect(card_of(page, on_thursday)).to_have_count(0)
    width = "1280" if viewport == DESKTOP else "820"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"desk-day-{width}.png"), full_page=True)

    page.get_by_role("button", name="Week").click()
    expect(page.get_by_role("button", name="Week")).to_have_attribute("aria-pressed", "true")
    # Monday to Friday: nobody works at the weekend, so those days are left out (the title says so).
    expect(page.locator(".day-head")).to_have_count(5)
    expect(page.locator(".day-head").first).to_have_attribute("data-date", monday.isoformat())
    expect(page.locator(".col-head")).to_have_count(10)
    expect(page.locator("#day-title")).to_contain_text("not shown: Sat")
    expect(card_of(page, on_monday)).to_contain_text("Ada Lovelace")
    thursday = page.locator(
        f'.lane[data-date="{(monday + timedelta(days=3)).isoformat()}"]'
        f'[data-key="practitioner"][data-resource="{clinic.practitioners[1].id}"]'
    )
    expect(thursday.locator(".card")).to_contain_text("Grace Hopper")
    expect(thursday.locator(".card")).to_contain_text("14:00")
    page.screenshot(path=str(SCREENSHOTS / f"desk-week-{width}.png"), full_page=True)

    page.get_by_label("Rooms").check()
    expect(page.locator(".col-head").first).to_have_text("Room A")
    expect(page.locator(f'.lane[data-key="room"][data-resource="{clinic.rooms[1].id}"] .card')).to_contain_text(
        "Grace Hopper"
    )
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator(".day-head").first).to_have_attribute("data-date", (monday + timedelta(days=7)).isoformat())
    expect(page.locator(".card")).to_have_count(0)


def test_click_on_empty_time_books_there_by_keyboard(new_page, clinic, desk_user):
    monday = factories.future_weekday(0)
    patient = factories.PatientFactory(first_name="Mary", last_name="Somerville")
    page = new_page()
    log_in(page, "desk", factories.PASSWORD)
    show_day(page, monday)
    lane = page.locator(f'.lane[data-date="{monday.isoformat()}"][data-resource="{clinic.practitioners[1].id}"]')
    # Keyboard only: into the grid's one tab stop, across to the second practitioner, down to 11:00, Enter.
    page.locator(".cell[tabindex='0']").focus()
    page.keyboard.press("ArrowRight")
    for _ in range(8):  # 09:00 (the practitioners' first hour) + 8 x 15 minutes
        page.keyboard.press("ArrowDown")
    expect(lane.locator('.cell[data-minutes="660"]')).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#booking-at")).to_contain_text("11:00")
    expect(page.locator("#booking-at")).to_contain_text(clinic.practitioners[1].display_name)
    page.get_by_label("Find the patient").fill("Somerville")
    page.get_by_role("button", name="Choose Mary Somerville").click()
    page.get_by_label(clinic.exosome.name, exact=True).check()
    page.get_by_label("Product").select_option(label="Plant exosomes (plant)")
    expect(page.get_by_role("button", name="Confirm booking")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#flash")).to_contain_text("Booked: Mary Somerville")
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.start == factories.local_time(monday, 11)
    assert appointment.practitioner == clinic.practitioners[1]
    expect(lane.locator(f'.card[data-appointment="{appointment.id}"]')).to_contain_text("Mary Somerville")


def drag(page, card, lane, minutes):
    """Drag a card by its top edge to a lane's time (the grid starts at its data-first minute, 1.4 px a minute)."""
    box = card.bounding_box()
    target = lane.bounding_box()
    first = int(page.locator(".grid-body").get_attribute("data-first"))
    page.mouse.move(box["x"] + 10, box["y"] + 3)
    page.mouse.down()
    page.mouse.move(box["x"] + 20, box["y"] + 20, steps=3)
    page.mouse.move(target["x"] + 10, target["y"] + (minutes - first) * 1.4 + 3, steps=8)
    page.mouse.up()


def test_drag_a_card_to_another_time_and_practitioner_and_a_refused_drop_returns(
    new_page, clinic, desk_user, page_problems
):
    monday = factories.future_weekday(0)
    moving = book(clinic, factories.PatientFactory(first_name="Hedy", last_name="Lamarr"), monday, 10)
    blocker = book(clinic, factories.PatientFactory(first_name="Lise", last_name="Meitner"), monday, 13, practitioner=1)
    page = new_page()
    log_in(page, "desk", factories.PASSWORD)
    show_day(page, monday)
    second = page.locator(f'.lane[data-date="{monday.isoformat()}"][data-resource="{clinic.practitioners[1].id}"]')

    drag(page, card_of(page, moving), second, 11 * 60)
    expect(page.locator("#grid-message")).to_contain_text("Moved Hedy Lamarr")
    expect(second.locator(f'.card[data-appointment="{moving.id}"]')).to_contain_text("11:00")
    moving.refresh_from_db()
    assert moving.start == factories.local_time(monday, 11)
    assert moving.practitioner == clinic.practitioners[1]

    # Onto Lise Meitner's hour with the same practitioner: the server refuses, the sentence is shown, the card returns.
    drag(page, card_of(page, moving), second, 13 * 60)
    expect(page.locator("#grid-message")).to_contain_text("Hedy Lamarr was not moved")
    expect(second.locator(f'.card[data-appointment="{moving.id}"]')).to_contain_text("11:00")
    moving.refresh_from_db()
    assert moving.start == factories.local_time(monday, 11)
    assert blocker.start == factories.local_time(monday, 13)
    assert [r.split(" ")[0] for r in page_problems.refusals] == ["409"]
    page_problems.refusals.clear()


def test_a_second_desk_sees_a_booking_without_reloading(new_page, clinic, desk_user):
    factories.front_desk_user(username="desk2")
    monday = factories.future_weekday(0)
    desk_two = new_page()
    log_in(desk_two, "desk2", factories.PASSWORD)
    show_day(desk_two, monday)
    expect(desk_two.locator(".card")).to_have_count(0)

    appointment = book(clinic, factories.PatientFactory(first_name="Alan", last_name="Turing"), monday, 9)
    expect(card_of(desk_two, appointment)).to_contain_text("Alan Turing", timeout=30_000)


def test_print_view_lists_the_day_one_practitioner_per_page(new_page, clinic, desk_user):
    monday = factories.future_weekday(0)
    # 09:30 in London in summer or winter alike: the list says the location's time, whatever the browser's zone.
    book(clinic, factories.PatientFactory(first_name="Emmy", last_name="Noether"), monday, 9, 30)
    book(clinic, factories.PatientFactory(first_name="Marie", last_name="Curie"), monday, 15, practitioner=1)
    page = new_page()
    log_in(page, "desk", factories.PASSWORD)
    show_day(page, monday)
    expect(page.locator("#print-list")).to_be_hidden()

    page.emulate_media(media="print")
    pages = page.locator(".print-page")
    expect(pages).to_have_count(2)
    expect(pages.nth(0)).to_be_visible()
    expect(pages.nth(0)).to_contain_text(clinic.practitioners[0].display_name)
    expect(pages.nth(0)).to_contain_text("09:30")
    expect(pages.nth(0)).to_contain_text("Emmy Noether")
    expect(pages.nth(0)).not_to_contain_text("Marie Curie")
    expect(pages.nth(1)).to_contain_text("15:00")
    expect(pages.nth(1)).to_contain_text("times in Europe/London")
    expect(page.locator("#day-grid")).to_be_hidden()
    assert pages.nth(0).evaluate("el => getComputedStyle(el).breakAfter") == "page"
    page.pdf(path=str(SCREENSHOTS / "desk-day-list.pdf"))


def test_a_closed_day_is_shown_closed_and_offers_no_empty_time(new_page, clinic, desk_user):
    monday = factories.future_weekday(0)
    wednesday = monday + timedelta(days=2)
    LocationClosure.objects.create(location=clinic.location, date=wednesday, name="Refit")
    page = new_page()
    log_in(page, "desk", factories.PASSWORD)
    show_day(page, monday)
    page.get_by_role("button", name="Week").click()

    # The week leaves the closed day out and says so; the day itself shows it closed, with no empty time.
    expect(page.locator(".day-head")).to_have_count(4)
    expect(page.locator(f'.day-head[data-date="{wednesday.isoformat()}"]')).to_have_count(0)
    expect(page.locator("#day-title")).to_contain_text("not shown: Wed")
    expect(page.locator(f'.lane[data-date="{monday.isoformat()}"] .cell').first).to_be_attached()
    page.get_by_role("button", name="Day").click()
    show_day(page, wednesday)
    expect(page.locator(f'.day-head[data-date="{wednesday.isoformat()}"]')).to_contain_text("Closed: Refit")
    closed = page.locator(f'.lane[data-date="{wednesday.isoformat()}"]')
    expect(closed).to_have_count(2)
    expect(closed.locator(".cell")).to_have_count(0)
