"""The FHIR API's doors: tokens and roles, OperationOutcome for every error, the access log, no caching."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from patients.models import AccessLog
from scheduling.choices import AppointmentStatus
from tests import factories
from tests.exchange.fhir_client import FHIR_JSON, bundle_resources, issue, parsed

pytestmark = pytest.mark.django_db

CLINICAL_TYPES = ["CarePlan", "Procedure", "Condition", "AllergyIntolerance", "Consent"]


def test_without_a_token_every_address_is_401_login(chart):
    for path in (f"/fhir/R4/Patient/{chart.patient.pk}", "/fhir/R4/Appointment", "/fhir/R4/Consent"):
        response = APIClient().get(path)
        assert issue(response, 401)[0] == "login"
        assert response["WWW-Authenticate"].startswith("Token")
    assert issue(APIClient().get("/fhir/R4/Patient", HTTP_AUTHORIZATION="Token nonsense"), 401)[0] == "login"


@pytest.mark.parametrize("resource_type", CLINICAL_TYPES)
def test_the_front_desk_reads_no_clinical_type(front_desk_api, chart, resource_type):
    pk = {
        "CarePlan": chart.plan.pk,
        "Procedure": chart.visit.pk,
        "Condition": chart.conditions.heart.pk,
        "AllergyIntolerance": chart.conditions.fish.pk,
        "Consent": chart.plan_consent.pk,
    }[resource_type]
    assert issue(front_desk_api.get(f"/fhir/R4/{resource_type}/{pk}"), 403)[0] == "forbidden"
    assert issue(front_desk_api.get(f"/fhir/R4/{resource_type}?patient={chart.patient.pk}"), 403)[0] == "forbidden"
    assert not AccessLog.objects.exists()


def test_the_front_desk_reads_the_four_others(front_desk_api, chart):
    for path in (
        f"/fhir/R4/Patient/{chart.patient.pk}",
        f"/fhir/R4/Practitioner/{chart.practitioner.pk}",
        f"/fhir/R4/Location/{chart.clinic.location.pk}",
        f"/fhir/R4/Appointment/{chart.booked.pk}",
        "/fhir/R4/Appointment",
    ):
        parsed(front_desk_api.get(path))


@pytest.mark.parametrize("resource_type", CLINICAL_TYPES)
def test_practitioners_read_every_clinical_type(practitioner_api, chart, resource_type):
    bundle = parsed(practitioner_api.get(f"/fhir/R4/{resource_type}?patient={chart.patient.pk}"))
    assert bundle.total >= 1 and bundle.type == "searchset"


def test_the_capability_statement_holds_no_data_and_needs_no_token():
    assert parsed(APIClient().get("/fhir/R4/metadata")).get_resource_type() == "CapabilityStatement"


def test_a_user_without_a_clinic_role_reads_nothing(chart):
    from tests.conftest import api_client_for
    from tests.factories import UserFactory

    client = api_client_for(UserFactory())
    assert issue(client.get(f"/fhir/R4/Patient/{chart.patient.pk}"), 403)[0] == "forbidden"


def test_not_found_answers(practitioner_api, chart):
    assert issue(practitioner_api.get("/fhir/R4/Patient/999999"), 404)[0] == "not-found"
    assert issue(practitioner_api.get("/fhir/R4/Patient/abc"), 404)[0] == "not-found"
    assert issue(practitioner_api.get("/fhir/R4/Patient/99999999999999999999999"), 404)[0] == "not-found"
    assert issue(practitioner_api.get("/fhir/R4/Observation"), 404)[0] == "not-found"
    assert issue(practitioner_api.get("/fhir/R4/Observation/1"), 404)[0] == "not-found"
    assert issue(practitioner_api.get("/fhir/R3/Patient/1"), 404)[0] == "not-found"


def test_bad_searches_are_400_naming_the_parameter(practitioner_api, chart):
    for query, parameter in (
        ("Appointment?date=yesterday", "date"),
        ("Appointment?date=2027-02-30", "date"),
        ("Appointment?date=ge2027-03-28T10:00", "date"),  # a time without its offset
        ("Appointment?date=1850-01-01", "date"),
        ("Appointment?status=done", "status"),
        ("Appointment?patient=Practitioner/1", "patient"),
        ("Appointment?patient=abc", "patient"),
        ("Appointment?colour=red", "colour"),
        ("Patient?birthdate=1980-01-01T10:00:00Z", "birthdate"),
        ("Patient?_count=-1", "_count"),
        ("Patient?_count=ten", "_count"),
        ("Patient?_format=xml", "_format"),
    ):
        response = practitioner_api.get(f"/fhir/R4/{query}")
        code, diagnostics = issue(response, 400)
        assert code == "invalid"
        assert parsed(response, 400).issue[0].expression == [parameter], query
        assert diagnostics.startswith(parameter)


def test_only_reads(practitioner_api, chart):
    response = practitioner_api.post("/fhir/R4/Patient", {"resourceType": "Patient"}, format="json")
    assert issue(response, 405)[0] == "not-supported"
    response = practitioner_api.delete(f"/fhir/R4/Patient/{chart.patient.pk}")
    assert issue(response, 405)[0] == "not-supported"
    assert issue(practitioner_api.options("/fhir/R4/Patient"), 405)[0] == "not-supported"


def test_fhir_json_whatever_the_client_accepts(practitioner_api, chart):
    for accept in ("application/json", "application/fhir+json", "text/html", "*/*"):
        response = practitioner_api.get(f"/fhir/R4/Patient/{chart.patient.pk}", HTTP_ACCEPT=accept)
        assert response.status_code == 200 and response["Content-Type"].startswith(FHIR_JSON)


def test_every_read_of_a_patients_data_is_logged(practitioner_api, chart):
    user = practitioner_api.user
    practitioner_api.get(f"/fhir/R4/Patient/{chart.patient.pk}")
    practitioner_api.get(f"/fhir/R4/Procedure/{chart.visit.pk}")
    practitioner_api.get(f"/fhir/R4/Condition?patient={chart.patient.pk}")
    practitioner_api.get("/fhir/R4/Patient?name=doe")
    rows = list(AccessLog.objects.order_by("id").values_list("user", "patient", "endpoint", "method"))
    assert rows == [
        (user.pk, chart.patient.pk, f"/fhir/R4/Patient/{chart.patient.pk}", "GET"),
        (user.pk, chart.patient.pk, f"/fhir/R4/Procedure/{chart.visit.pk}", "GET"),
        (user.pk, chart.patient.pk, "/fhir/R4/Condition", "GET"),
        (user.pk, chart.patient.pk, "/fhir/R4/Patient", "GET"),
    ]


def test_a_clinical_search_that_finds_nothing_is_still_a_read_of_the_patient(practitioner_api, chart):
    bundle = parsed(practitioner_api.get(f"/fhir/R4/Procedure?patient={chart.patient.pk}&date=2020"))
    assert bundle.total == 0 and not bundle_resources(bundle)
    assert AccessLog.objects.filter(patient=chart.patient).count() == 1


def test_practitioners_locations_and_appointments_are_not_clinical_reads(front_desk_api, chart):
    """As the desk's REST reads: its appointments carry names, times and the therapy, no clinical data, and are not
    logged, even the completed visit whose notes a practitioner's read would log."""
    front_desk_api.get(f"/fhir/R4/Practitioner/{chart.practitioner.pk}")
    front_desk_api.get("/fhir/R4/Location")
    front_desk_api.get(f"/fhir/R4/Appointment/{chart.booked.pk}")
    front_desk_api.get(f"/fhir/R4/Appointment/{chart.visit.pk}")
    front_desk_api.get(f"/fhir/R4/Appointment?patient={chart.patient.pk}")
    assert not AccessLog.objects.exists()


