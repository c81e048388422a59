"""Every visit is a clinical record: one-off products and their screening, consent, lots, and reading it back."""

from datetime import timedelta

import pytest
import time_machine

from care.booking import appointment_book, appointment_check_in, appointment_complete
from care.records import appointment_consent_record
from clinic.exceptions import ConsentMissing, Contraindicated, DomainValidationError
from patients.choices import ConditionKind
from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment
from tests.api.conftest import next_weekday_at
from tests.factories import (
    ConditionFactory,
    ContraindicationFactory,
    PatientConditionFactory,
    PatientFactory,
    ProductLotFactory,
    future_weekday,
    local_time,
    open_plan,
    practitioner_user,
)
from treatments.choices import LotStatus, ProductSource, Severity
from treatments.plans import plan_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def monday():
    return future_weekday(0)


@pytest.fixture
def fish_allergic(clinic):
    allergy = ConditionFactory(code="fish-allergy", name="Fish allergy", kind=ConditionKind.ALLERGY)
    ContraindicationFactory(
        condition=allergy, therapy_type=None, product_source=ProductSource.FISH, severity=Severity.ABSOLUTE
    )
    patient = PatientFactory(first_name="Finn")
    PatientConditionFactory(patient=patient, condition=allergy)
    return patient


def one_off(clinic, start, *, patient=None, product=None, practitioner=None):
    return appointment_book(
        patient=patient or PatientFactory(),
        therapy_type=clinic.exosome,
        practitioner=practitioner or clinic.practitioners[0],
        start=start,
        product=product or clinic.plant_product,
    )


def give(appointment, *, by, consent=True, **record):
    """At the visit's time: consent (unless told not), check in, complete with `record`."""
    if consent:
        appointment_consent_record(appointment=appointment, method="written", text_version="v2", by=by)
    with time_machine.travel(appointment.start + timedelta(minutes=5), tick=False):
        appointment.refresh_from_db()
        if appointment.status == AppointmentStatus.BOOKED:
            appointment = appointment_check_in(appointment=appointment)
        return appointment_complete(appointment=appointment, by=by, **record)


# --- a fish-allergic patient never receives a fish-derived product -----------------------------------------------


def test_fish_allergy_refuses_a_fish_product_on_every_path(clinic, monday, fish_allergic):
    practitioner = practitioner_user()
    # A plan with the fish product.
    with pytest.raises(Contraindicated):
        plan_create(
            patient=fish_allergic,
            therapy_type=clinic.exosome,
            product=clinic.fish_product,
            indication="acne_scars",
            by=practitioner,
        )
    # A one-off with the fish product.
    with pytest.raises(Contraindicated) as refused:
        one_off(clinic, local_time(monday, 10), patient=fish_allergic, product=clinic.fish_product)
    assert [finding["condition_code"] for finding in refused.value.extra["blocking"]] == ["fish-allergy"]
    assert not Appointment.objects.filter(patient=fish_allergic).exists()

    # A one-off with the plant product, completed with the fish product's lot.
    visit = one_off(clinic, local_time(monday, 11), patient=fish_allergic)
    with pytest.raises(DomainValidationError) as wrong_lot:
        give(visit, by=practitioner, product_lot=clinic.fish_lot)
    assert "product_lot" in wrong_lot.value.errors

    # A plan session (plant product) completed with the fish product's lot.
    plan = open_plan(patient=fish_allergic, product=clinic.plant_product, by=practitioner, start_date=monday)
    session_visit = appointment_book(
        patient=fish_allergic,
        therapy_type=clinic.exosome,
        practitioner=clinic.practitioners[1],
        start=local_time(monday, 14),
        session=plan.sessions.get(sequence=1),
    )
    with pytest.raises(DomainValidationError) as wrong_session_lot:
        give(session_visit, by=practitioner, consent=False, product_lot=clinic.fish_lot)
    assert "product_lot" in wrong_session_lot.value.errors

    given_fish = Appointment.objects.filter(patient=fish_allergic, product_lot__product__source=ProductSource.FISH)
    assert not given_fish.exists()
    assert not Appointment.objects.filter(patient=fish_allergic, status=AppointmentStatus.COMPLETED).exists()


