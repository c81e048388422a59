"""The admin writes clinical data through the services the API calls: a patient's conditions (with `until`, the
service's validation on the form, the re-screening and holds), a practitioner's verdict, rules."""

from datetime import timedelta

import pytest
from django.urls import reverse

from clinic.clock import clinic_today
from patients.models import PatientCondition
from scheduling import booking, holds
from scheduling.models import Appointment
from tests import factories
from tests.factories import future_weekday, local_time
from treatments.choices import Severity
from treatments.lots import lot_recall
from treatments.models import ProductLot

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(client):
    client.force_login(factories.clinic_admin_user(username="lead"))
    return client


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


# --- lots -----------------------------------------------------------------------------------------------------


def _lot_form(lot, **fields) -> dict:
    form = {
        "product": lot.product_id,
        "lot_number": lot.lot_number,
        "expires_on": lot.expires_on,
        "received_on": lot.received_on or "",
        "status": lot.status,
        "status_reason": lot.status_reason,
        "status_changes-TOTAL_FORMS": 0,
        "status_changes-INITIAL_FORMS": 0,
    }
    return {**form, **fields}


def test_a_lot_cannot_be_deleted_in_the_admin(lead, clinic):
    lot = clinic.fish_lot
    assert lead.post(reverse("admin:treatments_productlot_delete", args=[lot.pk]), {"post": "yes"}).status_code == 403
    changelist = lead.get(reverse("admin:treatments_productlot_changelist")).content.decode()
    assert "delete_selected" not in changelist
    assert type(lot).objects.filter(pk=lot.pk).exists()


def test_a_recalled_lot_is_released_again_only_with_a_reason_and_its_recall_stays_on_record(lead, clinic):
    lot = lot_recall(lot=clinic.fish_lot, by=factories.practitioner_user(username="dr-recall"), reason="Sterility")
    change = reverse("admin:treatments_productlot_change", args=[lot.pk])

    silent = lead.post(change, _lot_form(lot, status="released", status_reason=""))
    assert silent.status_code == 200
    assert "Its recall stays on record" in silent.context["adminform"].form.errors["status_reason"][0]
    lot.refresh_from_db()
    assert lot.status == "recalled"

    released = lead.post(change, _lot_form(lot, status="released", status_reason="Retested: sterile"))

    assert released.status_code == 302
    lot.refresh_from_db()
    assert (lot.status, lot.recalled_by.username) == ("released", "dr-recall")
    assert list(lot.status_changes.values_list("from_status", "to_status", "reason", "by__username")) == [
        ("released", "recalled", "Sterility", "dr-recall"),
        ("recalled", "released", "Retested: sterile", "lead"),
    ]
    page = lead.get(change).content.decode()
    assert "Sterility" in page and "Retested: sterile" in page


def test_lots_are_quarantined_by_an_action_with_a_reason(lead, clinic):
    lot = clinic.plant_lot
    changelist = reverse("admin:treatments_productlot_changelist")

    lead.post(
        changelist, {"action": "quarantine", "_selected_action": [lot.pk], "apply": "yes", "reason": "Cold chain"}
    )

    lot.refresh_from_db()
    assert (lot.status, lot.status_reason) == ("quarantined", "Cold chain")
    assert lot.status_changes.get().by.username == "lead"


def test_a_lot_received_in_the_admin_starts_its_history(lead, clinic):
    add = reverse("admin:treatments_productlot_add")
    form = _lot_form(clinic.plant_lot, lot_number="NEW-1", status="released", status_reason="")

    assert lead.post(add, form).status_code == 302

    lot = ProductLot.objects.get(lot_number="NEW-1")
    assert list(lot.status_changes.values_list("from_status", "to_status")) == [("", "released")]
