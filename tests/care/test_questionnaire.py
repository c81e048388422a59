"""The pre-visit questionnaire as a clinical record: what the patient declares counts from their local today, with
no end, whatever the clinic recorded before (an ended, inactive or soon-ending row of the same condition)."""

from datetime import timedelta

import pytest
import time_machine

from care import booking
from clinic.clock import clinic_today
from messaging.emails import appointment_link_url
from patients.choices import ConditionSource
from patients.models import AccessLog, PatientCondition, PatientNote
from scheduling.models import Appointment
from tests.factories import ConditionFactory, ContraindicationFactory, PatientFactory, future_weekday, local_time
from treatments.choices import Severity

pytestmark = pytest.mark.django_db
MONDAY = 0


@pytest.fixture
def thinner(clinic):
    condition = ConditionFactory(code="anticoagulant-therapy", name="Anticoagulant therapy", kind="medication")
    ContraindicationFactory(condition=condition, therapy_type=clinic.prp, severity=Severity.ABSOLUTE)
    return condition


@pytest.fixture
def visit(clinic):
    """A PRP visit two weeks ahead (a Monday at 10:00 in London)."""
    return booking.appointment_book(
        patient=PatientFactory(),
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[0],
        start=local_time(future_weekday(MONDAY, after_days=10), 10),
    )


def _earlier_row(kind: str, visit: Appointment) -> dict:
    today = clinic_today()
    visit_day = visit.start.astimezone(visit.location.zone).date()
    return {
        "ended": {"since": today - timedelta(days=60), "until": today - timedelta(days=7)},
        "inactive": {"active": False, "since": today - timedelta(days=60)},
        "ends_before_the_visit": {"until": visit_day - timedelta(days=3)},
        "ended_and_inactive": {"active": False, "until": today - timedelta(days=1)},
    }[kind]


@pytest.mark.parametrize("earlier", ["ended", "inactive", "ends_before_the_visit", "ended_and_inactive"])
def test_a_declared_blood_thinner_blocks_prp_whatever_the_clinic_recorded_before(
    earlier, clinic, thinner, visit, client, practitioner_api, front_desk_api
):
    """Issue 21 item 1: the earlier record of the same medicine (ended, inactive, or ending before the visit) must
    not swallow today's declaration: the visit goes on hold, screening says not eligible, check-in and complete
    are refused."""
    patient = visit.patient
    recorded = practitioner_api.post(
        f"/api/v1/patients/{patient.pk}/conditions/",
        {"condition": thinner.pk, **{k: str(v) for k, v in _earlier_row(earlier, visit).items() if k != "active"}},
        format="json",
    )
    assert recorded.status_code == 201, recorded.json()
    if "active" in _earlier_row(earlier, visit):
        row_id = recorded.json()["id"]
        assert (
            practitioner_api.patch(
                f"/api/v1/patients/{patient.pk}/conditions/{row_id}/", {"active": False}, format="json"
            ).status_code
            == 200
        )
    consent = {"method": "written", "text_version": "prp-v1"}
    assert practitioner_api.post(f"/api/v1/appointments/{visit.pk}/consent/", consent, format="json").status_code == 201
    visit.refresh_from_db()
    assert not visit.on_hold  # the earlier row does not block the visit

    answer = client.post(appointment_link_url(visit, action="questionnaire"), {"condition": [str(thinner.pk)]})
    screening = front_desk_api.post(
        "/api/v1/screenings/", {"patient": patient.pk, "therapy_type": clinic.prp.pk}, format="json"
    ).json()
    on_hold = practitioner_api.get(f"/api/v1/appointments/{visit.pk}/").json()["on_hold"]
    with time_machine.travel(visit.start + timedelta(minutes=5), tick=False):
        check_in = front_desk_api.post(f"/api/v1/appointments/{visit.pk}/check-in/")
        complete = practitioner_api.post(
            f"/api/v1/appointments/{visit.pk}/complete/", {"notes": "given"}, format="json"
        )
    seen = {
        "told": "The clinic will contact you" in answer.content.decode(),
        "on_hold": on_hold,
        "eligible": screening["eligible"],
        "check_in": (check_in.status_code, check_in.json().get("code")),
        "complete": complete.status_code,
    }
    assert seen == {
        "told": True,
        "on_hold": True,
        "eligible": False,
        "check_in": (409, "contraindicated"),
        "complete": 409,
    }
    row = PatientCondition.objects.get(patient=patient, condition=thinner)
    assert (row.active, row.until, row.source, row.verified) == (True, None, ConditionSource.PATIENT, False)
    assert row.since is None or row.since <= clinic_today()
    assert Appointment.objects.get(pk=visit.pk).status == "booked"


