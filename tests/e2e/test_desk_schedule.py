"""The grid shows what can be booked before anyone clicks (issue 23, item 3): time outside working hours and time
off is shaded and offers no empty time, the grid spans the practitioners' hours (evening hours too), and the week
leaves out the days nobody works."""

from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from scheduling.models import WorkingHours
from tests import factories
from tests.e2e.conftest import DESKTOP, NARROW, SCREENSHOTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk_user():
    return factories.front_desk_user(username="desk")


def lane(page, day, practitioner):
    return page.locator(
        f'.lane[data-date="{day.isoformat()}"][data-key="practitioner"][data-resource="{practitioner.id}"]'
    )


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["1280", "820"])
def test_time_that_cannot_be_booked_is_shaded_and_the_grid_spans_the_working_hours(
    new_page, clinic, desk_user, viewport
):
    monday = factories.future_weekday(0)
    early, late = clinic.practitioners
    # The second practitioner works Monday evenings: 12:00-20:00.
    WorkingHours.objects.filter(practitioner=late, weekday=0).update(start_time=time(12), end_time=time(20))
    factories.TimeOffFactory(
        practitioner=early, start=factories.local_time(monday, 13), end=factories.local_time(monday, 15)
    )
    width = "1280" if viewport == DESKTOP else "820"
    page = new_page(viewport)
    log_in(page, "desk", factories.PASSWORD)
    page.get_by_label("Date", exact=True).fill(monday.isoformat())
    page.get_by_label("Date", exact=True).dispatch_event("change")
    expect(page.locator(".day-head").first).to_have_attribute("data-date", monday.isoformat())

    first, second = lane(page, monday, early), lane(page, monday, late)
    # 09:00 (the earliest anyone works) to 20:00 (the latest): nothing at 08:00, evening times can be clicked.
    assert page.locator(".grid-body").get_attribute("data-first") == str(9 * 60)
    assert page.locator(".grid-body").get_attribute("data-last") == str(20 * 60)
    expect(second.locator('.cell[data-minutes="1155"]')).to_be_attached()  # 19:15
    expect(second.locator('.cell[data-minutes="540"]')).to_have_count(0)  # 09:00, before the evening shift
    expect(first.locator('.cell[data-minutes="540"]')).to_be_attached()
    expect(first.locator('.cell[data-minutes="1020"]')).to_have_count(0)  # 17:00, after hours
    expect(first.locator('.cell[data-minutes="780"]')).to_have_count(0)  # 13:00, time off
    expect(first.locator('.cell[data-minutes="900"]')).to_be_attached()  # 15:00, back
    expect(first.locator(".off.time-off")).to_contain_text("Time off")
    expect(first.locator(".off.outside")).to_have_count(1)  # 17:00-20:00 (the grid starts at 09:00)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"desk-schedule-day-{width}.png"), full_page=True)

    page.get_by_role("button", name="Week").click()
    expect(page.locator(".day-head")).to_have_count(5)
    saturday = monday + timedelta(days=5)
    expect(page.locator(f'.day-head[data-date="{saturday.isoformat()}"]')).to_have_count(0)
    expect(page.locator("#day-title")).to_contain_text("not shown: Sat")
    page.screenshot(path=str(SCREENSHOTS / f"desk-schedule-week-{width}.png"), full_page=True)
