"""The waitlist endpoints: entries for the front desk and clinical roles, DELETE keeps the row, offers listed."""

from datetime import timedelta

import pytest

from patients.models import AccessLog
from scheduling.models import WaitlistEntry
from tests.factories import PatientFactory, future_weekday

pytestmark = pytest.mark.django_db


def body(clinic, patient, **extra):
    day = future_weekday(0)
    return {
        "patient": patient.pk,
        "therapy_type": clinic.prp.pk,
        "location": clinic.location.pk,
        "practitioner": None,
        "earliest": day.isoformat(),
        "latest": (day + timedelta(days=14)).isoformat(),
        "weekdays": [0, 2],
        **extra,
    }


def test_front_desk_adds_lists_and_removes_an_entry(clinic, front_desk_api):
    patient = PatientFactory()
    created = front_desk_api.post("/api/v1/waitlist/", body(clinic, patient), format="json")
    assert created.status_code == 201, created.json()
    entry = created.json()
    assert (entry["status"], entry["weekdays"], entry["practitioner"]) == ("waiting", [0, 2], None)

    listed = front_desk_api.get("/api/v1/waitlist/?status=waiting").json()
    assert [row["id"] for row in listed["results"]] == [entry["id"]]
    assert front_desk_api.delete(f"/api/v1/waitlist/{entry['id']}/").status_code == 204
    assert front_desk_api.get(f"/api/v1/waitlist/{entry['id']}/").json()["status"] == "removed"
    assert WaitlistEntry.objects.filter(pk=entry["id"]).exists()
    assert AccessLog.objects.filter(patient=patient).count() >= 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weekdays": [7]}, "weekdays"),
        ({"earliest": "2099-01-10", "latest": "2099-01-01"}, "latest"),
        ({"latest": "2001-01-01", "earliest": "2001-01-01"}, "latest"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_entries_are_a_400_naming_the_field(clinic, front_desk_api, change, field):
    answer = front_desk_api.post("/api/v1/waitlist/", body(clinic, PatientFactory(), **change), format="json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "validation_error" and field in answer.json()["errors"]


def test_a_patient_waits_once_per_therapy_and_location(clinic, practitioner_api):
    patient = PatientFactory()
    assert practitioner_api.post("/api/v1/waitlist/", body(clinic, patient), format="json").status_code == 201
    again = practitioner_api.post("/api/v1/waitlist/", body(clinic, patient), format="json")
    assert again.status_code == 400 and "patient" in again.json()["errors"]


def test_offers_list_and_authentication(clinic, front_desk_api, api_client):
    assert front_desk_api.get("/api/v1/waitlist/offers/").json()["count"] == 0
    assert api_client.get("/api/v1/waitlist/").status_code == 401