def appointment_reads_logged(client, appointment) -> tuple[list[str], list[str]]:
    """What the access log holds for the appointment's patient after the client read it by REST, then by FHIR."""
    rest, fhir = f"/api/v1/appointments/{appointment.pk}/", f"/fhir/R4/Appointment/{appointment.pk}"
    assert client.get(rest).status_code == 200
    parsed(client.get(fhir))
    endpoints = AccessLog.objects.filter(patient=appointment.patient_id).values_list("endpoint", flat=True)
    return [e for e in endpoints if e == rest], [e for e in endpoints if e == fhir]


@pytest.mark.parametrize("reader", ["practitioner_api", "clinic_admin_api", "front_desk_api"])
@pytest.mark.parametrize("kind", ["notes and lot", "override", "clinicians cancel", "plain booked", "desk cancel"])
def test_an_appointment_read_by_fhir_is_logged_exactly_when_its_rest_detail_is(request, chart, reader, kind):
    """Who looked at a visit reads the same in the log whichever door they came in by: a clinical reader of a visit
    with clinical data is logged by both, anyone else by neither."""
    client = request.getfixturevalue(reader)
    appointment = {"notes and lot": chart.visit, "plain booked": chart.booked}.get(kind, chart.one_off)
    if kind == "override":
        chart.one_off.override_reason = "Cardiologist agrees."
    elif kind in ("clinicians cancel", "desk cancel"):
        chart.one_off.status = AppointmentStatus.CANCELLED
        chart.one_off.cancel_reason = "INR too high" if kind == "clinicians cancel" else "Patient is away"
        chart.one_off.cancel_reason_clinical = kind == "clinicians cancel"
    chart.one_off.save()
    rest, fhir = appointment_reads_logged(client, appointment)
    expected = reader != "front_desk_api" and kind in ("notes and lot", "override", "clinicians cancel")
    assert len(rest) == len(fhir) == (1 if expected else 0)


