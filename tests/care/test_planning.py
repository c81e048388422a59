"""Plan placement: a course of sessions lands in its windows, follows a moved session, and is never lost."""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from care.booking import appointment_book, appointment_check_in, appointment_complete, appointment_reschedule
from care.planning import ALREADY_BOOKED, BOOKED, plan_schedule, plans_flag_closing_windows, session_book_next
from clinic.exceptions import Contraindicated
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES, AppointmentStatus
from scheduling.models import Appointment
from tests.factories import (
    ContraindicationFactory,
    PatientConditionFactory,
    PatientFactory,
    TimeOffFactory,
    future_weekday,
    local_time,
    practitioner_user,
)
from treatments.choices import Indication, SessionStatus, Severity
from treatments.consent import consent_record
from treatments.plans import plan_create

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def monday():
    return future_weekday(0)


def open_plan(clinic, start_date, patient=None):
    return plan_create(
        patient=patient or PatientFactory(),
        therapy_type=clinic.prp,
        indication=Indication.ANDROGENETIC_ALOPECIA,
        by=practitioner_user(),
        start_date=start_date,
    )


def placed(plan):
    """(local date, local time, practitioner id) of each session's active appointment, in session order."""
    rows = []
    for session in plan.sessions.order_by("sequence"):
        appointment = session.appointments.filter(status__in=ACTIVE_APPOINTMENT_STATUSES).first()
        if appointment is None:
            rows.append(None)
            continue
        local = appointment.start.astimezone(LONDON)
        assert session.window_start <= local.date() <= session.window_end
        rows.append((local.date(), local.time(), appointment.practitioner_id))
    return rows


def away(practitioners, first: date, last: date):
    for practitioner in practitioners:
        TimeOffFactory(
            practitioner=practitioner, start=local_time(first, 0), end=local_time(last + timedelta(days=1), 0)
        )


def test_a_three_session_plan_is_placed_earliest_with_the_same_practitioner_and_hour(clinic, monday):
    plan = open_plan(clinic, monday)
    results = plan_schedule(plan=plan)
    assert [(r.sequence, r.reason) for r in results] == [(1, BOOKED), (2, BOOKED), (3, BOOKED)]
    first = clinic.practitioners[0].pk
    assert placed(plan) == [
        (monday, time(9), first),
        (monday + timedelta(days=28), time(9), first),
        (monday + timedelta(days=56), time(9), first),
    ]
    assert plan.sessions.filter(status=SessionStatus.BOOKED).count() == 3
    # Asking again books nothing more.
    assert {r.reason for r in plan_schedule(plan=plan)} == {ALREADY_BOOKED}
    assert Appointment.objects.count() == 3


def test_placement_prefers_the_practitioner_over_the_hour(clinic, monday):
    plan = open_plan(clinic, monday)
    day_two = monday + timedelta(days=28)
    appointment_book(
        patient=PatientFactory(),
        therapy_type=clinic.exosome,
        product=clinic.plant_product,
        practitioner=clinic.practitioners[0],
        start=local_time(day_two, 9),
    )
    plan_schedule(plan=plan)
    # 09:00-09:45 plus buffer: the same practitioner's next free time on the earliest day is 10:00.
    assert placed(plan)[1] == (day_two, time(10), clinic.practitioners[0].pk)


def test_moving_session_one_by_two_weeks_moves_the_later_sessions_into_their_windows(clinic, monday):
    plan = open_plan(clinic, monday)
    plan_schedule(plan=plan)
    first = plan.sessions.get(sequence=1).appointments.get()
    appointment_reschedule(appointment=first, start=local_time(monday + timedelta(days=14), 9))
    practitioner = clinic.practitioners[0].pk
    assert placed(plan) == [
        (monday + timedelta(days=14), time(9), practitioner),
        (monday + timedelta(days=42), time(9), practitioner),  # new window: 28 to 42 days after session 1
        (monday + timedelta(days=70), time(9), practitioner),
    ]
    assert Appointment.objects.filter(status__in=ACTIVE_APPOINTMENT_STATUSES).count() == 3
    assert all(a.sequence == 1 for a in Appointment.objects.all())  # each moved once, patients told once
    plan.refresh_from_db()
    assert not plan.needs_attention


