"""The schema says what the API does: role-dependent fields optional, the Idempotency-Key's limits and the
1900-2100 date bounds written in it, 405 for a method no one may use (not 403), and ids that are numbers in a JSON
body and ASCII digits in a path or query."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.api.conftest import next_weekday_at

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_clinical_only_appointment_fields_are_not_required(schema):
    appointment = schema["components"]["schemas"]["AppointmentClinical"]
    for name in ("held_at", "hold_findings", "override_reason", "override_by", "override_at", "overridden_findings"):
        assert name in appointment["properties"] and name not in appointment["required"]


def test_the_front_desks_appointment_has_only_what_the_schema_requires(schema, records, front_desk_api):
    required = set(schema["components"]["schemas"]["AppointmentClinical"]["required"])
    answer = front_desk_api.get(f"/api/v1/appointments/{records.appointment.pk}/").json()
    assert required <= set(answer), required - set(answer)


def test_the_idempotency_keys_limits_are_in_the_schema_and_kept(schema, records, front_desk_api):
    parameter = next(
        p for p in schema["paths"]["/api/v1/appointments/"]["post"]["parameters"] if p["name"] == "Idempotency-Key"
    )
    assert parameter["schema"]["maxLength"] == 255 and parameter["schema"]["minLength"] == 1
    for key in ("k" * 256, "clé-é", " "):
        answer = front_desk_api.post("/api/v1/appointments/", {}, format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert answer.status_code == 400 and "Idempotency-Key" in answer.json()["errors"], key


def test_date_bounds_are_in_the_schema(schema):
    registration = schema["components"]["schemas"]["PatientRequest"]["properties"]["date_of_birth"]
    assert registration["pattern"].startswith("^(19[0-9]{2}|20[0-9]{2}|2100)")
    booking = schema["components"]["schemas"]["AppointmentBookRequest"]["properties"]["start"]
    assert booking["pattern"].startswith("^(19[0-9]{2}|20[0-9]{2}|2100)")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/api/v1/appointments/{appointment}/"),
        ("delete", "/api/v1/appointments/{appointment}/"),
        ("delete", "/api/v1/patients/{patient}/export/"),  # a clinical read: the desk would be 403 on GET
        ("get", "/api/v1/product-lots/{lot}/recall/"),
        ("patch", "/api/v1/patients/{patient}/access-log/"),
    ],
)
def test_a_method_no_one_may_use_is_405_for_every_role(records, front_desk_api, practitioner_api, method, path):
    path = path.format(appointment=records.appointment.pk, patient=records.patient.pk, lot=records.lot.pk)
    for client in (front_desk_api, practitioner_api):
        answer = getattr(client, method)(path, {}, format="json")
        assert answer.status_code == 405, (client.user, answer.content)
        assert answer.json()["code"] == "method_not_allowed"


def test_a_role_still_meets_403_on_a_method_it_may_not_use(records, front_desk_api):
    assert front_desk_api.get(f"/api/v1/patients/{records.patient.pk}/export/").status_code == 403


@pytest.mark.parametrize("patient", ["1", "１", "${id}", 1.0, True])
def test_an_id_in_a_json_body_is_a_number(records, front_desk_api, patient):
    body = {
        "patient": records.patient.pk if patient == 1.0 else patient,
        "therapy_type": records.clinic.prp.pk,
        "practitioner": records.clinic.practitioners[1].pk,
        "start": next_weekday_at(14).isoformat(),
    }
    if patient in ("1",):
        body["patient"] = str(records.patient.pk)
    if patient == 1.0:
        body["patient"] = float(records.patient.pk)
    answer = front_desk_api.post("/api/v1/appointments/", body, format="json")
    assert answer.status_code == 400 and "patient" in answer.json()["errors"], answer.content


def test_ids_in_paths_and_queries_are_ascii_digits(records, front_desk_api):
    assert front_desk_api.get("/api/v1/patients/６/").status_code == 404
    assert front_desk_api.get(f"/api/v1/patients/{records.patient.pk}/").status_code == 200
    assert front_desk_api.get("/api/v1/appointments/?patient=６").status_code == 400
    query = (
        f"therapy_type={records.clinic.prp.pk}&location={records.clinic.location.pk}"
        f"&start={next_weekday_at(9).isoformat()}&end={next_weekday_at(17).isoformat()}"
    ).replace("+", "%2B")
    assert front_desk_api.get(f"/api/v1/availability/?{query}").status_code == 200
    assert front_desk_api.get(f"/api/v1/availability/?{query}&patient=１").status_code == 400
