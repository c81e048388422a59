"""The one redaction rule: a clinician's words (a skip reason, a plan's cancel reason, a practitioner's cancel
reason) never reach the front desk; clinical roles read them as written.

The walk reads every GET path of the API schema as the front desk (ids filled in, lists with the desk's filters:
a patient's history, the cancelled, a week of the location) and greps each answer for the clinical text."""

import re
from datetime import timedelta

import pytest
from drf_spectacular.generators import SchemaGenerator

from clinic.redaction import CANCELLED_BY_CLINIC, shown_text
from tests import factories
from tests.conftest import api_client_for
from tests.factories import future_weekday, local_time

pytestmark = pytest.mark.django_db

SKIP_REASON = "warfarin started"
PLAN_REASON = "platelet count 40k"
ONE_OFF_REASON = "INR 3.4 this morning"
CLINICAL_WORDS = ("warfarin", "40k", "INR 3.4")


def test_the_rule():
    assert shown_text("warfarin", clinical_text=True, clinical_reader=False) == CANCELLED_BY_CLINIC
    assert shown_text("warfarin", clinical_text=True, clinical_reader=True) == "warfarin"
    assert shown_text("Patient called", clinical_text=False, clinical_reader=False) == "Patient called"
    assert shown_text("", clinical_text=True, clinical_reader=False) == ""


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


@pytest.fixture
def cancelled_by_clinicians(clinic):
    """A PRP course of three booked sessions: session 2 skipped, then the plan cancelled; and a one-off visit a
    practitioner cancelled with a clinical reason."""
    doctor = api_client_for(factories.practitioner_user())
    patient = factories.PatientFactory()
    monday = future_weekday(0, after_days=3)
    plan = ok(
        doctor.post(
            "/api/v1/plans/",
            {
                "patient": patient.pk,
                "therapy_type": clinic.prp.pk,
                "indication": "scars",
                "start_date": monday.isoformat(),
            },
            format="json",
        ),
        201,
    )
    ok(doctor.post(f"/api/v1/plans/{plan['id']}/schedule/", format="json"))
    plan = ok(doctor.get(f"/api/v1/plans/{plan['id']}/"))
    booked = [s for s in plan["sessions"] if s["appointment"]]
    assert len(booked) >= 2, plan
    second = booked[1]
    ok(doctor.post(f"/api/v1/plans/{plan['id']}/sessions/{second['id']}/skip/", {"reason": SKIP_REASON}, format="json"))
    ok(doctor.post(f"/api/v1/plans/{plan['id']}/cancel/", {"reason": PLAN_REASON}, format="json"))
    one_off = ok(
        doctor.post(
            "/api/v1/appointments/",
            {
                "patient": patient.pk,
                "therapy_type": clinic.prp.pk,
                "practitioner": clinic.practitioners[1].pk,
                "start": local_time(monday + timedelta(days=1), 15).isoformat(),
            },
            format="json",
        ),
        201,
    )
    ok(doctor.post(f"/api/v1/appointments/{one_off['id']}/cancel/", {"reason": ONE_OFF_REASON}, format="json"))
    return clinic, patient, plan, [s["appointment"] for s in booked] + [one_off["id"]], monday


