"""What the patient reads: the email's text and HTML, its calendar file and its Message-ID."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from messaging.calendar import appointment_ics
from messaging.emails import reminder_message
from tests.factories import AppointmentFactory, PatientFactory, ReminderFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def appointment(clinic):
    clinic.location.phone = "+442071234567"
    clinic.location.save()
    start = datetime(2027, 7, 5, 14, 30, tzinfo=LONDON)  # summer: BST
    return AppointmentFactory(
        patient=PatientFactory(first_name="Ada", email="ada@example.com"),
        practitioner=clinic.practitioners[0],
        location=clinic.location,
        room=clinic.rooms[0],
        therapy_type=clinic.prp,
        start=start,
        end=start + timedelta(minutes=60),
    )


def event_of(ics: bytes):
    calendar = Calendar.from_ical(ics)
    return calendar, next(iter(calendar.walk("VEVENT")))


def test_the_confirmation_tells_when_what_who_where_and_how_to_prepare(appointment):
    message = reminder_message(ReminderFactory(appointment=appointment, kind="confirmation"))
    html = message.alternatives[0][0]
    for text in (message.body, html):
        assert "Monday 5 July 2027 at 14:30 BST (Europe/London)" in text
        assert "PRP" in text
        assert appointment.practitioner.display_name in text
        assert "1 Harley Street, London" in text
        assert "Eat and drink normally: blood will be drawn." in text
        assert "/appointments/confirm/" in text
        assert "/appointments/cancel/" in text
        assert "+442071234567" in text
    assert message.subject == "Booked: your PRP appointment on Monday 5 July 2027 at 14:30 BST (Europe/London)"
    assert message.to == ["ada@example.com"]
    assert "Cancel online until Sunday 4 July 2027 at 14:30 BST" in message.body


def test_each_reminder_has_its_own_message_id_the_same_on_every_attempt(appointment):
    confirmation = ReminderFactory(appointment=appointment, kind="confirmation")
    reminder = ReminderFactory(appointment=appointment, kind="reminder_48h")
    first = reminder_message(confirmation).message()["Message-ID"]
    assert first == reminder_message(confirmation).message()["Message-ID"]
    assert first != reminder_message(reminder).message()["Message-ID"]
    assert first.startswith(f"<reminder-{confirmation.pk}.")


def test_the_calendar_file_has_a_stable_uid_the_sequence_and_the_location_zone(appointment):
    message = reminder_message(ReminderFactory(appointment=appointment, kind="confirmation"))
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("appointment.ics", "text/calendar; method=REQUEST")
    calendar, event = event_of(content.encode())
    assert calendar["METHOD"] == "REQUEST"
    assert event.decoded("DTSTART") == appointment.start
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert event["SEQUENCE"] == 0

    uid = str(event["UID"])
    appointment.start += timedelta(days=1)
    appointment.end += timedelta(days=1)
    appointment.sequence = 1
    _, moved = event_of(appointment_ics(appointment))
    assert str(moved["UID"]) == uid
    assert moved["SEQUENCE"] == 1
    assert moved.decoded("DTSTART") == appointment.start


def test_the_calendar_files_zone_changes_at_the_wall_time_before_each_change(appointment):
    """RFC 5545: London's spring change is at 01:00 (GMT), its autumn change at 02:00 (BST), read in TZOFFSETFROM;
    the file's zone covers the visit's year and those either side (clinic.vtimezone, tested against zoneinfo)."""
    calendar, _ = event_of(appointment_ics(appointment))
    (zone,) = calendar.walk("VTIMEZONE")
    text = zone.to_ical().decode()
    daylight = text.split("BEGIN:DAYLIGHT")[1].split("END:DAYLIGHT")[0]
    standard = text.split("BEGIN:STANDARD")[1].split("END:STANDARD")[0]
    assert "20270328T010000" in daylight and "TZOFFSETFROM:+0000" in daylight
    assert "20271031T020000" in standard and "TZOFFSETFROM:+0100" in standard
    assert "20260329T010000" in daylight and "20280326T010000" in daylight


def test_the_cancellation_carries_a_calendar_cancel_and_no_links(appointment):
    appointment.status = "cancelled"
    message = reminder_message(ReminderFactory(appointment=appointment, kind="cancellation"))
    assert message.subject.startswith("Cancelled:")
    assert "/appointments/" not in message.body
    calendar, event = event_of(message.attachments[0][1].encode())
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert message.attachments[0][2] == "text/calendar; method=CANCEL"
