"""Location closures: booking refuses a closed day, closure_for answers a day, and appointments booked on a day
that became closed are found for the needs-attention list."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from care.booking import appointment_book
from clinic.exceptions import SlotUnavailable
from scheduling.closures import closure_for, on_closed_days
from scheduling.models import Appointment, LocationClosure
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def test_booking_on_a_closed_day_is_refused_with_its_name(clinic):
    day = factories.future_weekday(2, after_days=7)
    LocationClosure.objects.create(location=clinic.location, date=day, name="Christmas Day")
    with pytest.raises(SlotUnavailable, match="Christmas Day"):
        appointment_book(
            patient=factories.PatientFactory(),
            therapy_type=clinic.exosome,
            product=clinic.plant_product,
            practitioner=clinic.practitioners[0],
            start=datetime.combine(day, time(10), LONDON),
        )
    assert not Appointment.objects.exists()


def test_a_closure_the_next_day_does_not_stop_a_late_booking(clinic):
    day = factories.future_weekday(2, after_days=7)
    LocationClosure.objects.create(location=clinic.location, date=day + timedelta(days=1), name="Tomorrow")
    LocationClosure.objects.create(location=clinic.location, date=day - timedelta(days=1), name="Yesterday")
    booked = appointment_book(
        patient=factories.PatientFactory(),
        therapy_type=clinic.exosome,
        product=clinic.plant_product,
        practitioner=clinic.practitioners[0],
        start=datetime.combine(day, time(16), LONDON),
    )
    assert booked.pk


def test_closure_for_answers_the_local_day(clinic):
    day = factories.future_weekday(2, after_days=7)
    closure = LocationClosure.objects.create(location=clinic.location, date=day, name="Refit")
    assert closure_for(location=clinic.location, day=day) == closure
    assert closure_for(location=clinic.location, day=day + timedelta(days=1)) is None


def test_appointments_on_a_day_that_became_closed_are_found(clinic):
    day = factories.future_weekday(2, after_days=7)

    def at(local_day, hour, practitioner):
        start = datetime.combine(local_day, time(hour), LONDON)
        return factories.AppointmentFactory(
            practitioner=clinic.practitioners[practitioner],
            location=clinic.location,
            room=clinic.rooms[practitioner],
            therapy_type=clinic.exosome,
            product=clinic.plant_product,
            start=start,
            end=start + timedelta(hours=1),
        )

    morning, late = at(day, 9, 0), at(day, 23, 1)
    at(day + timedelta(days=1), 0, 0)  # the next local day (23:00 UTC the day before in winter, 00:00 in summer)
    LocationClosure.objects.create(location=clinic.location, date=day, name="Flood")
    LocationClosure.objects.create(location=factories.LocationFactory(name="Other clinic"), date=day, name="Other")
    found = Appointment.objects.filter(on_closed_days()).order_by("start")
    assert list(found) == [morning, late]


@pytest.mark.parametrize("month", [1, 7])  # New Zealand summer (UTC+13) and winter (UTC+12)
def test_a_closed_day_is_the_location_s_own_local_day(month):
    """Auckland's closed day starts the evening before in UTC: an early visit there is on it, a late visit the
    evening before is not, and a London closure on the early visit's UTC date flags neither."""
    auckland = factories.LocationFactory(name="Auckland clinic", time_zone="Pacific/Auckland")
    zone = ZoneInfo("Pacific/Auckland")
    year = timezone.now().year + 1
    day = datetime(year, month, 14).date()

    def at(local_day, hour):
        start = datetime.combine(local_day, time(hour), zone)
        return factories.AppointmentFactory(location=auckland, start=start, end=start + timedelta(minutes=45))

    early = at(day, 7)
    at(day - timedelta(days=1), 21)  # the evening before, local time
    assert early.start.astimezone(UTC).date() == day - timedelta(days=1)  # UTC's calendar would miss it
    LocationClosure.objects.create(location=factories.LocationFactory(), date=day - timedelta(days=1), name="London")
    assert not Appointment.objects.filter(on_closed_days()).exists()
    LocationClosure.objects.create(location=auckland, date=day, name="Waitangi Day")
    assert list(Appointment.objects.filter(on_closed_days())) == [early]
