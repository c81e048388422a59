"""The life cycle's time rules, at their edges, with the clock held still (time-machine).

Check-in opens CLINIC_CHECK_IN_OPENS_MINUTES before the start; no-show and complete only from the start; the
treatment date is the appointment's local date, whenever the completion is recorded.
"""

from datetime import timedelta

import pytest
import time_machine

from care.booking import appointment_book, appointment_check_in, appointment_complete, appointment_no_show
from care.records import appointment_consent_record
from clinic.exceptions import TooEarly
from scheduling.choices import AppointmentStatus
from tests import factories
from tests.factories import future_weekday, local_time, practitioner_user

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)


@pytest.fixture
def clinic():
    return factories.build_clinic()


@pytest.fixture
def visit(clinic):
    day = future_weekday(0, after_days=3)
    return appointment_book(
        patient=factories.PatientFactory(),
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[0],
        start=local_time(day, 10),
    )


def test_check_in_opens_two_hours_before_the_start(visit, settings):
    assert settings.CLINIC_CHECK_IN_OPENS_MINUTES == 120
    opens = visit.start - timedelta(minutes=120)
    with time_machine.travel(opens - SECOND, tick=False), pytest.raises(TooEarly) as early:
        appointment_check_in(appointment=visit)
    assert early.value.code == "too_early" and early.value.extra["opens_at"] == opens.isoformat()
    with time_machine.travel(opens, tick=False):
        assert appointment_check_in(appointment=visit).status == AppointmentStatus.CHECKED_IN


def test_the_check_in_window_is_a_setting(visit, settings):
    settings.CLINIC_CHECK_IN_OPENS_MINUTES = 30
    with time_machine.travel(visit.start - timedelta(minutes=31), tick=False), pytest.raises(TooEarly):
        appointment_check_in(appointment=visit)
    with time_machine.travel(visit.start - timedelta(minutes=30), tick=False):
        assert appointment_check_in(appointment=visit).status == AppointmentStatus.CHECKED_IN


def test_a_no_show_is_recorded_from_the_start_only(visit):
    with time_machine.travel(visit.start - SECOND, tick=False), pytest.raises(TooEarly):
        appointment_no_show(appointment=visit)
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.BOOKED  # the slot was not freed
    with time_machine.travel(visit.start, tick=False):
        assert appointment_no_show(appointment=visit).status == AppointmentStatus.NO_SHOW


def test_a_visit_is_completed_from_the_start_only(visit):
    appointment_consent_record(appointment=visit, method="written", text_version="v1", by=practitioner_user())
    with time_machine.travel(visit.start - timedelta(minutes=10), tick=False):
        visit = appointment_check_in(appointment=visit)
    with time_machine.travel(visit.start - SECOND, tick=False), pytest.raises(TooEarly):
        appointment_complete(appointment=visit, by=practitioner_user())
    with time_machine.travel(visit.start, tick=False):
        assert appointment_complete(appointment=visit, by=practitioner_user()).status == AppointmentStatus.COMPLETED


def test_the_treatment_date_is_the_appointments_day_not_the_day_it_is_recorded(clinic):
    day = future_weekday(0, after_days=3)
    doctor = practitioner_user()
    plan = factories.open_plan(
        patient=factories.PatientFactory(),
        therapy_type=clinic.exosome,
        product=clinic.plant_product,
        by=doctor,
        start_date=day,
        min_interval_days=14,
        max_interval_days=28,
    )
    lot = factories.ProductLotFactory(product=clinic.plant_product, expires_on=day)  # good on the day, not after
    first = plan.sessions.get(sequence=1)
    visit = appointment_book(
        patient=plan.patient,
        therapy_type=clinic.exosome,
        practitioner=clinic.practitioners[0],
        start=local_time(day, 16),
        session=first,
    )
    # Recorded the next morning: the lot was still good on the treatment date, and the next window counts from it.
    with time_machine.travel(local_time(day + timedelta(days=1), 9), tick=False):
        done = appointment_complete(appointment=appointment_check_in(appointment=visit), by=doctor, product_lot=lot)
    assert done.status == AppointmentStatus.COMPLETED
    second = plan.sessions.get(sequence=2)
    assert (second.window_start, second.window_end) == (day + timedelta(days=14), day + timedelta(days=28))
