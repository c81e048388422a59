"""Location closures: booking refuses a closed day, closure_for answers a day, and appointments booked on a day
that became closed are found for the needs-attention list."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

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
    found = Appointment.objects.filter(on_closed_days()).order_by("start")
    assert list(found) == [morning, late]
    assert not Appointment.objects.filter(on_closed_days(since=day + timedelta(days=1))).exists()
