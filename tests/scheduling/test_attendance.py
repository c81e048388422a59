"""Attendance: late cancellations at the policy's edge, and the counts every role reads on a patient."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from care.booking import appointment_book, appointment_cancel, appointment_no_show
from patients.selectors import NO_SHOW_STATUS
from scheduling.choices import AppointmentStatus
from tests.factories import PatientFactory, future_weekday, local_time

pytestmark = pytest.mark.django_db

POLICY_HOURS = 24


@pytest.fixture(autouse=True)
def _policy(settings):
    settings.CLINIC_CANCELLATION_POLICY_HOURS = POLICY_HOURS


def book(clinic, hour, patient):
    return appointment_book(
        patient=patient,
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[0],
        start=local_time(future_weekday(0, after_days=7), hour),
    )


def test_a_cancellation_is_late_from_the_policy_edge_on(clinic):
    patient = PatientFactory()
    on_time, at_edge, just_late = (book(clinic, hour, patient) for hour in (9, 11, 13))
    policy = timedelta(hours=POLICY_HOURS)
    with time_machine.travel(on_time.start - policy - timedelta(seconds=1), tick=False):
        assert appointment_cancel(appointment=on_time).late_cancellation is False
    with time_machine.travel(at_edge.start - policy, tick=False):
        assert appointment_cancel(appointment=at_edge).late_cancellation is False
    with time_machine.travel(just_late.start - policy + timedelta(seconds=1), tick=False):
        assert appointment_cancel(appointment=just_late).late_cancellation is True


def test_patients_carry_their_counts_for_every_role_in_one_statement(clinic, front_desk_api, practitioner_api):
    patient = PatientFactory(last_name="Counted")
    late, missed, kept = (book(clinic, hour, patient) for hour in (9, 11, 13))
    with time_machine.travel(late.start - timedelta(hours=1), tick=False):
        appointment_cancel(appointment=late, reason="Ill")
    with time_machine.travel(missed.start + timedelta(minutes=30), tick=False):
        appointment_no_show(appointment=missed)
    for _ in range(5):
        PatientFactory(last_name="Counted")
    for api in (front_desk_api, practitioner_api):
        detail = api.get(f"/api/v1/patients/{patient.pk}/").json()
        assert (detail["no_show_count"], detail["late_cancellation_count"]) == (1, 1)
    with CaptureQueriesContext(connection) as queries:
        listed = front_desk_api.get("/api/v1/patients/?search=Counted").json()
    counts = {row["id"]: (row["no_show_count"], row["late_cancellation_count"]) for row in listed["results"]}
    assert counts.pop(patient.pk) == (1, 1) and set(counts.values()) == {(0, 0)}
    patient_reads = [query for query in queries.captured_queries if "patients_patient" in query["sql"]]
    assert len(patient_reads) == 1  # the page, its count and both counts per row in one statement
    assert kept.status == AppointmentStatus.BOOKED


def test_the_no_show_status_patients_count_is_schedulings():
    assert NO_SHOW_STATUS == AppointmentStatus.NO_SHOW
