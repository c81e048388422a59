"""find_free_slots: what the front desk sees when it asks for a free time."""

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from care.booking import appointment_book, appointment_cancel
from clinic.exceptions import DomainValidationError
from scheduling.availability import find_free_slots
from tests.factories import (
    AppointmentFactory,
    PatientFactory,
    PractitionerFactory,
    TherapyTypeFactory,
    TimeOffFactory,
    WorkingHoursFactory,
    future_weekday,
    local_time,
)

pytestmark = pytest.mark.django_db

MONDAY = 0
LONDON = ZoneInfo("Europe/London")


def day_slots(clinic, day, therapy=None, **kwargs):
    kwargs.setdefault("limit", None)
    return find_free_slots(
        therapy_type=therapy or clinic.prp,
        location=clinic.location,
        start=local_time(day, 0),
        end=local_time(day + timedelta(days=1), 0),
        **kwargs,
    )


def local_times(slots):
    return [slot.start.astimezone(LONDON).time() for slot in slots]


def book(clinic, start, practitioner=None, therapy=None, patient=None):
    therapy = therapy or clinic.prp
    return appointment_book(
        patient=patient or PatientFactory(),
        therapy_type=therapy,
        practitioner=practitioner or clinic.practitioners[0],
        start=start,
        product=clinic.plant_product if therapy.requires_product else None,
    )


def test_slots_step_through_working_hours_in_local_time(clinic):
    monday = future_weekday(MONDAY)
    slots = day_slots(clinic, monday, practitioner=clinic.practitioners[0])
    times = local_times(slots)
    # 09:00 to 16:00 (a 60-minute session must end by 17:00) every 15 minutes.
    assert times[0] == time(9) and times[-1] == time(16)
    assert len(times) == 29
    assert all(slot.end - slot.start == timedelta(minutes=60) for slot in slots)
    assert {slot.practitioner_id for slot in slots} == {clinic.practitioners[0].pk}


def test_each_slot_names_a_room_and_a_centrifuge_for_prp_but_no_device_for_exosome(clinic):
    monday = future_weekday(MONDAY)
    prp = day_slots(clinic, monday, limit=3)
    assert {slot.room_id for slot in prp} <= {room.pk for room in clinic.rooms}
    assert {slot.device_id for slot in prp} == {clinic.centrifuge.pk}
    assert {slot.device_id for slot in day_slots(clinic, monday, therapy=clinic.exosome, limit=3)} == {None}


def test_days_off_have_no_slots(clinic):
    saturday = future_weekday(5)
    assert day_slots(clinic, saturday) == []
    assert day_slots(clinic, saturday + timedelta(days=1)) == []


def test_time_off_removes_the_slots_it_touches(clinic):
    monday = future_weekday(MONDAY)
    practitioner = clinic.practitioners[0]
    TimeOffFactory(practitioner=practitioner, start=local_time(monday, 12), end=local_time(monday, 14))
    times = local_times(day_slots(clinic, monday, practitioner=practitioner))
    assert time(11) in times and time(14) in times  # 11:00-12:00 ends as the time off starts
    assert not [t for t in times if time(11) < t < time(14)]


def test_an_appointment_blocks_its_practitioner_with_both_buffers(clinic):
    monday = future_weekday(MONDAY)
    practitioner = clinic.practitioners[0]
    book(clinic, local_time(monday, 10), practitioner)  # PRP 10:00-11:00, then 15 minutes kept free
    times = local_times(day_slots(clinic, monday, practitioner=practitioner))
    # 09:00 would end at 10:00 but needs its own 15 minutes after; the next starts after 11:15.
    assert time(9) not in times
    assert time(11) not in times and time(11, 15) in times


def test_back_to_back_is_offered_when_the_therapy_keeps_no_buffer(clinic):
    quick = TherapyTypeFactory(code="consult", name="Consultation", buffer_minutes=0, device_kind="")
    practitioner = clinic.practitioners[0]
    practitioner.therapy_types.add(quick)
    monday = future_weekday(MONDAY)
    book(clinic, local_time(monday, 10), practitioner, therapy=quick)
    times = local_times(day_slots(clinic, monday, therapy=quick, practitioner=practitioner))
    assert time(9) in times and time(11) in times
    assert time(10) not in times and time(10, 45) not in times


def test_the_single_centrifuge_limits_prp_for_every_practitioner(clinic):
    monday = future_weekday(MONDAY)
    first, second = clinic.practitioners
    book(clinic, local_time(monday, 10), first)
    prp_times = local_times(day_slots(clinic, monday, practitioner=second))
    assert not [t for t in prp_times if time(9) < t < time(11, 15)]
    exosome_times = local_times(day_slots(clinic, monday, therapy=clinic.exosome, practitioner=second))
    assert time(10) in exosome_times


def test_rooms_run_out_before_practitioners(clinic):
    monday = future_weekday(MONDAY)
    third = PractitionerFactory(therapy_types=[clinic.exosome], locations=[clinic.location])
    WorkingHoursFactory(practitioner=third, location=clinic.location, weekday=MONDAY)
    for practitioner in clinic.practitioners:
        book(clinic, local_time(monday, 10), practitioner, therapy=clinic.exosome)
    times = local_times(day_slots(clinic, monday, therapy=clinic.exosome, practitioner=third))
    assert time(10) not in times and time(9) in times


def test_only_practitioners_who_give_the_therapy_here_are_offered(clinic):
    monday = future_weekday(MONDAY)
    exosome_only = PractitionerFactory(therapy_types=[clinic.exosome], locations=[clinic.location])
    WorkingHoursFactory(practitioner=exosome_only, location=clinic.location, weekday=MONDAY)
    inactive = PractitionerFactory(therapy_types=[clinic.prp], locations=[clinic.location], active=False)
    WorkingHoursFactory(practitioner=inactive, location=clinic.location, weekday=MONDAY)
    offered = {slot.practitioner_id for slot in day_slots(clinic, monday)}
    assert offered == {practitioner.pk for practitioner in clinic.practitioners}


