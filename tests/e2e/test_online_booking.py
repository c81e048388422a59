"""A patient books online on a 375 px phone, with JavaScript off and on: new patient, returning patient, a
relative finding, an absolute finding and an expired request. Every step leaves a screenshot under
tests/e2e/screenshots/online/."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from clinic.celery import app as celery_app
from patients.models import Patient
from portal.online.models import BookingRequest
from portal.online.requests import booking_request_email_send
from scheduling.models import Appointment, SlotHold
from tests import factories
from tests.e2e.conftest import SCREENSHOTS, TIMEOUT_MS
from treatments.choices import Severity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
SHOTS = SCREENSHOTS / "online"


@pytest.fixture
def online_clinic(monkeypatch):
    monkeypatch.setattr(celery_app, "send_task", lambda *args, **kwargs: None)  # emails are sent by the test
    clinic = factories.build_clinic()
    clinic.location.online_booking = True
    clinic.location.save()
    clinic.prp.online_booking = True
    clinic.prp.save()
    anticoagulant = factories.ConditionFactory(
        code="anticoagulant-therapy", name="Anticoagulant therapy", kind="medication"
    )
    pregnancy = factories.ConditionFactory(code="pregnancy", name="Pregnancy")
    factories.ContraindicationFactory(condition=anticoagulant, therapy_type=clinic.prp, severity=Severity.ABSOLUTE)
    factories.ContraindicationFactory(condition=pregnancy, therapy_type=clinic.prp, severity=Severity.RELATIVE)
    return clinic


class Phone:
    """One visitor's phone: a 375 px wide context, JavaScript on or off; a screenshot at every step."""

    def __init__(self, browser, live_server, *, name: str, javascript: bool):
        self.context = browser.new_context(
            viewport=PHONE, base_url=live_server.url, locale="en-GB", java_script_enabled=javascript
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.name = name
        self.step = 0
        self.javascript = javascript

    def shot(self, what: str) -> None:
        self.step += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{self.name}-{self.step:02d}-{what}.png"), full_page=True)
        header = self.page.locator("header.clinic")
        assert "Main clinic" in header.inner_text() and "Europe/London" in header.inner_text()
        if self.javascript:
            assert self.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.fixture
def phone(browser, live_server, request):
    opened = []

    def open_phone(*, javascript: bool):
        opened.append(
            Phone(browser, live_server, name=request.node.name.replace("[", "-").rstrip("]"), javascript=javascript)
        )
        return opened[-1]

    yield open_phone
    for each in opened:
        each.context.close()


def the_day() -> date:
    """A Wednesday at least three days away: past the 24 hours' notice on any day the suite runs."""
    return factories.future_weekday(2, after_days=3)


def request_a_slot(device: Phone, *, email: str, pregnant: bool = False, anticoagulants: bool = False) -> None:
    page = device.page
    day = the_day()
    page.goto("/book/")
    device.shot("choose")
    page.get_by_label("Treatment", exact=True).select_option(label="PRP")
    page.get_by_label("Location", exact=True).select_option(label="Main clinic")
    page.get_by_role("button", name="Show free times").click()
    page.get_by_role("heading", name="Choose a time").wait_for()
    label = f"{day:%a} {day.day} {day:%b}"
    while not page.get_by_role("link", name=label, exact=True).count():
        page.get_by_role("link", name="Later days").click()
    page.get_by_role("link", name=label, exact=True).click()
    page.get_by_role("heading", name=f"{day:%A} {day.day} {day:%B %Y}").wait_for()
    device.shot("times")
    page.get_by_role("link", name="09:00").first.click()

    page.get_by_role("heading", name="Your details").wait_for()
    device.shot("details")
    page.get_by_role("button", name="Review my request").click()
    assert page.locator(".has-error").count() >= 5  # every missing field says so next to itself
    device.shot("details-errors")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Phone", exact=True).fill("07700 900123")
    page.get_by_label("Date of birth").fill("1985-12-09")
    page.get_by_role("radiogroup", name="Do you currently take anticoagulant therapy?").get_by_label(
        "Yes" if anticoagulants else "No"
    ).check()
    page.get_by_role("radiogroup", name="pregnant").get_by_label("Yes" if pregnant else "No").check()
    page.get_by_label("I have read the privacy notice above and accept it.").check()
    page.get_by_role("button", name="Review my request").click()

    page.get_by_role("heading", name="Check and request").wait_for()
    device.shot("review")
    page.get_by_role("button", name="Request booking").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    device.shot("sent")


def open_the_link(device: Phone) -> None:
    request = BookingRequest.objects.order_by("-pk").first()
    booking_request_email_send(request_id=request.pk)
    message = mail.outbox[-1]
    link = next(line.strip() for line in message.body.splitlines() if "/book/requests/" in line)
    device.page.goto(link[link.index("/book/") :])
    device.page.get_by_role("heading", name="Your booking request").wait_for()
    device.shot("link")


def confirm(device: Phone) -> str:
    device.page.get_by_role("button", name="Confirm my booking").click()
    outcome = device.page.locator(".outcome")
    outcome.wait_for()
    device.shot("outcome")
    return outcome.inner_text()


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_a_new_patient_books_online(online_clinic, phone, javascript):
    device = phone(javascript=javascript)
    request_a_slot(device, email="grace@example.com")
    open_the_link(device)
    assert "booked" in confirm(device)
    appointment = Appointment.objects.get()
    assert appointment.patient.source == "online" and not appointment.on_hold


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_a_returning_patient_books_online(online_clinic, phone, javascript):
    known = factories.PatientFactory(
        first_name="Grace", last_name="Hopper", email="grace@example.com", date_of_birth=date(1985, 12, 9)
    )
    device = phone(javascript=javascript)
    request_a_slot(device, email="grace@example.com")
    open_the_link(device)
    assert "booked" in confirm(device)
    assert Appointment.objects.get().patient == known
    assert Patient.objects.count() == 1


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_a_relative_finding_is_booked_on_hold(online_clinic, phone, javascript):
    device = phone(javascript=javascript)
    request_a_slot(device, email="grace@example.com", pregnant=True)
    open_the_link(device)
    outcome = confirm(device)
    assert "will confirm" in outcome and "regnan" not in outcome
    assert Appointment.objects.get().on_hold


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_an_absolute_finding_asks_for_a_call(online_clinic, phone, javascript):
    device = phone(javascript=javascript)
    request_a_slot(device, email="grace@example.com", anticoagulants=True)
    open_the_link(device)
    outcome = confirm(device)
    assert "will call you" in outcome and "nticoagulant" not in outcome
    assert not Appointment.objects.exists()
    assert BookingRequest.objects.get().call_back


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_an_expired_request_offers_other_times(online_clinic, phone, javascript):
    device = phone(javascript=javascript)
    request_a_slot(device, email="grace@example.com")
    past = timezone.now() - timedelta(minutes=1)
    BookingRequest.objects.update(expires_at=past)  # the patient came back after the 15 minutes
    SlotHold.objects.update(expires_at=past)
    request = BookingRequest.objects.get()
    device.page.goto(f"/book/requests/{request.secret}/")
    device.shot("link-expired")
    assert "expired" in device.page.locator(".outcome").inner_text()
    assert not device.page.get_by_role("button", name="Confirm my booking").count()
    device.page.get_by_role("link", name="See other times").click()
    device.page.get_by_role("link", name="09:00").first.wait_for()  # the freed time is offered again
    device.shot("other-times")
    assert not Appointment.objects.exists()
