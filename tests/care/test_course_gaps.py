"""A course is given in order (issue 21 item 4): session k is booked only after sessions 1..k-1 are booked, done or
skipped; a cancel or a skip recomputes the windows and moves (or cancels and flags) the later booked sessions, and
the answer lists them in `cascade`; a session is never checked in or completed before the ones ahead of it."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from care.booking import appointment_book, appointment_cancel, appointment_check_in
from clinic.exceptions import DomainError
from scheduling.models import Appointment
from tests.factories import future_weekday, local_time, open_plan, practitioner_user
from treatments.choices import SessionStatus

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def course(clinic):
    """Exosome, 3 sessions 21 to 35 days apart, from a Monday."""
    monday = future_weekday(0, after_days=3)
    return open_plan(product=clinic.plant_product, by=practitioner_user(), start_date=monday), monday


def book(clinic, plan, sequence, day, hour=10):
    return appointment_book(
        patient=plan.patient,
        therapy_type=plan.therapy_type,
        practitioner=clinic.practitioners[0],
        start=local_time(weekday(day), hour),
        session=plan.sessions.get(sequence=sequence),
    )


def local_day(appointment: Appointment) -> date:
    return appointment.start.astimezone(LONDON).date()


def test_session_two_cannot_be_booked_before_session_one(clinic, front_desk_api):
    plan, monday = course(clinic)
    second = plan.sessions.get(sequence=2)
    answer = front_desk_api.post(
        "/api/v1/appointments/",
        {
            "patient": plan.patient_id,
            "therapy_type": plan.therapy_type_id,
            "practitioner": clinic.practitioners[0].pk,
            "start": local_time(weekday(second.window_start), 10).isoformat(),
            "session": second.pk,
        },
        format="json",
    )
    assert answer.status_code == 409, answer.content
    assert answer.json()["code"] == "outside_plan_window"
    assert "Session 1" in answer.json()["detail"]
    assert not Appointment.objects.filter(plan=plan).exists()
    # Session 1 can still be booked, and then session 2.
    first = book(clinic, plan, 1, monday)
    book(clinic, plan, 2, local_day(first) + timedelta(days=21))


def test_cancelling_session_one_moves_a_later_session_out_of_its_new_window(clinic, front_desk_api):
    plan, monday = course(clinic)
    first = book(clinic, plan, 1, monday + timedelta(days=14))
    second = book(clinic, plan, 2, local_day(first) + timedelta(days=30))
    assert local_day(second) > monday + timedelta(days=35)  # outside session 2's window once session 1 is unbooked

    answer = ok(front_desk_api.post(f"/api/v1/appointments/{first.pk}/cancel/", {}, format="json"))

    assert [entry["appointment"] for entry in answer["cascade"]] == [second.pk]
    second.refresh_from_db()
    window = plan.sessions.get(sequence=2)
    if second.status == "booked":
        assert window.window_start <= local_day(second) <= window.window_end
    else:
        plan.refresh_from_db()
        assert plan.needs_attention
    plan.refresh_from_db()
    assert plan.needs_attention and "Session 1" in plan.attention_reason


def test_skipping_a_booked_session_moves_the_next_one_into_its_window(clinic, practitioner_api):
    plan, monday = course(clinic)
    first = book(clinic, plan, 1, monday)
    second = book(clinic, plan, 2, local_day(first) + timedelta(days=21))
    third = book(clinic, plan, 3, local_day(second) + timedelta(days=21))
    assert local_day(third) > local_day(first) + timedelta(days=35)

    skip = f"/api/v1/plans/{plan.pk}/sessions/{second.session_id}/skip/"
    answer = ok(practitioner_api.post(skip, {"reason": "Skin reaction"}, format="json"))

    assert [entry["appointment"] for entry in answer["cascade"]] == [third.pk]
    third.refresh_from_db()
    window = plan.sessions.get(sequence=3)
    assert window.window_start == local_day(first) + timedelta(days=21)
    if third.status == "booked":
        assert window.window_start <= local_day(third) <= window.window_end
    else:
        plan.refresh_from_db()
        assert third.cancelled_by == "clinic" and plan.needs_attention


def test_a_later_session_is_not_checked_in_while_an_earlier_one_waits(clinic):
    plan, monday = course(clinic)
    first = book(clinic, plan, 1, monday + timedelta(days=7))
    second = book(clinic, plan, 2, local_day(first) + timedelta(days=21))
    appointment_cancel(appointment=first)  # session 2 stays inside its window
    second.refresh_from_db()
    assert second.status == "booked"
    assert plan.sessions.get(sequence=1).status == SessionStatus.PLANNED

    with time_machine.travel(second.start - timedelta(minutes=10), tick=False), pytest.raises(DomainError) as refused:
        appointment_check_in(appointment=second)
    assert refused.value.code == "outside_plan_window"
    second.refresh_from_db()
    assert second.status == "booked"