def test_an_allergy_recorded_after_booking_refuses_the_one_off_at_completion(clinic, monday):
    practitioner = practitioner_user()
    patient = PatientFactory()
    visit = one_off(clinic, local_time(monday, 10), patient=patient, product=clinic.fish_product)
    allergy = ConditionFactory(code="fish-allergy", name="Fish allergy", kind=ConditionKind.ALLERGY)
    ContraindicationFactory(condition=allergy, therapy_type=None, product_source=ProductSource.FISH)
    # Checked in first: a patient already blocked would have been refused at the door (scheduling.holds).
    with time_machine.travel(visit.start + timedelta(minutes=5), tick=False):
        appointment_check_in(appointment=visit)
    PatientConditionFactory(patient=patient, condition=allergy)
    fish_lot = clinic.fish_lot
    with pytest.raises(Contraindicated):
        give(visit, by=practitioner, product_lot=fish_lot)
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.CHECKED_IN and visit.product_lot is None


# --- one-off products, consent and lots -------------------------------------------------------------------------


def test_a_one_off_names_its_product_where_the_therapy_uses_one(clinic, monday):
    with pytest.raises(DomainValidationError) as missing:
        appointment_book(
            patient=PatientFactory(),
            therapy_type=clinic.exosome,
            practitioner=clinic.practitioners[0],
            start=local_time(monday, 10),
        )
    assert "product" in missing.value.errors
    with pytest.raises(DomainValidationError) as needless:
        appointment_book(
            patient=PatientFactory(),
            therapy_type=clinic.prp,
            practitioner=clinic.practitioners[0],
            start=local_time(monday, 10),
            product=clinic.plant_product,
        )
    assert "product" in needless.value.errors
    assert one_off(clinic, local_time(monday, 10)).product == clinic.plant_product


def test_completion_needs_consent_and_a_released_lot_in_date_on_the_treatment_day(clinic, monday):
    practitioner = practitioner_user()
    visit = one_off(clinic, local_time(monday, 10))
    with pytest.raises(ConsentMissing):
        give(visit, by=practitioner, consent=False, product_lot=clinic.plant_lot)
    appointment_consent_record(appointment=visit, method="verbal", text_version="v2", by=practitioner)
    quarantined = ProductLotFactory(product=clinic.plant_product, status=LotStatus.QUARANTINED)
    expired_on_the_day = ProductLotFactory(product=clinic.plant_product, expires_on=monday - timedelta(days=1))
    for lot in (None, quarantined, expired_on_the_day):
        with pytest.raises(DomainValidationError) as refused:
            give(visit, by=practitioner, consent=False, product_lot=lot)
        assert "product_lot" in refused.value.errors
        visit.refresh_from_db()
        assert visit.status != AppointmentStatus.COMPLETED

    # A lot that expires on the treatment day itself may still be given that day.
    last_day = ProductLotFactory(product=clinic.plant_product, expires_on=monday)
    done = give(visit, by=practitioner, consent=False, notes="Tolerated well", product_lot=last_day)
    done.refresh_from_db()
    assert (done.status, done.notes, done.product_lot, done.completed_by) == (
        AppointmentStatus.COMPLETED,
        "Tolerated well",
        last_day,
        practitioner,
    )
    assert done.consent.patient == visit.patient and done.consent.plan is None


def test_a_plan_session_records_its_visit_on_the_appointment_and_the_session(clinic, monday):
    practitioner = practitioner_user()
    plan = open_plan(product=clinic.plant_product, by=practitioner, start_date=monday)
    session = plan.sessions.get(sequence=1)
    visit = appointment_book(
        patient=plan.patient,
        therapy_type=clinic.exosome,
        practitioner=clinic.practitioners[0],
        start=local_time(monday, 10),
        session=session,
    )
    assert visit.product == clinic.plant_product
    done = give(visit, by=practitioner, consent=False, notes="Session one", product_lot=clinic.plant_lot)
    session.refresh_from_db()
    assert (done.notes, done.product_lot, done.consent) == ("Session one", clinic.plant_lot, plan.consents.get())
    assert (session.notes, session.product_lot, session.completed_by) == ("Session one", clinic.plant_lot, practitioner)


