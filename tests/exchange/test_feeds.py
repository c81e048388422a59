"""A practitioner's calendar feed: issued and revoked through the API, read by a calendar app with icalendar."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from icalendar import Calendar
from rest_framework.test import APIClient

from exchange.models import CalendarFeed
from scheduling.choices import AppointmentStatus
from tests import clock, factories
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def feed_path(practitioner) -> str:
    return f"/api/v1/practitioners/{practitioner.pk}/calendar-feed/"


def issue_feed(client, practitioner) -> str:
    response = client.post(feed_path(practitioner))
    assert response.status_code == 201, response.content
    url = response.json()["url"]
    assert url.startswith("http://testserver/feeds/calendar/") and url.endswith(".ics")
    return urlsplit(url).path


def read_feed(path: str, **headers):
    response = Client().get(path, **headers)
    if response.status_code == 200:
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response


def events(response) -> dict[str, object]:
    calendar = Calendar.from_ical(response.content)
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def practitioner(chart):
    return chart.practitioner


@pytest.fixture
def own_api(practitioner):
    return api_client_for(practitioner.user)


def appointment_at(chart, start, **fields):
    fields.setdefault("patient", chart.patient)
    return factories.AppointmentFactory(
        practitioner=chart.practitioner,
        location=chart.clinic.location,
        room=chart.clinic.rooms[1],
        therapy_type=chart.clinic.prp,
        start=start,
        end=start + timedelta(minutes=60),
        **fields,
    )


def test_the_feed_shows_the_therapy_and_initials_only_in_its_span(own_api, chart, practitioner):
    now = clock.now()
    too_old = appointment_at(chart, now - timedelta(days=31))
    too_far = appointment_at(chart, now + timedelta(days=181))
    cancelled = appointment_at(chart, now + timedelta(days=3), status=AppointmentStatus.CANCELLED)
    response = read_feed(issue_feed(own_api, practitioner))
    assert response.status_code == 200
    found = events(response)
    assert set(found) == {"Exosome therapy - J.D."}  # the given visit and the booked one, both Jane Doe's
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 2
    (booked,) = [
        event
        for event in Calendar.from_ical(response.content).walk("VEVENT")
        if str(event["UID"]).startswith(f"feed-appointment-{chart.booked.pk}@")
    ]
    assert booked.decoded("DTSTART") == chart.booked.start
    assert booked["DTSTART"].params["TZID"] == "Europe/London"
    assert str(booked["LOCATION"]) == "Main clinic, Room A"
    body = response.content.decode()
    for private in ("Jane", "Doe", chart.patient.email, "Injected", "+44"):
        assert private not in body
    for left_out in (too_old, too_far, cancelled):
        assert f"appointment-{left_out.pk}@" not in body


def test_the_feeds_zone_changes_at_the_wall_time_before_each_change(own_api, chart, practitioner, clock):
    clock.move_to(datetime(2027, 2, 1, 9, tzinfo=LONDON))
    appointment_at(chart, datetime(2027, 3, 29, 10, tzinfo=LONDON))
    calendar = Calendar.from_ical(read_feed(issue_feed(own_api, practitioner)).content)
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/London"
    transitions, _ = zone.get_transitions()  # icalendar reads DTSTART with TZOFFSETFROM, as RFC 5545 says
    spring = datetime(2027, 3, 28, 1, 0)  # noqa: DTZ001 (UTC, naive as icalendar answers)
    assert spring in transitions
    text = zone.to_ical().decode()
    assert "20270328T010000" in text.split("BEGIN:DAYLIGHT")[1].split("END:DAYLIGHT")[0]


def test_only_the_practitioner_or_a_clinic_admin_manages_it(chart, practitioner, front_desk_api, clinic_admin_api):
    other = api_client_for(chart.clinic.practitioners[1].user)
    assert other.post(feed_path(practitioner)).json()["code"] == "permission_denied"
    assert other.delete(feed_path(practitioner)).status_code == 403
    assert front_desk_api.post(feed_path(practitioner)).status_code == 403
    assert APIClient().post(feed_path(practitioner)).status_code == 401
    assert clinic_admin_api.post("/api/v1/practitioners/999999/calendar-feed/").status_code == 404
    assert read_feed(issue_feed(clinic_admin_api, practitioner)).status_code == 200


def test_a_new_url_replaces_the_old_and_revoking_ends_it(own_api, practitioner):
    first = issue_feed(own_api, practitioner)
    second = issue_feed(own_api, practitioner)
    assert first != second
    assert read_feed(first).status_code == 404
    assert read_feed(second).status_code == 200
    assert own_api.delete(feed_path(practitioner)).status_code == 204
    assert read_feed(second).status_code == 404
    assert own_api.delete(feed_path(practitioner)).status_code == 204  # nothing left to revoke
    assert read_feed("/feeds/calendar/" + "x" * 43 + ".ics").status_code == 404


def test_only_a_hash_of_the_secret_is_kept(own_api, practitioner):
    secret = issue_feed(own_api, practitioner).removeprefix("/feeds/calendar/").removesuffix(".ics")
    feed = CalendarFeed.objects.get(practitioner=practitioner)
    assert secret not in feed.secret_hash and len(feed.secret_hash) == 64


def test_a_practitioner_whose_account_is_closed_has_no_feed(own_api, practitioner):
    path = issue_feed(own_api, practitioner)
    practitioner.user.is_active = False
    practitioner.user.save()
    assert read_feed(path).status_code == 404


def test_etag_answers_304_until_an_appointment_changes(own_api, chart, practitioner):
    path = issue_feed(own_api, practitioner)
    first = read_feed(path)
    etag = first["ETag"]
    assert etag.startswith('"') and first["Cache-Control"] == "private, no-cache"
    again = read_feed(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert read_feed(path, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    chart.booked.start += timedelta(hours=1)
    chart.booked.end += timedelta(hours=1)
    chart.booked.sequence += 1
    chart.booked.save()
    changed = read_feed(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
