"""Held appointments and people who leave (issue 21 items 6 and 9): a held appointment that moves tells the patient
the new time in neutral words; deactivating a practitioner or a patient puts their future appointments on the
attention list and holds their reminders; a move or cancel still works; nobody checks in or completes a visit with
a deactivated practitioner."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from care import booking
from care.holds import patient_condition_record
from care.people import patients_deactivate, patients_reactivate, practitioner_deactivate, practitioner_reactivate
from clinic.exceptions import DomainError
from messaging import reminders
from messaging.emails import appointment_link_url, local_time_text
from patients.choices import ConditionKind
from patients.models import Patient
from scheduling.models import Appointment
from tests import factories
from tests.conftest import api_client_for
from tests.factories import future_weekday, local_time, practitioner_user
from treatments.choices import Severity

pytestmark = pytest.mark.django_db


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def _book(clinic, *, patient=None, practitioner=None, day=None, hour=10):
    return booking.appointment_book(
        patient=patient or factories.PatientFactory(),
        therapy_type=clinic.prp,
        practitioner=practitioner or clinic.practitioners[0],
        start=local_time(day or future_weekday(0, after_days=3), hour),
    )


def _statuses(appointment: Appointment) -> dict[str, str]:
    return dict(appointment.reminders.values_list("kind", "status"))


def _hold(clinic, appointment):
    blood_thinner = factories.ConditionFactory(code="anticoagulant-therapy", kind=ConditionKind.MEDICATION)
    factories.ContraindicationFactory(condition=blood_thinner, therapy_type=clinic.prp, severity=Severity.ABSOLUTE)
    patient_condition_record(patient=appointment.patient, condition=blood_thinner, by=practitioner_user())
    appointment.refresh_from_db()
    assert appointment.on_hold


# --- item 6: a held appointment that moves ------------------------------------------------------------------------


def test_moving_a_held_appointment_at_the_desk_sends_the_new_time(clinic, front_desk_api):
    appointment = _book(clinic)
    reminders.reminders_dispatch_due()
    _hold(clinic, appointment)
    mail.outbox.clear()

    new_start = local_time(future_weekday(1, after_days=3), 11)
    moved = ok(
        front_desk_api.post(
            f"/api/v1/appointments/{appointment.pk}/reschedule/", {"start": new_start.isoformat()}, format="json"
        )
    )
    assert moved["on_hold"] is True
    assert _statuses(appointment)["rescheduled"] == "pending"
    reminders.reminders_dispatch_due()
    assert [message.subject for message in mail.outbox] == [
        f"New time: your PRP appointment is now on {local_time_text(new_start, clinic.location)}"
    ]
    assert "anticoagulant" not in mail.outbox[0].body.lower()
    assert {status for kind, status in _statuses(appointment).items() if kind.startswith("reminder_")} == {"held"}


def test_moving_a_held_appointment_by_the_patients_link_sends_the_new_time(clinic, clock, client):
    clock.move_to(datetime(2030, 1, 11, 18, tzinfo=UTC))  # a Friday evening: Monday's times are offered
    appointment = _book(clinic, day=future_weekday(0, after_days=3), hour=15)
    _hold(clinic, appointment)
    reminders.reminders_dispatch_due()
    mail.outbox.clear()

    url = appointment_link_url(appointment, action="reschedule")
    offered = re.findall(r'name="start" value="([^"]+)"', client.get(url).content.decode())
    page = client.post(url, {"start": offered[-1]})
    assert page.status_code == 200 and "We have sent you an email" in page.content.decode()
    reminders.reminders_dispatch_due()
    assert [message.subject.split(":")[0] for message in mail.outbox] == ["New time"]


# --- item 9: people who leave -------------------------------------------------------------------------------------


def test_a_deactivated_practitioners_visits_need_a_person_and_their_reminders_wait(clinic, front_desk_api):
    leaving = clinic.practitioners[0]
    appointment = _book(clinic, practitioner=leaving)
    reminders.reminders_dispatch_due()
    practitioner_deactivate(practitioner=leaving)

    seen = ok(front_desk_api.get(f"/api/v1/appointments/{appointment.pk}/"))
    assert seen["needs_attention"] and "practitioner" in seen["attention_reason"]
    listed = ok(front_desk_api.get(f"/api/v1/reminders/?appointment={appointment.pk}"))["results"]
    assert {row["status"] for row in listed if row["kind"].startswith("reminder_")} == {"held"}

    # The desk moves it to the colleague: off the list, reminders back.
    moved = ok(
        front_desk_api.post(
            f"/api/v1/appointments/{appointment.pk}/reschedule/",
            {"start": appointment.start.isoformat(), "practitioner": clinic.practitioners[1].pk},
            format="json",
        )
    )
    assert moved["needs_attention"] is False
    assert {s for k, s in _statuses(appointment).items() if k.startswith("reminder_")} == {"pending"}


def test_check_in_and_complete_refused_with_a_deactivated_practitioner(clinic):
    leaving = clinic.practitioners[0]
    appointment = _book(clinic, practitioner=leaving)
    checked_in = _book(clinic, practitioner=clinic.practitioners[1], hour=14)
    practitioner_deactivate(practitioner=leaving)
    with time_machine.travel(appointment.start + timedelta(minutes=5), tick=False):
        with pytest.raises(DomainError) as refused:
            booking.appointment_check_in(appointment=appointment)
        assert refused.value.code == "invalid_transition"
    with time_machine.travel(checked_in.start + timedelta(minutes=5), tick=False):
        booking.appointment_check_in(appointment=checked_in)
        doctor_api = api_client_for(leaving.user)
        ok(
            doctor_api.post(
                f"/api/v1/appointments/{checked_in.pk}/consent/",
                {"method": "written", "text_version": "v1"},
                format="json",
            ),
            201,
        )
        answer = doctor_api.post(f"/api/v1/appointments/{checked_in.pk}/complete/", {"notes": "ok"}, format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "invalid_transition", answer.content
    assert Appointment.objects.get(pk=checked_in.pk).status == "checked_in"
    practitioner_reactivate(practitioner=leaving)
    leaving.refresh_from_db()
    assert leaving.active


def test_a_deactivated_patients_visits_need_a_person_hold_reminders_and_can_move(clinic, front_desk_api):
    patient = factories.PatientFactory()
    appointment = _book(clinic, patient=patient)
    other = _book(clinic, patient=patient, hour=14)
    reminders.reminders_dispatch_due()
    patients_deactivate(patients=Patient.objects.filter(pk=patient.pk))

    attention = ok(front_desk_api.get("/api/v1/appointments/?needs_attention=true"))["results"]
    assert {row["id"] for row in attention} == {appointment.pk, other.pk}
    assert all("patient" in row["attention_reason"].lower() for row in attention)
    assert {s for k, s in _statuses(appointment).items() if k.startswith("reminder_")} == {"held"}

    new_start = local_time(future_weekday(1, after_days=3), 11)
    moved = ok(
        front_desk_api.post(
            f"/api/v1/appointments/{appointment.pk}/reschedule/", {"start": new_start.isoformat()}, format="json"
        )
    )
    assert moved["start"].startswith(new_start.date().isoformat())
    assert {s for k, s in _statuses(appointment).items() if k.startswith("reminder_")} == {"held"}
    cancelled = ok(front_desk_api.post(f"/api/v1/appointments/{other.pk}/cancel/", {"by": "clinic"}, format="json"))
    assert cancelled["status"] == "cancelled"

    patients_reactivate(patients=Patient.objects.filter(pk=patient.pk))
    assert ok(front_desk_api.get(f"/api/v1/appointments/{appointment.pk}/"))["needs_attention"] is False
    assert {s for k, s in _statuses(appointment).items() if k.startswith("reminder_")} == {"pending"}


def test_a_held_appointment_marked_a_no_show_is_no_longer_on_hold(clinic, clock, front_desk_api):
    """As a cancelled one: nothing is left to treat, so nothing is held; the findings stay in its history."""
    appointment = _book(clinic)
    _hold(clinic, appointment)
    clock.move_to(appointment.start + timedelta(minutes=20))

    answer = ok(front_desk_api.post(f"/api/v1/appointments/{appointment.pk}/no-show/"))

    appointment.refresh_from_db()
    assert (answer["status"], answer["on_hold"]) == ("no_show", False)
    assert (appointment.on_hold, appointment.held_at, appointment.hold_findings) == (False, None, [])
    assert any(record.on_hold and record.hold_findings for record in appointment.history.all())
