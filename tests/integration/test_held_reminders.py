"""A held appointment's reminder with real parts: Redis, a `celery -A clinic worker` with beat, an SMTP server.

The reminder falls due while the appointment is on hold: the worker's sweeps do not send it. The condition ends,
the hold lifts, the reminder is recomputed from the appointment's time and the worker sends it, once.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from care import holds
from messaging.reminders import appointment_reminders_sync
from scheduling.choices import ReminderStatus
from tests.factories import AppointmentFactory, ConditionFactory, ContraindicationFactory, practitioner_user
from tests.integration.celery_harness import wait_for
from treatments.choices import Severity

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_held_reminders_are_not_sent_and_are_sent_once_after_release(clinic, workers, smtp, settings):
    settings.CLINIC_REMINDER_OFFSETS_HOURS = [1]
    thinner = ConditionFactory(code="anticoagulant-therapy", name="Anticoagulant therapy")
    ContraindicationFactory(condition=thinner, therapy_type=clinic.prp, severity=Severity.ABSOLUTE)
    visit = AppointmentFactory(
        location=clinic.location,
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[0],
        start=timezone.now() + timedelta(hours=1, seconds=15),
    )
    doctor = practitioner_user()
    record = holds.patient_condition_record(patient=visit.patient, condition=thinner, by=doctor)
    visit.refresh_from_db()
    assert visit.on_hold
    # Its confirmation is due now and its one-hour reminder in 15 seconds: both are held, not sent.
    appointment_reminders_sync(visit, event="booked")
    assert set(visit.reminders.values_list("status", flat=True)) == {ReminderStatus.HELD}
    workers.start(smtp.url, beat=True)  # sweeps every second
    time.sleep(4)
    assert smtp.count() == 0, workers.logs()

    # The condition ends: the hold lifts, the confirmation goes at once and the reminder at its time, each once.
    holds.patient_condition_update(patient_condition=record, by=doctor, active=False)
    wait_for(lambda: smtp.count() >= 1, timeout=20, what=f"the confirmation\n{workers.logs()}")
    assert smtp.count() == 1  # the reminder waits for its time
    wait_for(lambda: smtp.count() >= 2, timeout=40, what=f"the reminder\n{workers.logs()}")
    time.sleep(1.5)
    assert smtp.count() == 2 and len(set(smtp.message_ids())) == 2
    assert set(visit.reminders.values_list("status", flat=True)) == {ReminderStatus.SENT}
