"""Every resource type read by id, parsed back with fhir.resources R4B, saying what the clinic's records say."""

from datetime import timedelta

import pytest

from tests import clock
from tests.exchange.fhir_client import parsed

pytestmark = pytest.mark.django_db


def read(client, resource_type: str, pk):
    resource = parsed(client.get(f"/fhir/R4/{resource_type}/{pk}"))
    assert resource.get_resource_type() == resource_type
    assert resource.id == str(pk)  # the FHIR id is the REST id
    return resource


def test_capability_statement_lists_every_type_with_its_searches(front_desk_api):
    statement = parsed(front_desk_api.get("/fhir/R4/metadata"))
    assert statement.get_resource_type() == "CapabilityStatement"
    assert statement.fhirVersion == "4.0.1"
    served = {resource.type: resource for resource in statement.rest[0].resource}
    assert set(served) == {
        "Patient",
        "Practitioner",
        "Location",
        "Appointment",
        "CarePlan",
        "Procedure",
        "Condition",
        "AllergyIntolerance",
        "Consent",
    }
    assert {param.name for param in served["Appointment"].searchParam} >= {"patient", "date", "status"}
    assert {param.name for param in served["Patient"].searchParam} >= {"name", "birthdate"}


def test_patient(practitioner_api, chart):
    patient = read(practitioner_api, "Patient", chart.patient.pk)
    assert patient.name[0].family == "Doe" and patient.name[0].given == ["Jane"]
    assert patient.birthDate == chart.patient.date_of_birth
    assert {(t.system, t.value) for t in patient.telecom} == {
        ("phone", "+447700900123"),
        ("email", chart.patient.email),
    }
    assert patient.active is True


def test_practitioner_and_location(front_desk_api, chart):
    practitioner = read(front_desk_api, "Practitioner", chart.practitioner.pk)
    assert practitioner.name[0].text == chart.practitioner.display_name
    location = read(front_desk_api, "Location", chart.clinic.location.pk)
    assert location.name == "Main clinic"
    assert location.extension[0].valueCode == "Europe/London"


def test_appointment_carries_its_people_and_place_on_the_location_clock(front_desk_api, chart):
    appointment = read(front_desk_api, "Appointment", chart.booked.pk)
    assert appointment.status == "booked"
    assert appointment.start == chart.booked.start and appointment.end == chart.booked.end
    actors = {participant.actor.reference for participant in appointment.participant if participant.actor.reference}
    assert actors == {
        f"Patient/{chart.patient.pk}",
        f"Practitioner/{chart.practitioner.pk}",
        f"Location/{chart.clinic.location.pk}",
    }
    assert appointment.serviceType[0].coding[0].code == "exosome"
    assert appointment.supportingInformation[0].reference == f"CarePlan/{chart.plan.pk}"
    # No clinical text for the front desk's eyes.
    assert "Injected" not in front_desk_api.get(f"/fhir/R4/Appointment/{chart.visit.pk}").content.decode()
    assert read(front_desk_api, "Appointment", chart.visit.pk).status == "fulfilled"


def test_care_plan_has_an_activity_per_session_referencing_its_appointment(practitioner_api, chart):
    plan = read(practitioner_api, "CarePlan", chart.plan.pk)
    assert plan.status == "active" and plan.intent == "plan"
    assert plan.subject.reference == f"Patient/{chart.patient.pk}"
    first, second, third = plan.activity
    assert first.reference.reference == f"Appointment/{chart.visit.pk}"
    assert first.outcomeReference[0].reference == f"Procedure/{chart.visit.pk}"
    assert second.reference.reference == f"Appointment/{chart.booked.pk}"
    assert third.reference is None and third.detail.status == "not-started"
    assert third.detail.scheduledPeriod.start == chart.sessions[2].window_start
    assert plan.note[0].text == "Course agreed after review."


def test_procedure_is_a_completed_visit_with_performer_time_product_and_lot(practitioner_api, chart):
    procedure = read(practitioner_api, "Procedure", chart.visit.pk)
    assert procedure.status == "completed"
    assert procedure.subject.reference == f"Patient/{chart.patient.pk}"
    assert procedure.performer[0].actor.reference == f"Practitioner/{chart.practitioner.pk}"
    assert procedure.performedDateTime == chart.visit.start
    assert procedure.basedOn[0].reference == f"CarePlan/{chart.plan.pk}"
    (medication,) = procedure.contained
    assert procedure.usedReference[0].reference == f"#{medication.id}"
    assert medication.code.text == chart.clinic.plant_product.name
    assert medication.batch.lotNumber == chart.clinic.plant_lot.lot_number
    assert medication.batch.expirationDate == chart.clinic.plant_lot.expires_on
    assert procedure.note[0].text == "Injected 2 ml, no reaction."


def test_a_visit_not_completed_is_no_procedure(practitioner_api, chart):
    assert practitioner_api.get(f"/fhir/R4/Procedure/{chart.booked.pk}").status_code == 404


def test_conditions_and_allergies_by_kind(practitioner_api, chart):
    heart = read(practitioner_api, "Condition", chart.conditions.heart.pk)
    assert heart.code.coding[0].code == "cardiovascular-disease"
    assert heart.clinicalStatus.coding[0].code == "active"
    assert heart.verificationStatus.coding[0].code == "confirmed"
    assert heart.onsetDateTime == chart.conditions.heart.since
    assert heart.category[0].coding[0].code == "condition"
    warfarin = read(practitioner_api, "Condition", chart.conditions.warfarin.pk)
    assert warfarin.category[0].coding[0].code == "medication"
    assert warfarin.clinicalStatus.coding[0].code == "resolved"
    assert warfarin.abatementDateTime == chart.conditions.warfarin.until
    fish = read(practitioner_api, "AllergyIntolerance", chart.conditions.fish.pk)
    assert fish.patient.reference == f"Patient/{chart.patient.pk}"
    assert fish.verificationStatus.coding[0].code == "unconfirmed"  # declared by the patient, not yet reviewed
    assert fish.asserter.reference == f"Patient/{chart.patient.pk}"
    # Each row is served under its kind's type only.
    assert practitioner_api.get(f"/fhir/R4/Condition/{chart.conditions.fish.pk}").status_code == 404
    assert practitioner_api.get(f"/fhir/R4/AllergyIntolerance/{chart.conditions.heart.pk}").status_code == 404


def test_an_ongoing_condition_with_an_end_date_ahead_is_active(practitioner_api, chart):
    chart.conditions.heart.until = clock.today() + timedelta(days=10)
    chart.conditions.heart.save()
    heart = read(practitioner_api, "Condition", chart.conditions.heart.pk)
    assert heart.clinicalStatus.coding[0].code == "active" and heart.abatementDateTime is None


def test_consents_to_a_course_and_to_one_visit(clinic_admin_api, chart):
    course = read(clinic_admin_api, "Consent", chart.plan_consent.pk)
    assert course.status == "active" and course.scope.coding[0].code == "treatment"
    assert course.patient.reference == f"Patient/{chart.patient.pk}"
    assert course.provision.data[0].reference.reference == f"CarePlan/{chart.plan.pk}"
    assert "v1" in course.policyRule.text
    visit = read(clinic_admin_api, "Consent", chart.one_off_consent.pk)
    assert visit.provision.data[0].reference.reference == f"Appointment/{chart.one_off.pk}"
    assert visit.sourceAttachment.title == "One PRP session"