def test_a_practitioners_appointment_search_logs_each_patient_whose_visit_carries_clinical_data(
    practitioner_api, front_desk_api, chart
):
    clinic, day = chart.clinic, chart.visit.start
    other = factories.AppointmentFactory(
        location=clinic.location,
        room=clinic.rooms[1],
        practitioner=clinic.practitioners[1],
        start=day,
        end=day + timedelta(minutes=30),
        status=AppointmentStatus.COMPLETED,
        notes="Mild bruising.",
    )
    plain = factories.AppointmentFactory(
        location=clinic.location,
        room=clinic.rooms[1],
        practitioner=clinic.practitioners[1],
        start=day + timedelta(hours=2),
        end=day + timedelta(hours=3),
    )
    query = f"/fhir/R4/Appointment?location={clinic.location.pk}&date={day.date()}"
    found = {int(resource.id) for resource in bundle_resources(parsed(front_desk_api.get(query)))}
    assert found == {chart.visit.pk, other.pk, plain.pk}
    assert not AccessLog.objects.exists()  # the desk's day: names and times only

    assert len(bundle_resources(parsed(practitioner_api.get(query)))) == 3
    rows = set(AccessLog.objects.values_list("user", "patient", "endpoint"))
    user = practitioner_api.user.pk
    assert rows == {(user, chart.patient.pk, "/fhir/R4/Appointment"), (user, other.patient_id, "/fhir/R4/Appointment")}
    assert not AccessLog.objects.filter(patient=plain.patient_id).exists()


def test_an_appointment_search_that_finds_nothing_reads_no_clinical_data(practitioner_api, chart):
    """Unlike a clinical type's search (a patient's empty list of conditions says something about them), an empty
    list of appointments carries nothing the REST list would log: no row, as `?patient=` there."""
    bundle = parsed(practitioner_api.get(f"/fhir/R4/Appointment?patient={chart.patient.pk}&date=2020"))
    assert bundle.total == 0
    assert not AccessLog.objects.exists()