# --- the API: the acceptance path ------------------------------------------------------------------------------


def test_one_off_exosome_through_the_api_and_its_readable_record(
    clinic, fish_allergic, practitioner_api, front_desk_api
):
    start = next_weekday_at(10)
    body = {
        "patient": fish_allergic.pk,
        "therapy_type": clinic.exosome.pk,
        "practitioner": clinic.practitioners[0].pk,
        "start": start.isoformat(),
    }
    fish = front_desk_api.post("/api/v1/appointments/", {**body, "product": clinic.fish_product.pk}, format="json")
    assert fish.status_code == 409 and fish.json()["code"] == "contraindicated"
    missing = front_desk_api.post("/api/v1/appointments/", body, format="json")
    assert missing.status_code == 400 and "product" in missing.json()["errors"]
    booked = front_desk_api.post("/api/v1/appointments/", {**body, "product": clinic.plant_product.pk}, format="json")
    assert booked.status_code == 201, booked.content
    assert booked.json()["record"] is None  # the front desk reads no clinical record
    pk = booked.json()["id"]

    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert practitioner_api.post(f"/api/v1/appointments/{pk}/check-in/").status_code == 200
        no_consent = practitioner_api.post(f"/api/v1/appointments/{pk}/complete/", {"notes": "x"}, format="json")
        assert no_consent.status_code == 409 and no_consent.json()["code"] == "consent_missing"
        assert front_desk_api.post(f"/api/v1/appointments/{pk}/consent/", {}, format="json").status_code == 403
        consent = practitioner_api.post(
            f"/api/v1/appointments/{pk}/consent/", {"method": "written", "text_version": "EXO-3"}, format="json"
        )
        assert consent.status_code == 201, consent.content
        no_lot = practitioner_api.post(f"/api/v1/appointments/{pk}/complete/", {"notes": "x"}, format="json")
        assert no_lot.status_code == 400 and "product_lot" in no_lot.json()["errors"]
        done = practitioner_api.post(
            f"/api/v1/appointments/{pk}/complete/",
            {"notes": "Forehead, 2 ml", "product_lot": clinic.plant_lot.pk},
            format="json",
        )
    assert done.status_code == 200, done.content
    record = practitioner_api.get(f"/api/v1/appointments/{pk}/").json()["record"]
    assert record["notes"] == "Forehead, 2 ml"
    assert (record["product"], record["product_lot"], record["consent"]) == (
        clinic.plant_product.pk,
        clinic.plant_lot.pk,
        consent.json()["id"],
    )
    assert record["completed_by"] is not None and record["completed_at"]
    assert front_desk_api.get(f"/api/v1/appointments/{pk}/").json()["record"] is None

    export = practitioner_api.get(f"/api/v1/patients/{fish_allergic.pk}/export/").json()
    assert export["appointments"][0]["record"] == record
    assert [c["text_version"] for c in export["consents"]] == ["EXO-3"]


def test_plan_sessions_show_their_record_to_clinical_roles_only(clinic, monday, practitioner_api, front_desk_api):
    practitioner = practitioner_user()
    plan = open_plan(product=clinic.plant_product, by=practitioner, start_date=monday)
    visit = appointment_book(
        patient=plan.patient,
        therapy_type=clinic.exosome,
        practitioner=clinic.practitioners[0],
        start=local_time(monday, 10),
        session=plan.sessions.get(sequence=1),
    )
    give(visit, by=practitioner, consent=False, notes="First", product_lot=clinic.plant_lot)
    clinical = practitioner_api.get(f"/api/v1/plans/{plan.pk}/").json()["sessions"][0]
    assert (clinical["notes"], clinical["product_lot"]) == ("First", clinic.plant_lot.pk)
    assert clinical["completed_at"]
    desk = front_desk_api.get(f"/api/v1/plans/{plan.pk}/").json()["sessions"][0]
    assert not {"notes", "product_lot", "completed_at", "completed_by"} & set(desk)
