"""The admin writes clinical data through the services the API calls: a patient's conditions (with `until`, the
service's validation on the form, the re-screening and holds) and a practitioner's verdict; plans, sessions and
consents are shown, never deleted (one by one or in bulk), a plan cancelled and a session skipped with a reason."""

from datetime import timedelta

import pytest
from django.urls import reverse

from care import booking, holds
from care.planning import plan_schedule
from clinic.clock import clinic_today
from patients.models import PatientCondition
from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment
from tests import factories
from tests.factories import future_weekday, local_time
from treatments.choices import PlanStatus, SessionStatus, Severity
from treatments.models import Consent, TreatmentPlan, TreatmentSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(client):
    client.force_login(factories.clinic_admin_user(username="lead"))
    return client


@pytest.fixture
def plan(clinic):
    """A three-session PRP course, consented, every session booked."""
    plan = factories.open_plan(therapy_type=clinic.prp, sessions_planned=3)
    plan_schedule(plan=plan)
    assert plan.appointments.filter(status=AppointmentStatus.BOOKED).count() == 3
    return plan


def test_a_plan_its_sessions_and_its_consent_cannot_be_deleted_in_the_admin(lead, plan):
    """Issue 21 item 5: deleting a plan in the admin removed it with its consent and override."""
    session = plan.sessions.get(sequence=2)
    consent = plan.consents.get()
    pages = {
        "plan": lead.post(reverse("admin:treatments_treatmentplan_delete", args=[plan.pk]), {"post": "yes"}),
        "session": lead.post(reverse("admin:treatments_treatmentsession_delete", args=[session.pk]), {"post": "yes"}),
        "consent": lead.post(reverse("admin:treatments_consent_delete", args=[consent.pk]), {"post": "yes"}),
    }

    assert {name: page.status_code for name, page in pages.items()} == {"plan": 403, "session": 403, "consent": 403}
    assert TreatmentPlan.objects.filter(pk=plan.pk).exists()
    assert plan.sessions.count() == 3 and Consent.objects.filter(pk=consent.pk).exists()


@pytest.mark.parametrize("model", ["treatmentplan", "treatmentsession", "consent"])
def test_no_bulk_delete_is_offered_or_obeyed(lead, plan, model):
    changelist = reverse(f"admin:treatments_{model}_changelist")
    page = lead.get(changelist)
    assert page.status_code == 200 and "delete_selected" not in page.content.decode()

    ids = {"treatmentplan": [plan.pk], "treatmentsession": list(plan.sessions.values_list("pk", flat=True))}
    lead.post(changelist, {"action": "delete_selected", "_selected_action": ids.get(model, [1]), "post": "yes"})

    assert TreatmentPlan.objects.count() == 1 and TreatmentSession.objects.count() == 3 and Consent.objects.count()


def test_a_plan_is_cancelled_in_the_admin_through_the_service_with_a_reason(lead, plan):
    changelist = reverse("admin:treatments_treatmentplan_changelist")
    selected = {"action": "cancel_plans", "_selected_action": [plan.pk]}

    asked = lead.post(changelist, selected)
    assert asked.status_code == 200 and "Reason" in asked.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE  # nothing happens before a reason is given

    done = lead.post(changelist, {**selected, "apply": "yes", "reason": "Patient moved abroad"})

    assert done.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CANCELLED and "Patient moved abroad" in plan.notes
    assert set(plan.appointments.values_list("status", flat=True)) == {AppointmentStatus.CANCELLED}


def test_a_session_is_skipped_in_the_admin_through_the_service(lead, plan):
    session = plan.sessions.get(sequence=3)
    changelist = reverse("admin:treatments_treatmentsession_changelist")

    done = lead.post(
        changelist, {"action": "skip_sessions", "_selected_action": [session.pk], "apply": "yes", "reason": "Enough"}
    )

    assert done.status_code == 302
    session.refresh_from_db()
    assert (session.status, session.notes) == (SessionStatus.SKIPPED, "Enough")
    assert session.appointments.get().status == AppointmentStatus.CANCELLED


def test_a_refused_cancel_is_reported_not_swallowed(lead, plan):
    changelist = reverse("admin:treatments_treatmentplan_changelist")
    selected = {"action": "cancel_plans", "_selected_action": [plan.pk], "apply": "yes", "reason": "Twice"}
    lead.post(changelist, selected)

    again = lead.post(changelist, selected, follow=True)

    assert "it cannot be cancelled" in again.content.decode()


