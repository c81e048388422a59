"""One lock order (plan, then appointment, then resources: scheduling.locks) under real concurrency.

On one plan, at once, in threads with their own PostgreSQL connections: the practitioner completes session 1, the
patient answers session 2's questionnaire, the patient moves session 3 by the link in their email, and the front
desk records consent on session 2. They arrive while another change holds the plan, so they all queue on it and
then go in the order PostgreSQL grants it: any of them taking an appointment before its plan deadlocks (PostgreSQL
breaks the cycle by failing one). Twenty rounds: nothing deadlocks, every one of the four writes is kept.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction

from care.booking import appointment_book, appointment_check_in, appointment_complete
from care.questionnaire import questionnaire_submit_by_link
from care.records import appointment_consent_record
from messaging.emails import appointment_link_token
from patients.models import PatientCondition
from portal.self_service import appointment_reschedule_by_link, reschedule_alternatives
from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment, QuestionnaireAnswer
from tests.factories import (
    ConditionFactory,
    PatientFactory,
    front_desk_user,
    future_weekday,
    local_time,
    open_plan,
    practitioner_user,
)
from treatments.choices import PlanStatus, SessionStatus
from treatments.plans import plan_lock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 20
MONDAY = 0
# A PRP course: sessions 28 to 42 days apart. Each round books its three visits on Mondays 28 days apart and the
# next round starts after them, so rounds never compete for the same practitioner or centrifuge.
ROUND_DAYS = 63
HOLD_SECONDS = 0.5


def race_behind_the_plan(plan, calls) -> list:
    """Run each call in its own thread and connection while this thread holds the plan's lock for a moment (as
    another change to the plan would), then let them go; returns results or exceptions."""
    outcomes: list = [None] * len(calls)
    ready = threading.Barrier(len(calls) + 1)

    def run(index, call):
        try:
            connection.ensure_connection()
            ready.wait(timeout=30)
            outcomes[index] = call()
        except Exception as exc:  # noqa: BLE001 - every outcome is examined by the test
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    with transaction.atomic():
        plan_lock(plan.pk)
        for thread in threads:
            thread.start()
        ready.wait(timeout=30)
        time.sleep(HOLD_SECONDS)
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcomes


def _course(clinic, clock, first_day, practitioner):
    """A fresh patient's plan with sessions 1-3 booked; at session 1's time, checked in."""
    clock.move_to(local_time(first_day - timedelta(days=3), 8))
    plan = open_plan(patient=PatientFactory(), therapy_type=clinic.prp, by=practitioner, start_date=first_day)
    visits = [
        appointment_book(
            patient=plan.patient,
            therapy_type=clinic.prp,
            practitioner=clinic.practitioners[0],
            start=local_time(first_day + timedelta(days=28 * index), 10),
            session=plan.sessions.get(sequence=index + 1),
        )
        for index in range(3)
    ]
    clock.move_to(visits[0].start + timedelta(minutes=5))
    visits[0] = appointment_check_in(appointment=visits[0])
    return plan, visits


def _four_writes(given, answered, moved, new_start, declared, practitioner, front_desk) -> list:
    questionnaire = appointment_link_token(answered, action="questionnaire")
    reschedule = appointment_link_token(moved, action="reschedule")
    return [
        lambda: appointment_complete(appointment=given, by=practitioner, notes="Went well."),
        lambda: questionnaire_submit_by_link(token=questionnaire, condition_ids=[declared.pk]),
        lambda: appointment_reschedule_by_link(token=reschedule, start=new_start),
        lambda: appointment_consent_record(appointment=answered, method="written", text_version="v2", by=front_desk),
    ]


def test_completing_answering_moving_and_consenting_at_once_on_one_plan(clinic, clock):
    practitioner = practitioner_user()
    front_desk = front_desk_user()
    declared = ConditionFactory(code="seasonal-allergy", name="Seasonal allergy")
    first_day = future_weekday(MONDAY)
    for round_number in range(ROUNDS):
        plan, (given, answered, moved) = _course(
            clinic, clock, first_day + timedelta(days=ROUND_DAYS * round_number), practitioner
        )
        consents_before = plan.consents.count()
        new_start = next(
            slot.start for slot in reschedule_alternatives(moved) if slot.start.date() == moved.start.date()
        )
        outcomes = race_behind_the_plan(
            plan, _four_writes(given, answered, moved, new_start, declared, practitioner, front_desk)
        )

        assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], (round_number, outcomes)
        given.refresh_from_db()
        assert given.status == AppointmentStatus.COMPLETED and given.notes == "Went well."
        assert given.session.status == SessionStatus.COMPLETED
        assert QuestionnaireAnswer.objects.filter(appointment=answered).count() == 1
        assert PatientCondition.objects.filter(patient=plan.patient, condition=declared, active=True).exists()
        moved.refresh_from_db()
        assert (moved.start, moved.sequence, moved.status) == (new_start, 1, AppointmentStatus.BOOKED)
        assert moved.session.scheduled_date == new_start.date()
        answered = Appointment.objects.get(pk=answered.pk)
        assert answered.status == AppointmentStatus.BOOKED and not answered.on_hold
        plan.refresh_from_db()
        assert plan.status == PlanStatus.ACTIVE and plan.consents.count() == consents_before + 1
