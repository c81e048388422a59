"""Real concurrent clients: 20 threads, each with its own database connection, race for one slot.

The suite runs on SQLite (IMMEDIATE transactions serialise the writers) and on PostgreSQL (row locks, with the
exclusion constraints behind them); on both exactly one booking wins and every other gets SlotUnavailable.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from care.booking import appointment_book
from clinic.exceptions import SlotUnavailable
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES
from scheduling.models import Appointment
from tests.factories import (
    PatientFactory,
    PractitionerFactory,
    RoomFactory,
    WorkingHoursFactory,
    future_weekday,
    local_time,
)

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20
MONDAY = 0


def race(calls) -> list:
    """Run each call in its own thread and connection, all released at once; returns results or exceptions."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            connection.ensure_connection()  # connect first, so the race is about booking, not connecting
            barrier.wait(timeout=30)
            outcomes[index] = call()
        except Exception as exc:  # noqa: BLE001 - every outcome is examined by the test
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a booking thread hung"
    return outcomes


def exactly_one_wins(outcomes) -> Appointment:
    winners = [outcome for outcome in outcomes if isinstance(outcome, Appointment)]
    others = [outcome for outcome in outcomes if not isinstance(outcome, Appointment)]
    assert len(winners) == 1, outcomes
    assert len(others) == THREADS - 1
    assert all(type(outcome) is SlotUnavailable for outcome in others), {repr(outcome) for outcome in others}
    return winners[0]


def booking(**kwargs):
    return lambda: appointment_book(**kwargs)


def test_twenty_patients_race_for_one_practitioners_slot(clinic):
    start = local_time(future_weekday(MONDAY), 10)
    practitioner = clinic.practitioners[0]
    patients = [PatientFactory() for _ in range(THREADS)]
    outcomes = race(
        [
            booking(
                patient=patient,
                therapy_type=clinic.exosome,
                product=clinic.plant_product,
                practitioner=practitioner,
                start=start,
            )
            for patient in patients
        ]
    )
    winner = exactly_one_wins(outcomes)
    assert list(Appointment.objects.values_list("pk", flat=True)) == [winner.pk]


def test_two_practitioners_race_for_the_single_centrifuge(clinic):
    RoomFactory(location=clinic.location)  # rooms to spare: only the centrifuge is scarce
    start = local_time(future_weekday(MONDAY), 10)
    outcomes = race(
        [
            booking(
                patient=PatientFactory(),
                therapy_type=clinic.prp,
                practitioner=clinic.practitioners[index % 2],
                start=start + timedelta(minutes=15 * (index // 2 % 2)),  # overlapping, not identical, times
            )
            for index in range(THREADS)
        ]
    )
    winner = exactly_one_wins(outcomes)
    assert winner.device == clinic.centrifuge
    assert Appointment.objects.filter(device=clinic.centrifuge, status__in=ACTIVE_APPOINTMENT_STATUSES).count() == 1


def test_one_patient_booked_twenty_times_at_once(clinic):
    monday = future_weekday(MONDAY)
    practitioners = list(clinic.practitioners)
    for _ in range(THREADS - len(practitioners)):
        practitioner = PractitionerFactory(therapy_types=[clinic.exosome], locations=[clinic.location])
        WorkingHoursFactory(practitioner=practitioner, location=clinic.location, weekday=MONDAY)
        practitioners.append(practitioner)
    for _ in range(THREADS - len(clinic.rooms)):
        RoomFactory(location=clinic.location)
    patient = PatientFactory()
    outcomes = race(
        [
            booking(
                patient=patient,
                therapy_type=clinic.exosome,
                product=clinic.plant_product,
                practitioner=practitioner,
                start=local_time(monday, 10),
            )
            for practitioner in practitioners
        ]
    )
    exactly_one_wins(outcomes)
    assert patient.appointments.count() == 1