def test_plan_and_session_pages_write_nothing(lead, plan):
    session = plan.sessions.get(sequence=1)
    page = lead.get(reverse("admin:treatments_treatmentplan_change", args=[plan.pk])).content.decode()
    assert 'name="notes"' not in page and 'name="sessions-0-notes"' not in page
    answer = lead.post(reverse("admin:treatments_treatmentsession_change", args=[session.pk]), {"notes": "typed"})
    assert answer.status_code == 403
    history = reverse("admin:treatments_treatmentplan_simple_history", args=[plan.pk, plan.history.first().pk])
    assert lead.post(history, {"indication": "scars"}).status_code == 403


# --- conditions ------------------------------------------------------------------------------------------------


@pytest.fixture
def thinner(clinic):
    condition = factories.ConditionFactory(code="anticoagulant-therapy", name="Anticoagulant therapy")
    factories.ContraindicationFactory(condition=condition, therapy_type=clinic.prp, severity=Severity.ABSOLUTE)
    return condition


@pytest.fixture
def visit(clinic):
    return booking.appointment_book(
        patient=factories.PatientFactory(),
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[0],
        start=local_time(future_weekday(0, after_days=10), 10),
    )


def _on_hold(appointment) -> bool:
    return Appointment.objects.get(pk=appointment.pk).on_hold


def _change(row: PatientCondition, **fields) -> dict:
    form = {"active": "on" if row.active else "", "since": row.since or "", "until": row.until or "", "note": row.note}
    form.update(fields)
    return {name: value for name, value in form.items() if value != ""}


def test_clearing_until_in_the_admin_restarts_the_medicine_and_holds_the_visit(lead, thinner, visit):
    """Issue 21 item 2: warfarin restarted, recorded by clearing `until` in the admin."""
    row = holds.patient_condition_record(
        patient=visit.patient, condition=thinner, by=None, until=clinic_today() - timedelta(days=5)
    )
    assert not _on_hold(visit)

    answer = lead.post(reverse("admin:patients_patientcondition_change", args=[row.pk]), _change(row, until=""))

    assert answer.status_code == 302
    row.refresh_from_db()
    assert row.until is None
    assert _on_hold(visit)
    assert row.history.first().history_user.username == "lead"


def test_a_condition_added_in_the_admin_keeps_its_end_and_is_screened_with_it(lead, thinner, visit):
    visit_day = visit.start.astimezone(visit.location.zone).date()
    until = visit_day + timedelta(days=1)
    add = reverse("admin:patients_patientcondition_add")
    form = {"patient": visit.patient.pk, "condition": thinner.pk, "active": "on", "until": until, "note": "Warfarin"}

    assert lead.post(add, form).status_code == 302

    row = PatientCondition.objects.get(patient=visit.patient, condition=thinner)
    assert (row.until, row.note) == (until, "Warfarin")
    assert _on_hold(visit)


def test_ending_a_condition_in_the_admin_lifts_the_hold_it_caused(lead, thinner, visit):
    row = holds.patient_condition_record(patient=visit.patient, condition=thinner, by=None)
    assert _on_hold(visit)
    change = reverse("admin:patients_patientcondition_change", args=[row.pk])

    assert lead.post(change, _change(row, until=clinic_today())).status_code == 302

    assert not _on_hold(visit)


def test_the_admin_form_shows_the_services_refusals_on_their_fields(lead, thinner, visit):
    row = holds.patient_condition_record(
        patient=visit.patient, condition=thinner, by=None, since=clinic_today() - timedelta(days=3)
    )
    change = reverse("admin:patients_patientcondition_change", args=[row.pk])

    inverted = lead.post(change, _change(row, until=clinic_today() - timedelta(days=10)))
    future = lead.post(change, _change(row, since=clinic_today() + timedelta(days=2)))
    twice = lead.post(
        reverse("admin:patients_patientcondition_add"),
        {"patient": visit.patient.pk, "condition": thinner.pk, "active": "on"},
    )

    assert inverted.status_code == 200
    assert inverted.context["adminform"].form.errors == {"until": ["A condition cannot end before it began."]}
    assert future.context["adminform"].form.errors == {"since": ["The date cannot be in the future."]}
    assert "already recorded for this patient" in twice.context["adminform"].form.errors["condition"][0]
    row.refresh_from_db()
    assert (row.since, row.until) == (clinic_today() - timedelta(days=3), None)
    assert PatientCondition.objects.count() == 1


def test_rejecting_a_declared_condition_in_the_admin_lifts_the_hold(lead, thinner, visit):
    row = holds.patient_condition_record(
        patient=visit.patient, condition=thinner, by=None, source="patient", verified=False
    )
    assert _on_hold(visit)
    changelist = reverse("admin:patients_patientcondition_changelist")

    answer = lead.post(changelist, {"action": "reject", "_selected_action": [row.pk]})

    assert answer.status_code == 302
    row.refresh_from_db()
    assert (row.verified, row.active, row.verified_by.username) == (False, False, "lead")
    assert not _on_hold(visit)
    lead.post(changelist, {"action": "confirm", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.verified is True
