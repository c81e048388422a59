"""Clinical holds through the API: a blood thinner recorded for patients with a one-off PRP visit and a plan session.

Both appointments go on hold in the condition's own transaction, check-in is refused, reminders are held, release
is refused until the condition ends, early check-in is refused, and the plan can be reviewed and cancelled. The
front desk never reads a rationale, a rule id or a condition code.
"""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from patients.choices import ConditionKind
from scheduling.models import Appointment
from scheduling.screening import HOLD_REASON
from tests import factories
from tests.conftest import api_client_for
from tests.factories import future_weekday, local_time
from treatments.choices import Severity

pytestmark = pytest.mark.django_db

RATIONALE = "Anticoagulants raise the bleeding risk of the blood draw and injections."


class DeskRecorder:
    """The front desk's client, keeping every answer it was given so the test can check none is clinical."""

    def __init__(self, client):
        self.client, self.answers = client, []

    def __getattr__(self, method):
        def call(*args, **kwargs):
            kwargs.setdefault("format", "json")
            response = getattr(self.client, method)(*args, **kwargs)
            self.answers.append(response)
            return response

        return call


@pytest.fixture
def world():
    clinic = factories.build_clinic()
    blood_thinner = factories.ConditionFactory(
        code="anticoagulant-therapy", name="Anticoagulant therapy", kind=ConditionKind.MEDICATION
    )
    factories.ContraindicationFactory(
        condition=blood_thinner, therapy_type=clinic.prp, severity=Severity.ABSOLUTE, rationale=RATIONALE
    )
    monday = future_weekday(0, after_days=3)
    return clinic, blood_thinner, monday


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def code(response, status: int, expected: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == expected, body
    return body


def relative_heart_rule(clinic, **rule):
    """Cardiovascular disease as a relative contraindication to PRP: the condition."""
    heart = factories.ConditionFactory(code="cardiovascular-disease", name="Cardiovascular disease")
    factories.ContraindicationFactory(condition=heart, therapy_type=clinic.prp, severity=Severity.RELATIVE, **rule)
    return heart


def prp_at_ten(clinic, patient, day, **extra) -> dict:
    """The body that books `patient` a one-off PRP visit at 10:00 on `day` with the first practitioner."""
    return {
        "patient": patient.pk,
        "therapy_type": clinic.prp.pk,
        "practitioner": clinic.practitioners[0].pk,
        "start": local_time(day, 10).isoformat(),
        **extra,
    }


def test_a_blood_thinner_holds_one_off_and_plan_sessions_until_it_ends(world):
    clinic, blood_thinner, monday = world
    desk = DeskRecorder(api_client_for(factories.front_desk_user()))
    doctor = api_client_for(factories.practitioner_user())
    one_off_patient, course_patient = factories.PatientFactory(), factories.PatientFactory()

    one_off = ok(
        desk.post(
            "/api/v1/appointments/",
            {
                "patient": one_off_patient.pk,
                "therapy_type": clinic.prp.pk,
                "practitioner": clinic.practitioners[0].pk,
                "start": local_time(monday, 10).isoformat(),
                "location": clinic.location.pk,
            },
        ),
        201,
    )
    plan = ok(
        doctor.post(
            "/api/v1/plans/",
            {
                "patient": course_patient.pk,
                "therapy_type": clinic.prp.pk,
                "indication": "androgenetic_alopecia",
                "start_date": monday.isoformat(),
            },
            format="json",
        ),
        201,
    )
    session = ok(
        desk.post(
            "/api/v1/appointments/",
            {
                "patient": course_patient.pk,
                "therapy_type": clinic.prp.pk,
                "practitioner": clinic.practitioners[1].pk,
                "start": local_time(monday, 14).isoformat(),
                "session": plan["sessions"][0]["id"],
            },
        ),
        201,
    )
    assert not one_off["on_hold"] and not session["needs_attention"]

    # The practitioner records the blood thinner for both: the answers are given after both holds are written.
    recorded = {}
    for patient in (one_off_patient, course_patient):
        recorded[patient.pk] = ok(
            doctor.post(
                f"/api/v1/patients/{patient.pk}/conditions/",
                {"condition": blood_thinner.pk, "since": timezone.localdate().isoformat(), "note": "Warfarin"},
                format="json",
            ),
            201,
        )
        assert Appointment.objects.get(patient=patient).on_hold

    for appointment in (one_off, session):
        seen = ok(desk.get(f"/api/v1/appointments/{appointment['id']}/"))
        assert (seen["on_hold"], seen["needs_attention"], seen["attention_reason"]) == (True, True, HOLD_REASON)
        reminders = ok(desk.get(f"/api/v1/reminders/?appointment={appointment['id']}"))["results"]
        assert reminders and "pending" not in {r["status"] for r in reminders}
        assert "held" in {r["status"] for r in reminders}
    attention = ok(desk.get("/api/v1/appointments/?needs_attention=true"))
    assert {row["id"] for row in attention["results"]} == {one_off["id"], session["id"]}
    flagged = ok(desk.get("/api/v1/plans/?needs_attention=true"))
    assert [row["id"] for row in flagged["results"]] == [plan["id"]]

    # Early check-in is refused whatever the hold; at the door the hold refuses it.
    code(desk.post(f"/api/v1/appointments/{one_off['id']}/check-in/"), 409, "too_early")
    with time_machine.travel(local_time(monday, 9, 50), tick=False):
        refused = code(desk.post(f"/api/v1/appointments/{one_off['id']}/check-in/"), 409, "contraindicated")
        assert refused["blocking"] == [{"condition_name": "Anticoagulant therapy"}]
    with time_machine.travel(local_time(monday, 13, 50), tick=False):
        code(desk.post(f"/api/v1/appointments/{session['id']}/check-in/"), 409, "contraindicated")

    # Release: not the front desk's; refused to a practitioner while the absolute finding stands.
    code(desk.post(f"/api/v1/appointments/{one_off['id']}/release/", {}), 403, "permission_denied")
    body = code(
        doctor.post(f"/api/v1/appointments/{one_off['id']}/release/", {}, format="json"), 409, "contraindicated"
    )
    assert body["blocking"][0]["rationale"] == RATIONALE  # the practitioner reads why
    code(desk.post(f"/api/v1/plans/{plan['id']}/review/", {}), 403, "permission_denied")
    code(doctor.post(f"/api/v1/plans/{plan['id']}/review/", {}, format="json"), 409, "contraindicated")

    # The condition ends today: the holds lift by themselves, reminders are owed again.
    pc = recorded[one_off_patient.pk]
    ok(
        doctor.patch(
            f"/api/v1/patients/{one_off_patient.pk}/conditions/{pc['id']}/",
            {"until": timezone.localdate().isoformat()},
            format="json",
        )
    )
    released = ok(desk.get(f"/api/v1/appointments/{one_off['id']}/"))
    assert (released["on_hold"], released["needs_attention"], released["attention_reason"]) == (False, False, "")
    reminders = ok(desk.get(f"/api/v1/reminders/?appointment={one_off['id']}"))["results"]
    assert "held" not in {r["status"] for r in reminders} and "pending" in {r["status"] for r in reminders}
    assert ok(doctor.post(f"/api/v1/appointments/{one_off['id']}/release/", {}, format="json"))["on_hold"] is False
    with time_machine.travel(local_time(monday, 9, 50), tick=False):
        assert ok(desk.post(f"/api/v1/appointments/{one_off['id']}/check-in/"))["status"] == "checked_in"

    # The course patient stays on the blood thinner: the front desk cancels the course, its session with it.
    cancelled = ok(desk.post(f"/api/v1/plans/{plan['id']}/cancel/", {"reason": "Patient on warfarin for now"}))
    assert (cancelled["status"], cancelled["needs_attention"]) == ("cancelled", False)
    assert ok(desk.get(f"/api/v1/appointments/{session['id']}/"))["status"] == "cancelled"
    assert ok(desk.get("/api/v1/plans/?needs_attention=true"))["count"] == 0
    assert ok(desk.get("/api/v1/appointments/?needs_attention=true"))["count"] == 0

    for response in desk.answers:
        text = json.dumps(response.json()) if response.content else ""
        assert RATIONALE not in text and "rule_id" not in text and "anticoagulant-therapy" not in text, text
        if "Anticoagulant therapy" in text:  # a finding's name, only where /screenings/ would give it
            assert response.json()["code"] == "contraindicated"


def test_a_reviewed_plan_lifts_its_held_session_when_the_relative_finding_is_accepted(world):
    clinic, _, monday = world
    heart = relative_heart_rule(clinic, rationale="Ask the cardiologist.")
    doctor = api_client_for(factories.practitioner_user())
    patient = factories.PatientFactory()
    plan = ok(
        doctor.post(
            "/api/v1/plans/",
            {"patient": patient.pk, "therapy_type": clinic.prp.pk, "indication": "scars", "start_date": str(monday)},
            format="json",
        ),
        201,
    )
    session = ok(
        doctor.post(
            "/api/v1/appointments/",
            {
                "patient": patient.pk,
                "therapy_type": clinic.prp.pk,
                "practitioner": clinic.practitioners[0].pk,
                "start": local_time(monday, 10).isoformat(),
                "session": plan["sessions"][0]["id"],
            },
            format="json",
        ),
        201,
    )
    ok(doctor.post(f"/api/v1/patients/{patient.pk}/conditions/", {"condition": heart.pk}, format="json"), 201)
    assert ok(doctor.get(f"/api/v1/appointments/{session['id']}/"))["hold_findings"][0]["condition_name"] == (
        "Cardiovascular disease"
    )

    refused = code(doctor.post(f"/api/v1/plans/{plan['id']}/review/", {}, format="json"), 409, "contraindicated")
    assert "override_reason" in refused["errors"]
    reviewed = ok(
        doctor.post(f"/api/v1/plans/{plan['id']}/review/", {"override_reason": "Cardiologist agrees"}, format="json")
    )
    assert reviewed["needs_attention"] is False and "Cardiologist agrees" in reviewed["override_reason"]
    assert ok(doctor.get(f"/api/v1/appointments/{session['id']}/"))["on_hold"] is False


def test_a_relative_hold_is_released_with_a_reason_kept_on_the_appointment(world):
    clinic, _, monday = world
    heart = relative_heart_rule(clinic)
    doctor_user = factories.practitioner_user()
    doctor = api_client_for(doctor_user)
    desk = api_client_for(factories.front_desk_user())
    patient = factories.PatientFactory()
    booking = prp_at_ten(clinic, patient, monday)
    visit = ok(desk.post("/api/v1/appointments/", booking, format="json"), 201)
    ok(doctor.post(f"/api/v1/patients/{patient.pk}/conditions/", {"condition": heart.pk}, format="json"), 201)

    code(doctor.post(f"/api/v1/appointments/{visit['id']}/release/", {}, format="json"), 409, "contraindicated")
    released = ok(
        doctor.post(
            f"/api/v1/appointments/{visit['id']}/release/", {"override_reason": "Stable, GP letter"}, format="json"
        )
    )
    assert (released["on_hold"], released["override_reason"], released["override_by"]) == (
        False,
        "Stable, GP letter",
        doctor_user.pk,
    )
    # The override is the appointment's: re-screening (any later condition write) keeps it released.
    other = factories.ConditionFactory()
    ok(doctor.post(f"/api/v1/patients/{patient.pk}/conditions/", {"condition": other.pk}, format="json"), 201)
    assert ok(desk.get(f"/api/v1/appointments/{visit['id']}/"))["on_hold"] is False


def test_the_front_desk_may_not_book_over_a_relative_finding_a_practitioner_may(world):
    clinic, _, monday = world
    heart = relative_heart_rule(clinic)
    patient = factories.PatientFactory()
    factories.PatientConditionFactory(patient=patient, condition=heart)
    booking = prp_at_ten(clinic, patient, monday, override_reason="Cardiologist agrees")
    desk = api_client_for(factories.front_desk_user())
    doctor = api_client_for(factories.practitioner_user())
    assert (
        "override_reason"
        in code(desk.post("/api/v1/appointments/", booking, format="json"), 400, "validation_error")["errors"]
    )
    code(desk.post("/api/v1/appointments/", {**booking, "override_reason": ""}, format="json"), 409, "contraindicated")
    booked = ok(doctor.post("/api/v1/appointments/", booking, format="json"), 201)
    assert booked["override_reason"] == "Cardiologist agrees" and booked["on_hold"] is False


def test_availability_for_a_blocked_patient_is_refused_before_any_slot(world):
    clinic, blood_thinner, monday = world
    patient = factories.PatientFactory()
    factories.PatientConditionFactory(patient=patient, condition=blood_thinner)
    start = local_time(monday, 9)
    url = (
        f"/api/v1/availability/?therapy_type={clinic.prp.pk}&location={clinic.location.pk}"
        f"&start={start.isoformat()}&end={(start + timedelta(hours=8)).isoformat()}".replace("+", "%2B")
    )
    desk = api_client_for(factories.front_desk_user())
    body = code(desk.get(f"{url}&patient={patient.pk}"), 409, "contraindicated")
    assert body["blocking"] == [{"condition_name": "Anticoagulant therapy"}] and "slots" not in body
    assert ok(desk.get(f"{url}&patient={factories.PatientFactory().pk}"))["slots"]
    exosome = url.replace(f"therapy_type={clinic.prp.pk}", f"therapy_type={clinic.exosome.pk}")
    assert ok(desk.get(f"{exosome}&patient={patient.pk}"))["slots"]


def test_a_slot_found_at_one_location_books_there_or_says_why_not(world):
    clinic, _, monday = world
    leeds = factories.LocationFactory(name="Leeds clinic")
    factories.RoomFactory(location=leeds, name="Leeds room")
    factories.DeviceFactory(location=leeds, name="Leeds centrifuge")
    both = clinic.practitioners[0]
    both.locations.add(leeds)
    factories.WorkingHoursFactory(practitioner=both, location=leeds, weekday=1)  # Tuesdays in Leeds
    desk = api_client_for(factories.front_desk_user())
    tuesday = monday + timedelta(days=1)
    booking = {
        "patient": factories.PatientFactory().pk,
        "therapy_type": clinic.prp.pk,
        "practitioner": both.pk,
        "start": local_time(monday, 10).isoformat(),
        "location": leeds.pk,
    }
    refused = code(desk.post("/api/v1/appointments/", booking, format="json"), 409, "slot_unavailable")
    assert "Leeds clinic" in refused["detail"]
    # Tuesday both hold hours in London and Leeds: the location asked for is the one booked.
    tuesday_booking = {**booking, "start": local_time(tuesday, 10).isoformat()}
    booked = ok(desk.post("/api/v1/appointments/", tuesday_booking, format="json"), 201)
    assert booked["location"] == leeds.pk


def test_deactivating_a_practitioner_puts_their_appointments_on_the_list_until_moved(world):
    from care.people import practitioner_deactivate

    clinic, _, monday = world
    desk = api_client_for(factories.front_desk_user())
    leaving, staying = clinic.practitioners
    booking = {
        "patient": factories.PatientFactory().pk,
        "therapy_type": clinic.exosome.pk,
        "product": clinic.plant_product.pk,
        "practitioner": leaving.pk,
        "start": local_time(monday, 10).isoformat(),
    }
    visit = ok(desk.post("/api/v1/appointments/", booking, format="json"), 201)

    assert list(practitioner_deactivate(practitioner=leaving)) == [Appointment.objects.get(pk=visit["id"])]
    listed = ok(desk.get("/api/v1/appointments/?needs_attention=true"))["results"]
    assert [row["id"] for row in listed] == [visit["id"]]
    assert "no longer takes appointments" in listed[0]["attention_reason"]

    moved = ok(
        desk.post(
            f"/api/v1/appointments/{visit['id']}/reschedule/",
            {"start": visit["start"], "practitioner": staying.pk},
            format="json",
        )
    )
    assert (moved["practitioner"], moved["needs_attention"]) == (staying.pk, False)
    assert ok(desk.get("/api/v1/appointments/?needs_attention=true"))["count"] == 0


def test_a_relative_hold_refuses_completing_the_visit_until_a_practitioner_releases_it(world):
    """Completing is not a way out of a hold (a cancel or a no-show is): the checked-in visit stays held, untreated."""
    clinic, _, monday = world
    heart = relative_heart_rule(clinic)
    doctor = api_client_for(factories.practitioner_user())
    desk = api_client_for(factories.front_desk_user())
    patient = factories.PatientFactory()
    booking = prp_at_ten(clinic, patient, monday)
    visit = ok(desk.post("/api/v1/appointments/", booking, format="json"), 201)
    with time_machine.travel(local_time(monday, 9, 50), tick=False):
        ok(desk.post(f"/api/v1/appointments/{visit['id']}/check-in/", {}, format="json"))
        # In the chair, the patient mentions their heart condition: the visit is held.
        ok(doctor.post(f"/api/v1/patients/{patient.pk}/conditions/", {"condition": heart.pk}, format="json"), 201)
    assert Appointment.objects.get(pk=visit["id"]).on_hold

    with time_machine.travel(local_time(monday, 10, 30), tick=False):
        consent = {"method": "written", "text_version": "v1"}
        ok(doctor.post(f"/api/v1/appointments/{visit['id']}/consent/", consent, format="json"), 201)
        code(doctor.post(f"/api/v1/appointments/{visit['id']}/complete/", {}, format="json"), 409, "contraindicated")

    held = Appointment.objects.get(pk=visit["id"])
    assert (held.status, held.on_hold) == ("checked_in", True)
