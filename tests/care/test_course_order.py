"""Courses keep their order: sessions stay in sequence inside their intervals, or the plan asks for a person."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from care.booking import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_no_show,
    appointment_reschedule,
)
from clinic.exceptions import DomainError
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES, AppointmentStatus
from scheduling.models import Appointment
from tests.api.conftest import next_weekday_at
from tests.factories import future_weekday, local_time, open_plan, practitioner_user
from treatments.choices import SessionStatus

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def book_session(clinic, plan, sequence, day, hour=10):
    return appointment_book(
        patient=plan.patient,
        therapy_type=plan.therapy_type,
        practitioner=clinic.practitioners[0],
        start=local_time(weekday_on_or_after(day), hour),
        session=plan.sessions.get(sequence=sequence),
    )


def exosome_course(clinic, start_date):
    """Exosome, 3 sessions, 21 to 35 days apart."""
    return open_plan(product=clinic.plant_product, by=practitioner_user(), start_date=start_date)


def test_an_earlier_session_cannot_go_after_a_later_booked_one(clinic):
    monday = future_weekday(0)
    plan = exosome_course(clinic, monday)
    first = book_session(clinic, plan, 1, monday)
    second = book_session(clinic, plan, 2, monday + timedelta(days=21))
    appointment_cancel(appointment=first)
    with pytest.raises(DomainError) as refused:
        book_session(clinic, plan, 1, second.start.date() + timedelta(days=1))
    assert refused.value.code == "outside_plan_window"
    assert plan.sessions.get(sequence=1).status == SessionStatus.PLANNED


def test_moving_a_session_moves_the_later_ones_and_the_answer_says_so(clinic, practitioner_api):
    start = next_weekday_at(10)
    plan = exosome_course(clinic, start.date())
    first = book_session(clinic, plan, 1, start.date())
    second = book_session(clinic, plan, 2, start.date() + timedelta(days=21))
    later = weekday_on_or_after(start.date() + timedelta(days=14))
    answer = practitioner_api.post(
        f"/api/v1/appointments/{first.pk}/reschedule/",
        {"start": local_time(later, 10).isoformat()},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    cascade = answer.json()["cascade"]
    assert [entry["appointment"] for entry in cascade] == [second.pk]
    second.refresh_from_db()
    assert cascade[0]["status"] == second.status == AppointmentStatus.BOOKED
    gap = (second.start.astimezone(LONDON).date() - later).days
    assert plan.min_interval_days <= gap <= plan.max_interval_days


def test_a_missed_plan_session_puts_the_plan_on_the_attention_list(clinic):
    monday = future_weekday(0)
    plan = exosome_course(clinic, monday)
    first = book_session(clinic, plan, 1, monday)
    with time_machine.travel(first.start + timedelta(minutes=20), tick=False):
        appointment_no_show(appointment=first)
    plan.refresh_from_db()
    assert plan.needs_attention and "Session 1 was missed" in plan.attention_reason


# --- the property ------------------------------------------------------------------------------------------------

actions = st.lists(
    st.tuples(
        st.sampled_from(["book", "move", "cancel", "complete"]),
        st.integers(min_value=1, max_value=3),  # the session
        st.integers(min_value=0, max_value=100),  # days after the plan's start
        st.sampled_from([9, 11, 14]),  # local hour
    ),
    min_size=1,
    max_size=8,
)


def _active(plan, sequence):
    return Appointment.objects.filter(
        plan=plan, session__sequence=sequence, status__in=ACTIVE_APPOINTMENT_STATUSES
    ).first()


def _apply(clinic, plan, action, clock, by):
    kind, sequence, offset, hour = action
    day = plan.start_date + timedelta(days=offset)
    start = datetime.combine(day, time(hour), tzinfo=LONDON)
    appointment = _active(plan, sequence)
    if kind == "book":
        appointment_book(
            patient=plan.patient,
            therapy_type=plan.therapy_type,
            practitioner=clinic.practitioners[offset % 2],
            start=start,
            session=plan.sessions.get(sequence=sequence),
        )
    elif kind == "move" and appointment is not None:
        appointment_reschedule(appointment=appointment, start=start)
    elif kind == "cancel" and appointment is not None:
        appointment_cancel(appointment=appointment)
    elif kind == "complete" and appointment is not None:
        # The clock only goes forward: the visit is given at its time, and everything after happens later.
        clock[0] = max(clock[0], appointment.start + timedelta(minutes=5))
        with time_machine.travel(clock[0], tick=False):
            appointment_check_in(appointment=appointment)
            appointment_complete(appointment=appointment, by=by, product_lot=clinic.plant_lot)


def _course_in_order(plan) -> bool:
    dated = {
        session.sequence: session.scheduled_date
        for session in plan.sessions.filter(status__in=(SessionStatus.BOOKED, SessionStatus.COMPLETED))
    }
    days = [dated[sequence] for sequence in sorted(dated)]
    if days != sorted(days) or len(set(days)) != len(days):
        return False
    return all(
        plan.min_interval_days <= (dated[sequence + 1] - dated[sequence]).days <= plan.max_interval_days
        for sequence in dated
        if sequence + 1 in dated
    )


@pytest.mark.django_db(transaction=False)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=actions)
def test_after_any_book_move_cancel_complete_the_course_is_in_order_or_flagged(clinic, steps):
    start_date = future_weekday(0, after_days=3)
    clock = [timezone.now()]
    with transaction.atomic():
        by = practitioner_user()
        plan = exosome_course(clinic, start_date)
        for action in steps:
            with time_machine.travel(clock[0], tick=False):
                try:
                    with transaction.atomic():
                        _apply(clinic, plan, action, clock, by)
                except DomainError:
                    pass  # a refusal changes nothing
            plan.refresh_from_db()
            assert _course_in_order(plan) or plan.needs_attention, (steps, action)
        transaction.set_rollback(True)
