"""Working hours are local: 09:00 stays 09:00 at the clinic on both sides of the clock changes in Europe/London."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from care.booking import appointment_book
from scheduling.availability import find_free_slots
from scheduling.models import Appointment
from tests.factories import PatientFactory, local_time

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def next_change(month: int) -> date:
    """The next last Sunday of `month` (March: clocks go forward; October: back) at least a week away."""
    year = date.today().year
    while True:
        last = date(year, month + 1, 1) - timedelta(days=1)
        sunday = last - timedelta(days=(last.weekday() - 6) % 7)
        if sunday - timedelta(days=7) > date.today():
            return sunday
        year += 1


@pytest.mark.parametrize(
    ("month", "utc_hour_before", "utc_hour_after"),
    [(3, 9, 8), (10, 8, 9)],  # GMT -> BST in March, BST -> GMT in October
    ids=["march", "october"],
)
def test_first_slot_is_nine_local_on_both_sides_of_the_change(clinic, month, utc_hour_before, utc_hour_after):
    sunday = next_change(month)
    friday, monday = sunday - timedelta(days=2), sunday + timedelta(days=1)
    slots = find_free_slots(
        therapy_type=clinic.exosome,
        location=clinic.location,
        practitioner=clinic.practitioners[0],
        start=local_time(friday, 0),
        end=local_time(monday + timedelta(days=1), 0),
        limit=None,
    )
    first_by_day = {}
    for slot in slots:
        first_by_day.setdefault(slot.start.astimezone(LONDON).date(), slot.start)
    assert sorted(first_by_day) == [friday, monday]  # nothing at the weekend
    assert first_by_day[friday].astimezone(LONDON).time() == time(9)
    assert first_by_day[monday].astimezone(LONDON).time() == time(9)
    assert first_by_day[friday].astimezone(UTC).hour == utc_hour_before
    assert first_by_day[monday].astimezone(UTC).hour == utc_hour_after
    assert len([s for s in slots if s.start.astimezone(LONDON).date() == monday]) == len(
        [s for s in slots if s.start.astimezone(LONDON).date() == friday]
    )


@pytest.mark.parametrize("month", [3, 10], ids=["march", "october"])
def test_a_booking_across_the_change_keeps_its_instant_and_its_local_time(clinic, month, front_desk_api):
    sunday = next_change(month)
    monday = sunday + timedelta(days=1)
    start = local_time(monday, 9)
    appointment = appointment_book(
        patient=PatientFactory(), therapy_type=clinic.prp, practitioner=clinic.practitioners[0], start=start
    )
    stored = Appointment.objects.get(pk=appointment.pk)
    assert stored.start == start.astimezone(UTC)
    assert stored.start.astimezone(LONDON).time() == time(9)
    day = front_desk_api.get("/api/v1/appointments/", {"date": monday.isoformat(), "location": clinic.location.pk})
    assert [row["id"] for row in day.json()["results"]] == [stored.pk]
    # The day before really was the change: 23 hours long in March, 25 in October.
    first = datetime.combine(sunday, time(0), tzinfo=LONDON)
    last = datetime.combine(monday, time(0), tzinfo=LONDON)
    assert last.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=23 if month == 3 else 25)
