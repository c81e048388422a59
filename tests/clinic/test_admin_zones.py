"""The admin shows and takes date-times in the location's zone and says which (contract v1.2), across both of
London's DST changes: time off entered for 09:00-12:00 blocks 09:00-12:00 local time, and an appointment the desk
shows at 10:00 is 10:00 in the admin."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from scheduling.availability import find_free_slots
from scheduling.models import TimeOff
from tests.factories import AppointmentFactory, PatientFactory, TimeOffFactory, local_time

pytestmark = pytest.mark.django_db

SUMMER_TUESDAY = date(2030, 7, 9)
# London 2030: clocks go forward on Sunday 31 March (01:00 GMT -> 02:00 BST), back on Sunday 27 October.
SPRING_BEFORE, SPRING_AFTER = date(2030, 3, 29), date(2030, 4, 1)
AUTUMN_BEFORE, AUTUMN_AFTER = date(2030, 10, 25), date(2030, 10, 28)


def add_time_off(admin_client, practitioner, day: date, start: str, end: str):
    return admin_client.post(
        reverse("admin:scheduling_timeoff_add"),
        {
            "practitioner": practitioner.pk,
            "start_0": day.isoformat(),
            "start_1": start,
            "end_0": day.isoformat(),
            "end_1": end,
            "reason": "Training",
        },
    )


@pytest.mark.parametrize(
    "day,utc_hour",
    [(SUMMER_TUESDAY, 8), (SPRING_BEFORE, 9), (SPRING_AFTER, 8), (AUTUMN_BEFORE, 8), (AUTUMN_AFTER, 9)],
    ids=["summer", "spring-before", "spring-after", "autumn-before", "autumn-after"],
)
def test_time_off_entered_in_the_admin_is_local_time_on_both_sides_of_each_change(clinic, admin_client, day, utc_hour):
    practitioner = clinic.practitioners[0]

    answer = add_time_off(admin_client, practitioner, day, "09:00", "12:00")

    assert answer.status_code == 302, answer.content.decode()[:2000]
    away = TimeOff.objects.get()
    assert away.start == datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC)
    assert (away.start, away.end) == (local_time(day, 9), local_time(day, 12))
    starts = {
        slot.start
        for slot in find_free_slots(
            therapy_type=clinic.exosome,
            location=clinic.location,
            start=local_time(day, 8),
            end=local_time(day, 18),
            practitioner=practitioner,
            limit=None,
        )
    }
    assert local_time(day, 9) not in starts and local_time(day, 11) not in starts
    assert local_time(day, 12) in starts


def test_the_change_form_shows_local_time_and_names_the_zone(clinic, admin_client):
    away = TimeOffFactory(
        practitioner=clinic.practitioners[0], start=local_time(SUMMER_TUESDAY, 9), end=local_time(SUMMER_TUESDAY, 12)
    )

    page = admin_client.get(reverse("admin:scheduling_timeoff_change", args=[away.pk])).content.decode()

    assert 'name="start_1" value="09:00:00"' in page
    assert 'name="end_1" value="12:00:00"' in page
    assert "Local time in Europe/London (GMT/BST)." in page
    assert "Times in Europe/London" in page


def test_time_off_spanning_the_spring_change_keeps_its_wall_clock_ends(clinic, admin_client):
    practitioner = clinic.practitioners[0]
    answer = admin_client.post(
        reverse("admin:scheduling_timeoff_add"),
        {
            "practitioner": practitioner.pk,
            "start_0": SPRING_BEFORE.isoformat(),
            "start_1": "09:00",
            "end_0": SPRING_AFTER.isoformat(),
            "end_1": "09:00",
            "reason": "Conference",
        },
    )
    assert answer.status_code == 302
    away = TimeOff.objects.get()
    assert (away.start, away.end) == (local_time(SPRING_BEFORE, 9), local_time(SPRING_AFTER, 9))
    assert (away.end - away.start).total_seconds() == (3 * 24 - 1) * 3600


def test_lists_show_each_row_in_its_locations_zone_with_the_abbreviation(clinic, admin_client):
    AppointmentFactory(
        patient=PatientFactory(),
        practitioner=clinic.practitioners[0],
        location=clinic.location,
        room=clinic.rooms[0],
        therapy_type=clinic.exosome,
        start=local_time(SUMMER_TUESDAY, 10),
        end=local_time(SUMMER_TUESDAY, 11),
    )
    TimeOffFactory(
        practitioner=clinic.practitioners[0], start=local_time(AUTUMN_AFTER, 9), end=local_time(AUTUMN_AFTER, 12)
    )

    appointments = admin_client.get(reverse("admin:scheduling_appointment_changelist")).content.decode()
    time_off = admin_client.get(reverse("admin:scheduling_timeoff_changelist")).content.decode()

    assert "09 Jul 2030 10:00 BST" in appointments and "09 Jul 2030 11:00 BST" in appointments
    assert "28 Oct 2030 09:00 GMT" in time_off and "28 Oct 2030 12:00 GMT" in time_off


def test_an_appointments_page_shows_its_start_in_local_time(clinic, admin_client):
    appointment = AppointmentFactory(
        patient=PatientFactory(),
        practitioner=clinic.practitioners[0],
        location=clinic.location,
        room=clinic.rooms[0],
        therapy_type=clinic.exosome,
        start=local_time(SUMMER_TUESDAY, 10),
        end=local_time(SUMMER_TUESDAY, 11),
    )

    page = admin_client.get(reverse("admin:scheduling_appointment_change", args=[appointment.pk])).content.decode()

    assert "10 a.m." in page or "10:00" in page
    assert "9 a.m." not in page
    assert "Times in Europe/London" in page
