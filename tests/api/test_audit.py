"""Health-data audit: reads of a patient's record are logged, changes keep who made them."""

import pytest

from patients.models import AccessLog
from tests import factories

pytestmark = pytest.mark.django_db


def test_reading_a_record_and_its_clinical_data_is_logged(records, practitioner_api, clinic_admin_api):
    patient = records.patient.pk
    for path in (
        f"/api/v1/patients/{patient}/",
        f"/api/v1/patients/{patient}/conditions/",
        f"/api/v1/plans/{records.plan.pk}/",
        f"/api/v1/patients/{patient}/export/",
    ):
        assert practitioner_api.get(path).status_code == 200
    log = clinic_admin_api.get(f"/api/v1/patients/{patient}/access-log/").json()
    assert log["count"] == 4
    newest = log["results"][0]
    assert newest["username"] == practitioner_api.user.username
    assert newest["endpoint"] == f"/api/v1/patients/{patient}/export/"
    assert newest["method"] == "GET" and newest["at"]


def test_a_plan_list_logs_each_patient_on_the_page_once(records, front_desk_api):
    factories.TreatmentPlanFactory(patient=records.patient)
    other = factories.TreatmentPlanFactory()
    assert front_desk_api.get("/api/v1/plans/").json()["count"] == 3
    assert set(AccessLog.objects.values_list("patient_id", flat=True)) == {records.patient.pk, other.patient_id}
    assert AccessLog.objects.count() == 2


def test_refused_reads_are_not_logged_as_reads(records, front_desk_api):
    assert front_desk_api.get(f"/api/v1/patients/{records.patient.pk}/export/").status_code == 403
    assert not AccessLog.objects.exists()


def test_a_change_through_the_api_is_in_the_history_with_who_made_it(records, front_desk_api):
    response = front_desk_api.patch(
        f"/api/v1/patients/{records.patient.pk}/", {"phone": "+447700900555"}, format="json"
    )
    assert response.status_code == 200
    change = records.patient.history.latest()
    assert change.phone == "+447700900555"
    assert change.history_user == front_desk_api.user


def test_appointment_list_filters(records, front_desk_api):
    day = records.appointment.start.date().isoformat()
    assert front_desk_api.get(f"/api/v1/appointments/?date={day}").json()["count"] == 1
    assert front_desk_api.get("/api/v1/appointments/?date=2001-01-01").json()["count"] == 0
    by_patient = front_desk_api.get(f"/api/v1/appointments/?patient={records.patient.pk}&status=booked").json()
    assert [a["id"] for a in by_patient["results"]] == [records.appointment.pk]


def test_patient_search_matches_every_word(front_desk_api):
    factories.PatientFactory(first_name="Jane", last_name="Smith")
    factories.PatientFactory(first_name="Jane", last_name="Doe")
    results = front_desk_api.get("/api/v1/patients/?search=jane smi").json()["results"]
    assert [(p["first_name"], p["last_name"]) for p in results] == [("Jane", "Smith")]


def test_unknown_query_parameters_are_refused(front_desk_api):
    response = front_desk_api.get("/api/v1/appointments/?stauts=booked")
    assert response.status_code == 400
    assert response.json()["errors"] == {"stauts": ["Unknown query parameter."]}
