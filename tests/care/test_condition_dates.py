"""A condition's `since` is checked against the patient's clinic's own date, not London's (issue 21 item 11)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from care.booking import appointment_book
from patients.models import PatientCondition
from tests import factories
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

AUCKLAND = ZoneInfo("Pacific/Auckland")


def _patient_booked_in(zone: ZoneInfo, name: str):
    """A patient with a PRP visit on Friday 11 January 2030 at 10:00 at a clinic in `zone`."""
    location = factories.LocationFactory(name=name, time_zone=zone.key)
    prp = factories.TherapyTypeFactory()
    practitioner = factories.PractitionerFactory(therapy_types=[prp], locations=[location])
    for weekday in range(5):
        factories.WorkingHoursFactory(practitioner=practitioner, location=location, weekday=weekday)
    factories.RoomFactory(location=location)
    factories.DeviceFactory(location=location)
    patient = PatientFactory()
    appointment_book(
        patient=patient,
        therapy_type=prp,
        practitioner=practitioner,
        start=datetime.combine(datetime(2030, 1, 11).date(), time(10), tzinfo=zone),
    )
    return patient


@pytest.fixture
def auckland(clock):
    """An Auckland clinic on a Tuesday morning there, which is still Monday in London."""
    clock.move_to(datetime(2030, 1, 7, 20, tzinfo=UTC))  # Tue 8 Jan 09:00 in Auckland, Mon 7 Jan 20:00 in London
    return _patient_booked_in(AUCKLAND, "Auckland clinic")


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


NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def new_york(clock):
    """A New York patient on a Monday evening there, which is already Tuesday in London (the clinic's default)."""
    clock.move_to(datetime(2030, 1, 8, 2, tzinfo=UTC))  # Mon 7 Jan 21:00 in New York, Tue 8 Jan 02:00 in London
    return _patient_booked_in(NEW_YORK, "New York clinic")


def test_the_admin_checks_since_against_the_patients_clinic_as_the_api_does(new_york, client):
    """London's Tuesday is still in the future in New York: the admin's form refuses it on the field, as the API
    does, instead of passing it to a save that refuses it (a server error); New York's Monday is accepted."""
    client.force_login(factories.clinic_admin_user(username="lead"))
    condition = factories.ConditionFactory(code="anticoagulant-therapy")
    add = reverse("admin:patients_patientcondition_add")
    form = {"patient": new_york.pk, "condition": condition.pk, "active": "on"}

    london_today = datetime.now(ZoneInfo("Europe/London")).date()
    ahead = client.post(add, {**form, "since": london_today})
    assert ahead.status_code == 200
    assert ahead.context["adminform"].form.errors == {"since": ["The date cannot be in the future."]}
    assert not PatientCondition.objects.exists()

    today_there = datetime.now(NEW_YORK).date()
    assert client.post(add, {**form, "since": today_there}).status_code == 302
    assert PatientCondition.objects.get(patient=new_york).since == today_there
