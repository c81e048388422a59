from datetime import datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests import factories

LONDON = ZoneInfo("Europe/London")


def next_weekday_at(hour: int, days_ahead: int = 7, minute: int = 0) -> datetime:
    """A weekday at least `days_ahead` days from now at hour:minute London time (inside the clinic's hours)."""
    day = timezone.localdate() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


@pytest.fixture
def records(clinic):
    """One of everything the API serves: a patient with a condition, a PRP plan with a session, an appointment."""
    patient = factories.PatientFactory()
    condition = factories.ConditionFactory(code="pregnancy", name="Pregnancy")
    other_condition = factories.ConditionFactory(code="fish-allergy", name="Fish allergy")
    patient_condition = factories.PatientConditionFactory(patient=patient, condition=condition, active=False)
    rule = factories.ContraindicationFactory(condition=condition, therapy_type=clinic.prp)
    plan = factories.TreatmentPlanFactory(patient=patient, therapy_type=clinic.prp, override_reason="Reviewed.")
    session = factories.TreatmentSessionFactory(plan=plan, sequence=1)
    start = next_weekday_at(10)
    appointment = factories.AppointmentFactory(
        patient=patient,
        practitioner=clinic.practitioners[0],
        location=clinic.location,
        room=clinic.rooms[0],
        device=clinic.centrifuge,
        therapy_type=clinic.prp,
        start=start,
        end=start + timedelta(minutes=clinic.prp.session_minutes),
    )
    reminder = factories.ReminderFactory(appointment=appointment)
    return SimpleNamespace(
        clinic=clinic,
        patient=patient,
        condition=condition,
        other_condition=other_condition,
        patient_condition=patient_condition,
        rule=rule,
        plan=plan,
        session=session,
        appointment=appointment,
        reminder=reminder,
        lot=clinic.plant_lot,
    )