def desk_paths(*, clinic, patient, plan, appointments, monday) -> list[str]:
    """Every GET path of the schema with ids filled in, and the desk's list filters on appointments."""
    ids = {
        "appointments": appointments[0],
        "patients": patient.pk,
        "plans": plan["id"],
        "locations": clinic.location.pk,
        "practitioners": clinic.practitioners[0].pk,
        "rooms": clinic.rooms[0].pk,
        "devices": clinic.centrifuge.pk,
        "therapy-types": clinic.prp.pk,
        "products": clinic.plant_product.pk,
        "product-lots": clinic.plant_lot.pk,
    }
    days = f"date_from={monday}&date_to={monday + timedelta(days=6)}"
    week = f"{days}&location={clinic.location.pk}"
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = []
    for template, operations in schema["paths"].items():
        if "get" not in operations or "/availability/" in template:
            continue  # availability answers free times and counts only
        resource = template.split("/")[3]
        if resource == "public":
            continue  # the anonymous online-booking catalog: no patient, no clinical text
        if "{id}" in template and resource not in ids:
            continue  # a catalog row or reminder with no clinical text; its list is read below
        path = template.replace("{patient_pk}", str(patient.pk)).replace("{id}", str(ids.get(resource, 0)))
        if "{" in path:
            continue
        if path.endswith("/closures/"):
            path = f"{path}?{days}"
        elif path.endswith("/schedule/"):
            path = f"{path}?{week}"
        paths.append(path)
    paths += [f"/api/v1/appointments/{pk}/" for pk in appointments]
    paths += [
        f"/api/v1/appointments/?patient={patient.pk}",
        f"/api/v1/appointments/?patient={patient.pk}&ordering=-start",
        "/api/v1/appointments/?status=cancelled",
        f"/api/v1/appointments/?{week}",
        f"/api/v1/appointments/?{week}&page_size=1000",
        f"/api/v1/appointments/?date={monday}",
        f"/api/v1/reminders/?appointment={appointments[0]}",
    ]
    return paths


def test_the_front_desk_reads_no_clinicians_words_anywhere(cancelled_by_clinicians):
    clinic, patient, plan, appointments, monday = cancelled_by_clinicians
    desk = api_client_for(factories.front_desk_user())
    paths = desk_paths(clinic=clinic, patient=patient, plan=plan, appointments=appointments, monday=monday)
    read = 0
    for path in paths:
        response = desk.get(path)
        assert response.status_code in (200, 403), (path, response.status_code, response.content[:300])
        text = response.content.decode()
        for word in CLINICAL_WORDS:
            assert word not in text, (path, text[:500])
        read += response.status_code == 200
    assert read >= 20, paths

    cancelled = ok(desk.get("/api/v1/appointments/?status=cancelled"))["results"]
    assert {row["id"] for row in cancelled} == set(appointments)
    assert {row["cancel_reason"] for row in cancelled} == {CANCELLED_BY_CLINIC}
    assert ok(desk.get(f"/api/v1/appointments/{appointments[-1]}/"))["cancel_reason"] == CANCELLED_BY_CLINIC


def test_clinical_roles_read_the_reasons_as_written(cancelled_by_clinicians):
    _, patient, _, appointments, _ = cancelled_by_clinicians
    for user in (factories.practitioner_user(), factories.clinic_admin_user()):
        client = api_client_for(user)
        listed = ok(client.get(f"/api/v1/appointments/?patient={patient.pk}&status=cancelled"))["results"]
        reasons = " ".join(row["cancel_reason"] for row in listed)
        assert SKIP_REASON in reasons and PLAN_REASON in reasons and ONE_OFF_REASON in reasons
        detail = ok(client.get(f"/api/v1/appointments/{appointments[-1]}/"))
        assert detail["cancel_reason"] == ONE_OFF_REASON


def test_the_desks_own_reason_is_the_desks_to_read(clinic):
    desk = api_client_for(factories.front_desk_user())
    start = local_time(future_weekday(2, after_days=3), 11)
    booked = ok(
        desk.post(
            "/api/v1/appointments/",
            {
                "patient": factories.PatientFactory().pk,
                "therapy_type": clinic.prp.pk,
                "practitioner": clinic.practitioners[0].pk,
                "start": start.isoformat(),
            },
            format="json",
        ),
        201,
    )
    answer = ok(
        desk.post(f"/api/v1/appointments/{booked['id']}/cancel/", {"reason": "Patient's car broke down"}, format="json")
    )
    assert answer["cancel_reason"] == "Patient's car broke down"
    listed = ok(desk.get("/api/v1/appointments/?status=cancelled"))["results"]
    assert [row["cancel_reason"] for row in listed] == ["Patient's car broke down"]


def test_the_desk_page_holds_no_clinical_text(cancelled_by_clinicians, client):
    client.force_login(factories.front_desk_user())
    page = client.get("/desk/")
    assert page.status_code == 200
    assert not re.search("|".join(CLINICAL_WORDS), page.content.decode())