def test_a_declaration_keeps_the_start_of_a_course_the_clinic_recorded_as_ongoing(clinic, thinner, visit, client):
    """A row that already holds today keeps its start; only its end goes (the patient still takes it)."""
    started = clinic_today() - timedelta(days=100)
    PatientCondition.objects.create(
        patient=visit.patient, condition=thinner, since=started, until=clinic_today() + timedelta(days=2)
    )
    client.post(appointment_link_url(visit, action="questionnaire"), {"condition": [str(thinner.pk)]})
    row = PatientCondition.objects.get(patient=visit.patient, condition=thinner)
    assert (row.since, row.until, row.active) == (started, None, True)
    assert Appointment.objects.get(pk=visit.pk).on_hold


def test_the_patients_own_words_reach_clinicians_and_the_attention_list_until_read(
    visit, client, practitioner_api, front_desk_api, clinic_admin_api
):
    """Issue 21 item 3: `other="I take apixaban"` was told "the clinic will contact you" and went nowhere."""
    patient = visit.patient
    answer = client.post(appointment_link_url(visit, action="questionnaire"), {"other": "  I take apixaban  "})
    assert "The clinic will contact you" in answer.content.decode()

    attention = "/api/v1/appointments/?needs_attention=true"
    desk_list = front_desk_api.get(attention).json()["results"]
    clinical_list = practitioner_api.get(attention).json()["results"]
    desk_detail = front_desk_api.get(f"/api/v1/appointments/{visit.pk}/")
    notes = practitioner_api.get(f"/api/v1/patients/{patient.pk}/notes/")
    export = practitioner_api.get(f"/api/v1/patients/{patient.pk}/export/").json()
    seen = {
        "desk_listed": [(a["id"], a["attention_reason"]) for a in desk_list],
        "clinical_listed": [a["id"] for a in clinical_list],
        "notes": (
            notes.status_code,
            [(n["text"], n["source"], n["appointment"], n["read_at"]) for n in notes.json()["results"]],
        ),
        "export": [n["text"] for n in export["notes"]],
        "desk_notes": front_desk_api.get(f"/api/v1/patients/{patient.pk}/notes/").status_code,
    }
    assert seen == {
        "desk_listed": [(visit.pk, "Needs a practitioner's review of the questionnaire answers.")],
        "clinical_listed": [visit.pk],
        "notes": (200, [("I take apixaban", "patient", visit.pk, None)]),
        "export": ["I take apixaban"],
        "desk_notes": 403,
    }
    assert "apixaban" not in desk_detail.content.decode() and "apixaban" not in str(desk_list)
    assert "no-store" in notes["Cache-Control"].split(", ")
    assert AccessLog.objects.filter(patient=patient, endpoint=f"/api/v1/patients/{patient.pk}/notes/").exists()

    read = f"/api/v1/appointments/{visit.pk}/questionnaire-read/"
    assert front_desk_api.post(read).status_code == 403
    marked = practitioner_api.post(read)
    assert marked.status_code == 200 and marked.json()["needs_attention"] is False
    assert clinic_admin_api.post(read).status_code == 200  # read already: answered as it is
    assert front_desk_api.get(attention).json()["results"] == []
    note = practitioner_api.get(f"/api/v1/patients/{patient.pk}/notes/").json()["results"][0]
    assert (note["read_by"], note["read_at"] is not None) == (practitioner_api.user.pk, True)


def test_an_answer_without_words_puts_nothing_on_the_list_and_no_answer_cannot_be_read(visit, client, practitioner_api):
    read = f"/api/v1/appointments/{visit.pk}/questionnaire-read/"
    assert practitioner_api.post(read).json()["code"] == "invalid_transition"
    client.post(appointment_link_url(visit, action="questionnaire"), {"other": "   "})
    assert practitioner_api.get("/api/v1/appointments/?needs_attention=true").json()["results"] == []
    assert practitioner_api.post(read).status_code == 200
    assert PatientNote.objects.count() == 0
