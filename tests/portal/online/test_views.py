"""The /book/ pages without a browser: every step answers, bad input is a 400 page with the error beside its field,
the forms need their CSRF token, the link's page acts only on POST."""

import pytest
from django.test import Client

from portal.online.models import BookingRequest
from scheduling.models import SlotHold
from tests.portal.online.conftest import link_from_email, send_emails

pytestmark = pytest.mark.django_db


def details_query(online) -> dict:
    return {"therapy_type": online.prp.pk, "location": online.location.pk, "start": online.nine.isoformat()}


def filled(online, **overrides) -> dict:
    form = {
        **details_query(online),
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@example.com",
        "phone": "07700 900123",
        "date_of_birth": "1985-12-09",
        "q_anticoagulant-therapy": "no",
        "q_pregnancy": "no",
        "privacy": "on",
        "step": "review",
    }
    form.update(overrides)
    return form


def test_every_page_names_the_clinic_and_the_time_zone(online, client):
    for path, params in (
        ("/book/", {}),
        ("/book/times/", {"therapy_type": online.prp.pk, "location": online.location.pk}),
        ("/book/details/", details_query(online)),
        ("/book/sent/", {}),
    ):
        page = client.get(path, params)
        assert page.status_code == 200, path
        assert b"Main clinic" in page.content and b"Europe/London" in page.content, path
        assert b"<script" not in page.content
        assert (
            "script-src" in page["Content-Security-Policy"]
            and "unsafe-inline" not in page["Content-Security-Policy"].split("script-src")[1].split(";")[0]
        )


def test_the_times_page_lists_the_chosen_days_times(online, client):
    page = client.get(
        "/book/times/",
        {"therapy_type": online.prp.pk, "location": online.location.pk, "date": online.day.isoformat()},
    )
    assert b">09:00</a>" in page.content and b"room" not in page.content.lower()


@pytest.mark.parametrize(
    "params",
    [{"therapy_type": "x"}, {"therapy_type": "99999999999999999999"}, {"location": ""}, {}],
)
def test_a_bad_choice_is_a_400_page(online, client, params):
    page = client.get("/book/times/", {"therapy_type": online.prp.pk, "location": online.location.pk, **params})
    if params == {}:
        assert page.status_code == 200
        return
    assert page.status_code == 400
    assert b'class="errors"' in page.content


def test_missing_details_are_shown_beside_their_fields(online, client):
    page = client.post("/book/details/", filled(online, email="nope", phone="", **{"q_pregnancy": ""}))
    assert page.status_code == 400
    text = page.content.decode()
    assert text.index('id="id_email-errors"') < text.index('name="email"')
    assert "This field is required." in text
    assert not SlotHold.objects.exists()


def test_review_then_request_holds_the_slot_and_sends_the_link(online, client):
    review = client.post("/book/details/", filled(online))
    assert review.status_code == 200 and b"Request booking" in review.content
    assert not SlotHold.objects.exists()  # reviewing holds nothing
    sent = client.post("/book/details/", filled(online, step="request"), follow=True)
    assert sent.redirect_chain[-1][0] == "/book/sent/"
    assert b"Check your email" in sent.content
    assert SlotHold.objects.filter(status="held").count() == 1
    link = link_from_email(send_emails()[0])
    assert b"Confirm my booking" in client.get(link).content
    assert BookingRequest.objects.get().status == "pending"  # a GET changes nothing


def test_a_taken_time_sends_the_visitor_back_to_the_times(online, client):
    client.post("/book/details/", filled(online, step="request"))
    again = client.post("/book/details/", filled(online, step="request", email="other@example.com"))
    assert again.status_code == 302 and "taken=1" in again["Location"]
    assert b"just been taken" in client.get(again["Location"]).content


def test_the_honeypot_page_answers_alike_and_does_nothing(online, client):
    answer = client.post("/book/details/", filled(online, step="request", website="spam"))
    assert answer.status_code == 302 and answer["Location"].endswith("/book/sent/")
    assert not SlotHold.objects.exists()


def test_forms_need_their_csrf_token(online):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/book/details/", filled(online, step="request")).status_code == 403
    assert not SlotHold.objects.exists()


def test_an_unknown_link_is_a_404_page(online, client):
    page = client.get("/book/requests/not-a-real-one/")
    assert page.status_code == 404 and b"no booking request" in page.content
    assert client.post("/book/requests/not-a-real-one/").status_code == 404


def test_requests_per_address_are_throttled(online, client, settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], public="1/hour")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    assert client.post("/book/details/", filled(online, step="request")).status_code == 302
    nine_thirty = online.nine.replace(minute=30).isoformat()
    second = client.post("/book/details/", filled(online, step="request", start=nine_thirty, email="b@example.com"))
    assert second.status_code == 429 and int(second["Retry-After"]) > 0


@pytest.mark.parametrize(
    "start", ["2031-02-30T10:00:00+00:00", "0001-01-01T00:00:00+01:00", "tomorrow", "2031-02-03T10:00:00", "9" * 50]
)
def test_a_bad_time_is_a_400_page_on_every_step(online, client, start):
    assert client.get("/book/details/", {**details_query(online), "start": start}).status_code == 400
    assert client.post("/book/details/", filled(online, start=start, step="request")).status_code == 400
    assert not SlotHold.objects.exists()


@pytest.mark.parametrize("day", ["2031-13-45", "x", "0001-01-01"])
def test_a_bad_day_shows_the_first_bookable_day(online, client, day):
    page = client.get("/book/times/", {"therapy_type": online.prp.pk, "location": online.location.pk, "date": day})
    assert page.status_code == 200
