"""A property of the life cycle: no appointment is ever checked in or completed while its patient is blocked for
its therapy on its treatment date, and a future appointment is on hold exactly when its patient is blocked then.

Hypothesis draws sequences of book / record condition / end condition / check-in / complete / cancel / release on
two patients of one clinic; the oracle is written from the rule itself (an active blood thinner whose dates cover
the day rules PRP out), not from the code under test.
"""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from care import booking, holds
from clinic.exceptions import DomainError
from patients.models import PatientCondition
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES
from scheduling.models import Appointment
from tests import factories
from tests.factories import future_weekday, local_time
from treatments.choices import Severity

pytestmark = pytest.mark.django_db

ACTIONS = ("book", "record", "end", "check_in", "complete", "cancel", "release")
STEPS = st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 1), st.integers(0, 2)), min_size=3, max_size=14)


@pytest.fixture
def world():
    clinic = factories.build_clinic()
    thinner = factories.ConditionFactory(code="anticoagulant-therapy", name="Anticoagulant therapy")
    factories.ContraindicationFactory(condition=thinner, therapy_type=clinic.prp, severity=Severity.ABSOLUTE)
    patients = [factories.PatientFactory() for _ in range(2)]
    return clinic, thinner, patients, factories.practitioner_user(), factories.front_desk_user()


def blocked(patient, day: date, thinner) -> bool:
    """The rule itself: an active blood thinner from its start (if any) to its end (if any) rules PRP out."""
    return any(
        (since is None or since <= day) and (until is None or day <= until)
        for since, until in PatientCondition.objects.filter(
            patient=patient, condition=thinner, active=True
        ).values_list("since", "until")
    )


def treatment_date(appointment) -> date:
    return timezone.localtime(appointment.start, appointment.location.zone).date()


def run(step, *, clinic, thinner, patients, doctor, desk, first_day):
    action, who, which = step
    patient = patients[who]
    mine = list(Appointment.objects.filter(patient=patient).order_by("pk"))
    appointment = mine[which % len(mine)] if mine else None
    if action == "book":
        # Each patient has their own hour; `which` picks the week, so bookings rarely collide.
        booking.appointment_book(
            patient=patient,
            therapy_type=clinic.prp,
            practitioner=clinic.practitioners[0],
            start=local_time(first_day + timedelta(weeks=which), 10 + 2 * who),
            by=desk,
        )
    elif action == "record":
        existing = PatientCondition.objects.filter(patient=patient, condition=thinner).first()
        if existing is None:
            holds.patient_condition_record(patient=patient, condition=thinner, by=doctor)
        else:
            holds.patient_condition_update(patient_condition=existing, by=doctor, active=True, until=None)
    elif action == "end":
        existing = PatientCondition.objects.filter(patient=patient, condition=thinner).first()
        if existing is not None:
            # Ended today (a later visit is clear), or stopped altogether.
            change = {"until": timezone.localdate()} if which % 2 else {"active": False}
            holds.patient_condition_update(patient_condition=existing, by=doctor, **change)
    elif appointment is None:
        return
    elif action in ("check_in", "complete"):
        was_blocked = blocked(patient, treatment_date(appointment), thinner)
        with time_machine.travel(appointment.start + timedelta(minutes=5), tick=False):
            if action == "check_in":
                done = booking.appointment_check_in(appointment=appointment, by=desk)
            else:
                done = booking.appointment_complete(appointment=appointment, by=doctor)
        assert not was_blocked, f"{action} went through for a blocked patient: {done}"
    elif action == "cancel":
        booking.appointment_cancel(appointment=appointment, by=desk, reason="test")
    elif action == "release":
        holds.appointment_release(appointment=appointment, by=doctor)


def holds_match_the_rule(thinner):
    for appointment in Appointment.objects.filter(status__in=ACTIVE_APPOINTMENT_STATUSES, end__gt=timezone.now()):
        expected = blocked(appointment.patient, treatment_date(appointment), thinner)
        assert appointment.on_hold == expected, appointment


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
# The paths that matter most, always tried: held then checked in; checked in, then held, then completed.
@example(steps=[("book", 0, 0), ("record", 0, 0), ("check_in", 0, 0)])
@example(steps=[("book", 1, 1), ("check_in", 1, 0), ("record", 1, 0), ("complete", 1, 0)])
@example(steps=[("book", 0, 0), ("record", 0, 0), ("release", 0, 0), ("end", 0, 1), ("check_in", 0, 0)])
def test_no_blocked_patient_is_ever_checked_in_or_treated(world, steps):
    clinic, thinner, patients, doctor, desk = world
    first_day = future_weekday(0, after_days=3)
    with transaction.atomic():
        for step in steps:
            try:
                with transaction.atomic():
                    run(
                        step,
                        clinic=clinic,
                        thinner=thinner,
                        patients=patients,
                        doctor=doctor,
                        desk=desk,
                        first_day=first_day,
                    )
            except DomainError:
                pass  # a refusal is an allowed answer; what matters is that nothing unsafe went through
            holds_match_the_rule(thinner)
        transaction.set_rollback(True)
