"""A PRP course end to end through HTTP only: register, screen, open a plan, consent, schedule, check in, complete."""

from datetime import datetime, timedelta

import pytest
import time_machine

from tests import factories
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def test_front_desk_and_practitioner_run_a_prp_course(clinic):
    desk = api_client_for(factories.front_desk_user())
    doctor = api_client_for(clinic.practitioners[0].user)

    patient = ok(
        desk.post(
            "/api/v1/patients/",
            {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1980-12-10", "email": "ada@example.com"},
            format="json",
        ),
        201,
    )
    screening = ok(
        doctor.post("/api/v1/screenings/", {"patient": patient["id"], "therapy_type": clinic.prp.pk}, format="json")
    )
    assert screening == {"eligible": True, "blocking": [], "warnings": []}

    plan = ok(
        doctor.post(
            "/api/v1/plans/",
            {"patient": patient["id"], "therapy_type": clinic.prp.pk, "indication": "androgenetic_alopecia"},
            format="json",
        ),
        201,
    )
    assert plan["status"] == "active" and len(plan["sessions"]) == plan["sessions_planned"] == 3
    ok(
        doctor.post(f"/api/v1/plans/{plan['id']}/consent/", {"method": "written", "text_version": "v1"}, format="json"),
        201,
    )

    placed = ok(desk.post(f"/api/v1/plans/{plan['id']}/schedule/", format="json", HTTP_IDEMPOTENCY_KEY="plan-1"))
    assert [p["sequence"] for p in placed["placements"]] == [1, 2, 3]
    assert all(p["appointment"] for p in placed["placements"]), placed

    booked = ok(desk.get(f"/api/v1/appointments/?patient={patient['id']}&status=booked"))
    assert booked["count"] == 3
    first = booked["results"][0]
    assert first["session"] == plan["sessions"][0]["id"]
    assert first["device"] == clinic.centrifuge.pk  # PRP needs the centrifuge

    with time_machine.travel(datetime.fromisoformat(first["start"]) + timedelta(minutes=5), tick=False):
        checked_in = ok(desk.post(f"/api/v1/appointments/{first['id']}/check-in/", format="json"))
        assert checked_in["status"] == "checked_in"
        completed = ok(
            doctor.post(
                f"/api/v1/appointments/{first['id']}/complete/", {"notes": "3 ml scalp, tolerated"}, format="json"
            )
        )
    assert completed["status"] == "completed"

    plan_now = ok(doctor.get(f"/api/v1/plans/{plan['id']}/"))
    assert [s["status"] for s in plan_now["sessions"]] == ["completed", "booked", "booked"]
    export = ok(doctor.get(f"/api/v1/patients/{patient['id']}/export/"))
    assert export["plans"][0]["sessions"][0]["status"] == "completed"
    assert len(export["appointments"]) == 3
    access_log = ok(api_client_for(factories.clinic_admin_user()).get(f"/api/v1/patients/{patient['id']}/access-log/"))
    assert {entry["endpoint"] for entry in access_log["results"]} >= {
        "/api/v1/screenings/",
        f"/api/v1/plans/{plan['id']}/",
        f"/api/v1/patients/{patient['id']}/export/",
    }
