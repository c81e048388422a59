"""Follow-ups with real parts: completing session 1 makes a worker book session 2 in its window and email it."""

import time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from care.booking import appointment_book, appointment_check_in, appointment_complete
from clinic.celery import app
from messaging.emails import reminder_message_id
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES
from scheduling.models import Appointment
from tests.factories import PatientFactory, future_weekday, local_time, practitioner_user
from tests.integration.celery_harness import wait_for
from treatments.choices import Indication, SessionStatus
from treatments.consent import consent_record
from treatments.plans import plan_create

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
LONDON = ZoneInfo("Europe/London")


def test_completing_session_one_makes_the_worker_book_session_two_in_its_window(clinic, workers, smtp):
    monday = future_weekday(0)
    by = practitioner_user()
    plan = plan_create(
        patient=PatientFactory(),
        therapy_type=clinic.prp,
        indication=Indication.ANDROGENETIC_ALOPECIA,
        by=by,
        start_date=monday,
    )
    consent_record(plan=plan, method="written", text_version="v1", by=by)
    first = appointment_book(
        patient=plan.patient,
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[1],
        start=local_time(monday, 11),
        session=plan.sessions.get(sequence=1),
    )
    workers.start(smtp.url)

    # Only this process travels to the appointment (check-in and completion open at its start); the worker
    # books session 2 by the real clock, in the window that counts from session 1's treatment date.
    with time_machine.travel(first.start, tick=True):
        appointment_complete(appointment=appointment_check_in(appointment=first), by=by)

    second = plan.sessions.get(sequence=2)

    def booked_second():
        second.refresh_from_db()
        return second.status == SessionStatus.BOOKED

    wait_for(booked_second, timeout=30, what=f"session 2 to be booked\n{workers.logs()}")
    follow_up = Appointment.objects.get(session=second, status__in=ACTIVE_APPOINTMENT_STATUSES)
    assert second.window_start <= follow_up.start.astimezone(LONDON).date() <= second.window_end
    assert follow_up.practitioner == clinic.practitioners[1]  # the same practitioner is preferred

    app.send_task("scheduling.tasks.book_next_session", args=[first.session_id])  # a repeat books nothing more
    # Session 1's confirmation, and session 2's from the booking the worker made.
    wait_for(lambda: smtp.count() >= 2, timeout=30, what=f"both confirmations\n{workers.logs()}")
    time.sleep(1.5)  # room for the repeated task to (wrongly) book or send more
    assert Appointment.objects.filter(session=second, status__in=ACTIVE_APPOINTMENT_STATUSES).count() == 1
    ids = smtp.message_ids()
    assert len(ids) == len(set(ids)) == 2
    assert reminder_message_id(follow_up.reminders.get(kind="confirmation")) in ids
