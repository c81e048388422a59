"""A condition's `since` is checked against the patient's clinic's own date, not London's (issue 21 item 11)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from care.booking import appointment_book
from tests import factories
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

AUCKLAND = ZoneInfo("Pacific/Auckland")


@pytest.fixture
def auckland(clock):
    """An Auckland clinic on a Tuesday morning there, which is still Monday in London."""
    clock.move_to(datetime(2030, 1, 7, 20, tzinfo=UTC))  # Tue 8 Jan 09:00 in Auckland, Mon 7 Jan 20:00 in London
    location = factories.LocationFactory(name="Auckland clinic", time_zone="Pacific/Auckland")
    prp = factories.TherapyTypeFactory()
    practitioner = factories.PractitionerFactory(therapy_types=[prp], locations=[location])
    for weekday in range(5):
        factories.WorkingHoursFactory(practitioner=practitioner, location=location, weekday=weekday)
    factories.RoomFactory(location=location)
    factories.DeviceFactory(location=location)
    patient = PatientFactory()
    friday = datetime(2030, 1, 11).date()
    appointment_book(
        patient=patient,
        therapy_type=prp,
        practitioner=practitioner,
        start=datetime.combine(friday, time(10), tzinfo=AUCKLAND),
    )
    return patient


def test_since_today_in_auckland_is_not_in_the_future(auckland, practitioner_api):
    condition = factories.ConditionFactory(code="anticoagulant-therapy")
    today_there = datetime.now(AUCKLAND).date()
    answer = practitioner_api.post(
        f"/api/v1/patients/{auckland.pk}/conditions/",
        {"condition": condition.pk, "since": today_there.isoformat()},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    # Tomorrow there is still in the future.
    record = answer.json()["id"]
    later = practitioner_api.patch(
        f"/api/v1/patients/{auckland.pk}/conditions/{record}/",
        {"since": (today_there + timedelta(days=1)).isoformat()},
        format="json",
    )
    assert later.status_code == 400 and "since" in later.json()["errors"], later.content
