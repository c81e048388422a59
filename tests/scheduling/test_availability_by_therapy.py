"""free_starts_by_therapy: the free starts of several therapies for one practitioner (what the waitlist offers)
are exactly find_free_slots' for each therapy, from one reading of the shared data."""

from datetime import timedelta

import pytest

from care.booking import appointment_book
from scheduling.availability import find_free_slots, free_starts_by_therapy
from scheduling.models import LocationClosure
from tests.factories import PatientFactory, TimeOffFactory, future_weekday, local_time

pytestmark = pytest.mark.django_db
MONDAY = 0


def one_by_one(clinic, practitioner, start, end):
    found = {}
    for therapy in (clinic.prp, clinic.exosome):
        slots = find_free_slots(
            therapy_type=therapy,
            location=clinic.location,
            start=start,
            end=end + timedelta(minutes=therapy.session_minutes),
            practitioner=practitioner,
            limit=None,
        )
        found[therapy.pk] = [slot for slot in slots if slot.start < end]
    return found


def test_the_same_slots_as_one_search_per_therapy_around_appointments_time_off_and_a_busy_centrifuge(clinic):
    day = future_weekday(MONDAY)
    practitioner, other = clinic.practitioners
    appointment_book(
        patient=PatientFactory(), therapy_type=clinic.prp, practitioner=practitioner, start=local_time(day, 10)
    )
    # The other practitioner holds the only centrifuge at 13:00: PRP cannot start then, exosome (no device) can.
    appointment_book(patient=PatientFactory(), therapy_type=clinic.prp, practitioner=other, start=local_time(day, 13))
    TimeOffFactory(practitioner=practitioner, start=local_time(day, 15), end=local_time(day, 16, 30))
    start, end = local_time(day, 8), local_time(day + timedelta(days=1), 18)

    shared = free_starts_by_therapy(
        therapy_types=[clinic.prp, clinic.exosome],
        location=clinic.location,
        practitioner=practitioner,
        start=start,
        end=end,
    )

    assert shared == one_by_one(clinic, practitioner, start, end)
    prp_starts = {slot.start for slot in shared[clinic.prp.pk]}
    exosome_starts = {slot.start for slot in shared[clinic.exosome.pk]}
    assert local_time(day, 13) in exosome_starts and local_time(day, 13) not in prp_starts
    assert local_time(day, 10) not in exosome_starts and local_time(day, 15) not in exosome_starts


def test_a_closed_day_has_no_starts_and_few_queries_whatever_the_therapies(clinic, django_assert_max_num_queries):
    day = future_weekday(MONDAY)
    LocationClosure.objects.create(location=clinic.location, date=day, name="Staff training")
    start, end = local_time(day, 8), local_time(day + timedelta(days=1), 18)

    with django_assert_max_num_queries(7):  # five shared, one per therapy for working hours
        shared = free_starts_by_therapy(
            therapy_types=[clinic.prp, clinic.exosome],
            location=clinic.location,
            practitioner=clinic.practitioners[0],
            start=start,
            end=end,
        )

    assert shared == one_by_one(clinic, clinic.practitioners[0], start, end)
    assert all(slot.start.astimezone(clinic.location.zone).date() != day for slots in shared.values() for slot in slots)
    assert shared[clinic.prp.pk]