def test_the_patients_own_appointments_are_avoided(clinic):
    monday = future_weekday(MONDAY)
    patient = PatientFactory()
    book(clinic, local_time(monday, 10), clinic.practitioners[0], therapy=clinic.exosome, patient=patient)
    times = local_times(day_slots(clinic, monday, therapy=clinic.exosome, practitioner=clinic.practitioners[1]))
    assert time(10) in times
    mine = local_times(
        day_slots(clinic, monday, therapy=clinic.exosome, practitioner=clinic.practitioners[1], patient=patient)
    )
    assert time(10) not in mine and time(11) in mine


def test_a_cancelled_appointment_frees_its_slot(clinic):
    monday = future_weekday(MONDAY)
    practitioner = clinic.practitioners[0]
    appointment = book(clinic, local_time(monday, 10), practitioner)
    assert time(10) not in local_times(day_slots(clinic, monday, practitioner=practitioner))
    appointment_cancel(appointment=appointment, reason="Patient unwell")
    assert time(10) in local_times(day_slots(clinic, monday, practitioner=practitioner))


def test_nothing_inside_the_minimum_notice(clinic, settings):
    settings.CLINIC_MIN_NOTICE_MINUTES = 3 * 24 * 60
    now = timezone.now()
    slots = find_free_slots(
        therapy_type=clinic.exosome,
        location=clinic.location,
        start=now - timedelta(days=1),
        end=now + timedelta(days=8),
    )
    assert slots and min(slot.start for slot in slots) >= now + timedelta(days=3)


def test_slots_come_earliest_first_up_to_the_limit(clinic):
    monday = future_weekday(MONDAY)
    slots = find_free_slots(
        therapy_type=clinic.exosome,
        location=clinic.location,
        start=local_time(monday, 0),
        end=local_time(monday + timedelta(days=5), 0),
        limit=7,
    )
    assert len(slots) == 7
    assert [slot.start for slot in slots] == sorted(slot.start for slot in slots)
    assert local_times(slots)[:2] == [time(9), time(9)]  # both practitioners at opening time


def test_every_offered_slot_can_be_booked_as_named(clinic):
    monday = future_weekday(MONDAY)
    book(clinic, local_time(monday, 9), clinic.practitioners[0])
    practitioners = {practitioner.pk: practitioner for practitioner in clinic.practitioners}
    slots = day_slots(clinic, monday)
    for slot in slots[:: len(slots) // 8]:
        with transaction.atomic():  # each slot on its own: they are alternatives, not a set
            appointment = book(clinic, slot.start, practitioners[slot.practitioner_id])
            assert (appointment.room_id, appointment.device_id) == (slot.room_id, slot.device_id)
            transaction.set_rollback(True)


def test_a_search_must_be_well_formed(clinic):
    monday = future_weekday(MONDAY)
    with pytest.raises(DomainValidationError) as refused:
        find_free_slots(
            therapy_type=clinic.prp,
            location=clinic.location,
            start=local_time(monday, 10).replace(tzinfo=None),
            end=local_time(monday, 9),
        )
    assert "start" in refused.value.errors
    with pytest.raises(DomainValidationError) as refused:
        find_free_slots(
            therapy_type=clinic.prp, location=clinic.location, start=local_time(monday, 10), end=local_time(monday, 9)
        )
    assert "end" in refused.value.errors


def _fill(clinic, monday, weeks):
    """Raw past and future appointments: history and bookings the search must load without more queries."""
    patient = PatientFactory()
    for week in range(weeks):
        for hour in (9, 11, 14):
            AppointmentFactory(
                patient=patient,
                practitioner=clinic.practitioners[week % 2],
                location=clinic.location,
                room=clinic.rooms[0],
                therapy_type=clinic.exosome,
                start=local_time(monday + timedelta(weeks=week), hour),
                end=local_time(monday + timedelta(weeks=week), hour, 45),
            )
            AppointmentFactory(
                patient=patient,
                practitioner=clinic.practitioners[1],
                location=clinic.location,
                room=clinic.rooms[1],
                therapy_type=clinic.prp,
                status="completed",
                start=local_time(monday - timedelta(weeks=week + 1), hour),
                end=local_time(monday - timedelta(weeks=week + 1), hour + 1),
            )


@pytest.mark.parametrize("days", [1, 60])
@pytest.mark.parametrize("weeks_of_appointments", [0, 8])
def test_query_count_does_not_grow_with_days_or_appointments(
    clinic, days, weeks_of_appointments, django_assert_num_queries
):
    monday = future_weekday(MONDAY)
    _fill(clinic, monday, weeks_of_appointments)
    TimeOffFactory(practitioner=clinic.practitioners[0], start=local_time(monday, 12), end=local_time(monday, 13))
    # working hours, rooms, devices (PRP needs a centrifuge), closures, time off, appointments
    with django_assert_num_queries(6):
        slots = find_free_slots(
            therapy_type=clinic.prp,
            location=clinic.location,
            start=local_time(monday, 0),
            end=local_time(monday + timedelta(days=days), 0),
            limit=None,
        )
    assert slots
    with django_assert_num_queries(5):
        find_free_slots(
            therapy_type=clinic.exosome,
            location=clinic.location,
            start=local_time(monday, 0),
            end=local_time(monday + timedelta(days=days), 0),
            patient=PatientFactory.build(pk=10**6),
        )
