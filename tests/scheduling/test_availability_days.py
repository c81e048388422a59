"""free_start_counts_by_day: the number on each day of the desk's day strip."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.exceptions import Contraindicated, DomainValidationError
from patients.choices import ConditionKind
from scheduling.availability import find_free_slots
from scheduling.availability_days import free_start_counts_by_day
from scheduling.models import LocationClosure
from tests.factories import (
    AppointmentFactory,
    ConditionFactory,
    ContraindicationFactory,
    PatientConditionFactory,
    PatientFactory,
    future_weekday,
    local_time,
)

pytestmark = pytest.mark.django_db

MONDAY = 0
LONDON = ZoneInfo("Europe/London")
# 09:00 to 16:00 every 15 minutes: a 60-minute PRP session must end by 17:00.
PRP_STARTS_A_DAY = 29


def counts(clinic, first_day, days, therapy=None, **kwargs):
    found = free_start_counts_by_day(
        therapy_type=therapy or clinic.prp,
        location=clinic.location,
        start=local_time(first_day, 0),
        end=local_time(first_day + timedelta(days=days), 0),
        **kwargs,
    )
    return {count.date: count.free_starts for count in found}


def book_whole_day(clinic, day):
    for practitioner, room in zip(clinic.practitioners, clinic.rooms, strict=True):
        AppointmentFactory(
            practitioner=practitioner,
            location=clinic.location,
            room=room,
            therapy_type=clinic.exosome,
            start=local_time(day, 9),
            end=local_time(day, 17),
        )


def test_every_day_of_a_week_is_counted_and_weekends_are_zero(clinic):
    monday = future_weekday(MONDAY)
    week = counts(clinic, monday, 7)
    assert list(week) == [monday + timedelta(days=n) for n in range(7)]
    assert list(week.values()) == [PRP_STARTS_A_DAY] * 5 + [0, 0]


def test_a_fully_booked_day_and_a_closed_day_count_zero_and_the_strip_keeps_them(clinic):
    monday = future_weekday(MONDAY)
    book_whole_day(clinic, monday + timedelta(days=1))
    LocationClosure.objects.create(location=clinic.location, date=monday + timedelta(days=2), name="Staff training")
    week = counts(clinic, monday, 5)
    assert list(week.values()) == [PRP_STARTS_A_DAY, 0, 0, PRP_STARTS_A_DAY, PRP_STARTS_A_DAY]


def test_a_start_free_with_either_practitioner_counts_once(clinic):
    monday = future_weekday(MONDAY)
    # Exosome (45 minutes, no centrifuge): both practitioners are free at each start 09:00 to 16:15, 30 starts.
    assert counts(clinic, monday, 1, therapy=clinic.exosome)[monday] == 30
    AppointmentFactory(
        practitioner=clinic.practitioners[0],
        location=clinic.location,
        room=clinic.rooms[0],
        therapy_type=clinic.exosome,
        start=local_time(monday, 9),
        end=local_time(monday, 13),
    )
    # The other practitioner, in the other room, still has the morning: no start is lost.
    assert counts(clinic, monday, 1, therapy=clinic.exosome)[monday] == 30


def find_free_slots_on(clinic, day, therapy):
    return find_free_slots(
        therapy_type=therapy,
        location=clinic.location,
        start=local_time(day, 0),
        end=local_time(day + timedelta(days=1), 0),
        limit=None,
    )


def test_an_afternoon_booking_takes_only_the_starts_it_touches(clinic):
    monday = future_weekday(MONDAY)
    # PRP's single centrifuge: 14:00-15:00 plus 15-minute buffers on both sides rules out 12:45 to 15:00.
    AppointmentFactory(
        practitioner=clinic.practitioners[0],
        location=clinic.location,
        room=clinic.rooms[0],
        device=clinic.centrifuge,
        therapy_type=clinic.prp,
        start=local_time(monday, 14),
        end=local_time(monday, 15),
    )
    taken = {slot.start for slot in find_free_slots_on(clinic, monday, clinic.prp)}
    assert counts(clinic, monday, 1)[monday] == len(taken) < PRP_STARTS_A_DAY


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


@pytest.mark.parametrize("month", [3, 10], ids=["spring", "autumn"])
def test_days_are_the_locations_local_days_across_a_clock_change(clinic, month):
    year = future_weekday(MONDAY, after_days=10).year + 1
    change = _last_sunday(year, month)
    monday_before = change - timedelta(days=6)
    week = counts(clinic, monday_before, 8)
    assert list(week) == [monday_before + timedelta(days=n) for n in range(8)]
    # Working hours are local: the Monday after the change has every start the Monday before had.
    assert week[monday_before] == week[change + timedelta(days=1)] == PRP_STARTS_A_DAY
    assert week[change] == 0


def test_a_range_ending_mid_day_counts_that_day_up_to_its_end(clinic):
    monday = future_weekday(MONDAY)
    found = free_start_counts_by_day(
        therapy_type=clinic.prp, location=clinic.location, start=local_time(monday, 0), end=local_time(monday, 12)
    )
    # Sessions that end by noon: 09:00 to 11:00.
    assert [(count.date, count.free_starts) for count in found] == [(monday, 9)]


def test_a_patient_who_cannot_have_the_therapy_is_refused_and_later_blocked_days_count_zero(clinic):
    monday = future_weekday(MONDAY)
    condition = ConditionFactory(
        code="anticoagulant-therapy", name="Anticoagulant therapy", kind=ConditionKind.MEDICATION
    )
    ContraindicationFactory(condition=condition, therapy_type=clinic.prp, severity="absolute")
    patient = PatientFactory()
    PatientConditionFactory(patient=patient, condition=condition, since=monday + timedelta(days=2))
    week = counts(clinic, monday, 5, patient=patient)
    assert list(week.values()) == [PRP_STARTS_A_DAY, PRP_STARTS_A_DAY, 0, 0, 0]
    with pytest.raises(Contraindicated, match="Anticoagulant therapy"):
        counts(clinic, monday + timedelta(days=2), 3, patient=patient)


def test_a_relative_finding_blocks_unless_relative_findings_are_allowed(clinic):
    monday = future_weekday(MONDAY)
    condition = ConditionFactory(code="pregnancy", name="Pregnancy")
    ContraindicationFactory(condition=condition, therapy_type=clinic.prp, severity="relative")
    patient = PatientFactory()
    PatientConditionFactory(patient=patient, condition=condition)
    with pytest.raises(Contraindicated):
        counts(clinic, monday, 1, patient=patient)
    assert counts(clinic, monday, 1, patient=patient, relative_allowed=True)[monday] == PRP_STARTS_A_DAY


def test_the_patients_own_appointment_elsewhere_takes_its_starts(clinic):
    monday = future_weekday(MONDAY)
    patient = PatientFactory()
    AppointmentFactory(patient=patient, start=local_time(monday, 9), end=local_time(monday, 17))
    assert counts(clinic, monday, 1, patient=patient)[monday] == 0
    assert counts(clinic, monday, 1)[monday] == PRP_STARTS_A_DAY


def test_a_malformed_range_is_refused(clinic):
    monday = future_weekday(MONDAY)
    with pytest.raises(DomainValidationError) as refused:
        free_start_counts_by_day(
            therapy_type=clinic.prp, location=clinic.location, start=local_time(monday, 10), end=local_time(monday, 9)
        )
    assert "end" in refused.value.errors


@pytest.mark.parametrize("days", [1, 62])
def test_query_count_does_not_grow_with_days_or_appointments(clinic, days, django_assert_num_queries):
    monday = future_weekday(MONDAY)
    for week in range(days // 7 + 1):
        book_whole_day(clinic, monday + timedelta(weeks=week))
    patient = PatientFactory()
    # screening, working hours, rooms, devices, closures, time off, appointments
    with django_assert_num_queries(7):
        found = free_start_counts_by_day(
            therapy_type=clinic.prp,
            location=clinic.location,
            start=local_time(monday, 0),
            end=local_time(monday + timedelta(days=days), 0),
            patient=patient,
        )
    assert len(found) == days
    assert found[0].free_starts == 0
