"""Who cancelled (contract v1.2 `by`): only a patient's late cancel counts against them; a cancelled appointment is
no longer on hold (issue 21 items 8 and 12)."""

import pytest

from care.booking import appointment_book, appointment_cancel
from care.holds import patient_condition_record
from patients.choices import ConditionKind
from tests import clock, factories
from tests.factories import future_weekday, local_time, open_plan, practitioner_user
from treatments.choices import Severity

pytestmark = pytest.mark.django_db


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def _book_today(clinic, patient=None, session=None, hour=10):
    """Today (the tests' clock is a Monday, 08:00) at `hour`: inside the 24-hour cancellation policy, so any cancel
    now is late."""
    day = clock.today()
    plan_patient = session.plan.patient if session else None
    return appointment_book(
        patient=patient or plan_patient or factories.PatientFactory(),
        therapy_type=session.plan.therapy_type if session else clinic.prp,
        practitioner=clinic.practitioners[0],
        start=local_time(day, hour),
        session=session,
    )


def test_a_clinic_cancel_is_not_the_patients_late_cancellation(clinic, front_desk_api):
    patient = factories.PatientFactory()
    by_patient = _book_today(clinic, patient, hour=10)
    by_clinic = _book_today(clinic, patient, hour=14)

    answer = ok(front_desk_api.post(f"/api/v1/appointments/{by_clinic.pk}/cancel/", {"by": "clinic"}, format="json"))
    assert (answer["cancelled_by"], answer["late_cancellation"]) == ("clinic", False)
    answer = ok(front_desk_api.post(f"/api/v1/appointments/{by_patient.pk}/cancel/", {}, format="json"))
    assert (answer["cancelled_by"], answer["late_cancellation"]) == ("patient", True)

    assert ok(front_desk_api.get(f"/api/v1/patients/{patient.pk}/"))["late_cancellation_count"] == 1


def test_cancel_by_takes_patient_or_clinic_only(clinic, front_desk_api):
    appointment = _book_today(clinic)
    answer = front_desk_api.post(f"/api/v1/appointments/{appointment.pk}/cancel/", {"by": "doctor"}, format="json")
    assert answer.status_code == 400 and "by" in answer.json()["errors"]


def test_a_practitioners_plan_cancel_and_skip_are_clinic_cancels(clinic, practitioner_api):
    doctor = practitioner_user()
    cancelled_plan = open_plan(therapy_type=clinic.prp, by=doctor, start_date=clock.today())
    skipped_plan = open_plan(therapy_type=clinic.prp, by=doctor, start_date=clock.today())
    first = _book_today(clinic, session=cancelled_plan.sessions.get(sequence=1), hour=10)
    other = _book_today(clinic, session=skipped_plan.sessions.get(sequence=1), hour=14)

    ok(practitioner_api.post(f"/api/v1/plans/{cancelled_plan.pk}/cancel/", {"reason": "Moving abroad"}, format="json"))
    skip = f"/api/v1/plans/{skipped_plan.pk}/sessions/{other.session_id}/skip/"
    ok(practitioner_api.post(skip, {"reason": "Flare"}, format="json"))

    for appointment in (first, other):
        seen = ok(practitioner_api.get(f"/api/v1/appointments/{appointment.pk}/"))
        assert (seen["status"], seen["cancelled_by"], seen["late_cancellation"]) == ("cancelled", "clinic", False)
    for plan in (cancelled_plan, skipped_plan):
        assert ok(practitioner_api.get(f"/api/v1/patients/{plan.patient_id}/"))["late_cancellation_count"] == 0


def test_a_cancelled_appointment_is_no_longer_on_hold(clinic, front_desk_api):
    blood_thinner = factories.ConditionFactory(code="anticoagulant-therapy", kind=ConditionKind.MEDICATION)
    factories.ContraindicationFactory(condition=blood_thinner, therapy_type=clinic.prp, severity=Severity.ABSOLUTE)
    appointment = appointment_book(
        patient=factories.PatientFactory(),
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[0],
        start=local_time(future_weekday(0, after_days=3), 10),
    )
    patient_condition_record(patient=appointment.patient, condition=blood_thinner, by=practitioner_user())
    assert ok(front_desk_api.get(f"/api/v1/appointments/{appointment.pk}/"))["on_hold"] is True

    answer = ok(front_desk_api.post(f"/api/v1/appointments/{appointment.pk}/cancel/", {}, format="json"))
    assert (answer["status"], answer["on_hold"], answer["needs_attention"]) == ("cancelled", False, False)
    assert ok(front_desk_api.get(f"/api/v1/appointments/{appointment.pk}/"))["on_hold"] is False


def test_the_reminders_of_a_held_appointment_are_cancelled_with_it(clinic):
    blood_thinner = factories.ConditionFactory(code="anticoagulant-therapy", kind=ConditionKind.MEDICATION)
    factories.ContraindicationFactory(condition=blood_thinner, therapy_type=clinic.prp, severity=Severity.ABSOLUTE)
    appointment = _book_today(clinic)
    patient_condition_record(patient=appointment.patient, condition=blood_thinner, by=practitioner_user())
    appointment_cancel(appointment=appointment, cancelled_by="clinic")
    statuses = set(appointment.reminders.values_list("kind", "status"))
    assert ("cancellation", "pending") in statuses
    assert "held" not in {status for _, status in statuses}
