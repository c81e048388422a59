from datetime import timedelta
from types import SimpleNamespace

import pytest

from patients.choices import ConditionKind, ConditionSource
from scheduling.choices import AppointmentStatus
from tests import clock, factories
from tests.api.conftest import next_weekday_at
from treatments.choices import SessionStatus


@pytest.fixture
def chart(clinic):
    """One patient's whole record: a condition, a medication that ended, an allergy they declared, an exosome course
    (session 1 given with a lot, session 2 booked, session 3 not yet), a one-off PRP visit with its own consent."""
    patient = factories.PatientFactory(first_name="Jane", last_name="Doe", phone="+447700900123")
    practitioner = clinic.practitioners[0]
    conditions = SimpleNamespace(
        heart=factories.PatientConditionFactory(
            patient=patient,
            condition=factories.ConditionFactory(code="cardiovascular-disease", name="Cardiovascular disease"),
            since=clock.today() - timedelta(days=400),
            note="Stable on review.",
        ),
        warfarin=factories.PatientConditionFactory(
            patient=patient,
            condition=factories.ConditionFactory(
                code="anticoagulant-therapy", name="Anticoagulant therapy", kind=ConditionKind.MEDICATION
            ),
            since=clock.today() - timedelta(days=200),
            until=clock.today() - timedelta(days=100),
        ),
        fish=factories.PatientConditionFactory(
            patient=patient,
            condition=factories.ConditionFactory(code="fish-allergy", name="Fish allergy", kind=ConditionKind.ALLERGY),
            source=ConditionSource.PATIENT,
            verified=False,
        ),
    )
    plan = factories.TreatmentPlanFactory(
        patient=patient,
        therapy_type=clinic.exosome,
        product=clinic.plant_product,
        sessions_planned=3,
        notes="Course agreed after review.",
    )
    sessions = [
        factories.TreatmentSessionFactory(plan=plan, sequence=number, status=status)
        for number, status in ((1, SessionStatus.COMPLETED), (2, SessionStatus.BOOKED), (3, SessionStatus.PLANNED))
    ]
    plan_consent = factories.ConsentFactory(plan=plan, patient=patient)
    given_at = next_weekday_at(10, days_ahead=-30)
    visit = factories.AppointmentFactory(
        patient=patient,
        practitioner=practitioner,
        location=clinic.location,
        room=clinic.rooms[0],
        therapy_type=clinic.exosome,
        session=sessions[0],
        plan=plan,
        start=given_at,
        end=given_at + timedelta(minutes=45),
        status=AppointmentStatus.COMPLETED,
        product=clinic.plant_product,
        product_lot=clinic.plant_lot,
        notes="Injected 2 ml, no reaction.",
        consent=plan_consent,
        completed_at=given_at + timedelta(minutes=45),
    )
    next_at = next_weekday_at(11)
    booked = factories.AppointmentFactory(
        patient=patient,
        practitioner=practitioner,
        location=clinic.location,
        room=clinic.rooms[0],
        therapy_type=clinic.exosome,
        session=sessions[1],
        plan=plan,
        start=next_at,
        end=next_at + timedelta(minutes=45),
        product=clinic.plant_product,
        consent=plan_consent,
    )
    one_off_consent = factories.ConsentFactory(plan=None, patient=patient, consented_to="One PRP session")
    one_off_at = next_weekday_at(14)
    one_off = factories.AppointmentFactory(
        patient=patient,
        practitioner=clinic.practitioners[1],
        location=clinic.location,
        room=clinic.rooms[1],
        device=clinic.centrifuge,
        therapy_type=clinic.prp,
        start=one_off_at,
        end=one_off_at + timedelta(minutes=60),
        consent=one_off_consent,
    )
    return SimpleNamespace(
        clinic=clinic,
        patient=patient,
        practitioner=practitioner,
        conditions=conditions,
        plan=plan,
        sessions=sessions,
        plan_consent=plan_consent,
        visit=visit,
        booked=booked,
        one_off_consent=one_off_consent,
        one_off=one_off,
    )