def test_a_later_session_that_fits_nowhere_is_unbooked_and_the_plan_flagged(clinic, monday):
    plan = open_plan(clinic, monday)
    plan_schedule(plan=plan)
    second = plan.sessions.get(sequence=2)
    second_appointment = second.appointments.get()
    away(clinic.practitioners, monday + timedelta(days=42), monday + timedelta(days=56))
    appointment_reschedule(
        appointment=plan.sessions.get(sequence=1).appointments.get(), start=local_time(monday + timedelta(days=14), 9)
    )
    second_appointment.refresh_from_db()
    second.refresh_from_db()
    plan.refresh_from_db()
    assert second_appointment.status == AppointmentStatus.CANCELLED
    assert "Session 2" in second_appointment.cancel_reason
    assert second.status == SessionStatus.PLANNED
    assert plan.needs_attention and "Session 2" in plan.attention_reason
    assert placed(plan)[1] is None and placed(plan)[2] is not None  # session 3 followed its new window


def test_a_session_without_a_slot_flags_the_plan_and_the_later_ones_wait(clinic, monday):
    plan = open_plan(clinic, monday)
    away(clinic.practitioners, monday - timedelta(days=7), monday + timedelta(days=43))
    results = plan_schedule(plan=plan)
    assert [r.appointment_id for r in results] == [None, None, None]
    assert "No free slot for session 1" in results[0].reason
    assert all("Waits for session 1" in r.reason for r in results[1:])
    plan.refresh_from_db()
    assert plan.needs_attention and "session 1" in plan.attention_reason
    assert not Appointment.objects.exists()


def test_screening_refuses_the_whole_schedule(clinic, monday):
    patient = PatientFactory()
    plan = open_plan(clinic, monday, patient)
    rule = ContraindicationFactory(therapy_type=clinic.prp, severity=Severity.ABSOLUTE)
    PatientConditionFactory(patient=patient, condition=rule.condition)
    with pytest.raises(Contraindicated):
        plan_schedule(plan=plan)
    assert not Appointment.objects.exists()


def complete_first_session(clinic, plan, monday):
    by = practitioner_user()
    consent_record(plan=plan, method="written", text_version="v1", by=by)
    appointment = appointment_book(
        patient=plan.patient,
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[1],
        start=local_time(monday, 11),
        session=plan.sessions.get(sequence=1),
    )
    with time_machine.travel(local_time(monday, 11, 5), tick=False):
        appointment_complete(appointment=appointment_check_in(appointment=appointment), by=by)
    return plan.sessions.get(sequence=1)


def test_booking_the_next_session_after_completion_is_idempotent(clinic, monday):
    plan = open_plan(clinic, monday)
    first = complete_first_session(clinic, plan, monday)
    booked = session_book_next(session_id=first.pk)
    local = booked.start.astimezone(LONDON)
    assert (local.date(), local.time(), booked.practitioner) == (
        monday + timedelta(days=28),
        time(11),
        clinic.practitioners[1],
    )
    assert session_book_next(session_id=first.pk) == booked
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1


def test_booking_the_next_session_flags_the_plan_when_screening_now_refuses(clinic, monday):
    plan = open_plan(clinic, monday)
    first = complete_first_session(clinic, plan, monday)
    rule = ContraindicationFactory(therapy_type=clinic.prp, severity=Severity.ABSOLUTE)
    PatientConditionFactory(patient=plan.patient, condition=rule.condition)
    assert session_book_next(session_id=first.pk) is None
    plan.refresh_from_db()
    assert plan.needs_attention and "Session 2 was not booked" in plan.attention_reason
    assert plan.sessions.get(sequence=2).status == SessionStatus.PLANNED


def test_plans_with_a_closing_window_are_flagged_once(clinic):
    today = date.today()
    closing = open_plan(clinic, today - timedelta(days=40))  # session 1 must happen within 2 days
    open_plan(clinic, today)  # plenty of time
    assert plans_flag_closing_windows(today=today, days=7) == 1
    closing.refresh_from_db()
    assert closing.needs_attention and "Session 1 is not booked" in closing.attention_reason
    assert plans_flag_closing_windows(today=today, days=7) == 0
