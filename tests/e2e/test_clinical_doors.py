"""The doors beside the API, in Chromium: the admin (a condition's end, no deletes, a plan cancelled and a lot
released again with a reason) and the patient's questionnaire (a blood thinner declared over an ended record, the
patient's own words read by a practitioner, never by the desk)."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from care import booking, holds
from care.planning import plan_schedule
from clinic.clock import clinic_today
from messaging.emails import appointment_link_url
from patients.models import PatientCondition, PatientNote
from scheduling.models import Appointment
from tests import factories
from tests.e2e.conftest import TIMEOUT_MS, log_in
from treatments.choices import PlanStatus, Severity
from treatments.lots import lot_recall

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def thinner(clinic):
    condition = factories.ConditionFactory(
        code="anticoagulant-therapy", name="Anticoagulant therapy", kind="medication"
    )
    factories.ContraindicationFactory(condition=condition, therapy_type=clinic.prp, severity=Severity.ABSOLUTE)
    return condition


@pytest.fixture
def visit(clinic):
    return booking.appointment_book(
        patient=factories.PatientFactory(first_name="Marie", last_name="Curie"),
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[0],
        start=factories.local_time(factories.future_weekday(1, after_days=7), 10),
    )


def admin_log_in(page, path: str):
    factories.clinic_admin_user(username="lead")
    page.goto(path)
    page.get_by_label("Username").fill("lead")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_the_admin_restarts_a_medicine_by_clearing_its_end_and_the_visit_is_held(new_page, thinner, visit):
    row = holds.patient_condition_record(
        patient=visit.patient,
        condition=thinner,
        by=None,
        since=clinic_today() - timedelta(days=30),
        until=clinic_today() - timedelta(days=3),
    )
    page = new_page()
    admin_log_in(page, f"/admin/patients/patientcondition/{row.pk}/change/")

    page.get_by_label("Until").fill((clinic_today() - timedelta(days=40)).isoformat())
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("A condition cannot end before it began.")
    assert not Appointment.objects.get(pk=visit.pk).on_hold

    page.get_by_label("Until").fill("")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    row.refresh_from_db()
    assert row.until is None
    assert Appointment.objects.get(pk=visit.pk).on_hold


def test_the_admin_offers_no_delete_and_cancels_a_plan_with_a_reason(new_page, clinic):
    plan = factories.open_plan(therapy_type=clinic.prp, sessions_planned=2)
    plan_schedule(plan=plan)
    page = new_page()
    admin_log_in(page, "/admin/treatments/treatmentplan/")

    options = page.locator("select[name=action] option").all_inner_texts()
    assert not any("Delete" in option for option in options)
    page.locator(f"input[name=_selected_action][value='{plan.pk}']").check()
    page.locator("select[name=action]").select_option("cancel_plans")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("Reason").fill("The patient moved abroad")
    page.get_by_role("button", name="Cancel plans").click()
    expect(page.locator(".messagelist")).to_contain_text("Cancel plans: 1 done.")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CANCELLED

    page.goto(f"/admin/treatments/treatmentplan/{plan.pk}/change/")
    expect(page.get_by_role("link", name="Delete")).to_have_count(0)
    assert page.goto(f"/admin/treatments/treatmentplan/{plan.pk}/delete/").status == 403


def test_a_recalled_lot_is_released_again_in_the_admin_only_with_a_reason(new_page, clinic):
    lot = lot_recall(lot=clinic.fish_lot, by=factories.practitioner_user(), reason="Sterility failure")
    page = new_page()
    admin_log_in(page, f"/admin/treatments/productlot/{lot.pk}/change/")

    page.locator("#id_status").select_option("released")
    page.locator("#id_status_reason").fill("")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("Its recall stays on record.")

    page.locator("#id_status_reason").fill("Retested: sterile")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.goto(f"/admin/treatments/productlot/{lot.pk}/change/")
    history = page.locator("#status_changes-group")
    expect(history).to_contain_text("Sterility failure")
    expect(history).to_contain_text("Retested: sterile")


def test_a_declared_blood_thinner_and_the_patients_own_words_reach_the_practitioner_not_the_desk(
    new_page, browser, live_server, clinic, thinner, visit
):
    factories.front_desk_user(username="desk")
    PatientCondition.objects.create(
        patient=visit.patient,
        condition=thinner,
        since=clinic_today() - timedelta(days=90),
        until=clinic_today() - timedelta(days=10),
    )
    patient_context = browser.new_context(base_url=live_server.url, locale="en-GB", java_script_enabled=False)
    patient_context.set_default_timeout(TIMEOUT_MS)
    form = patient_context.new_page()
    form.goto(urlsplit(appointment_link_url(visit, action="questionnaire")).path)
    form.get_by_label("Anticoagulant therapy").check()
    form.get_by_label("Any other medicines, conditions or allergies (optional)").fill("I take apixaban")
    form.get_by_role("button", name="Send my answers").click()
    expect(form.get_by_text("The clinic will contact you")).to_be_visible()
    patient_context.close()
    assert Appointment.objects.get(pk=visit.pk).on_hold

    desk = new_page()
    log_in(desk, "desk", factories.PASSWORD)
    attention = desk.locator("#attention-appointments")
    expect(attention).to_contain_text("Marie Curie")
    expect(attention).to_contain_text("Needs a practitioner's review")
    assert "apixaban" not in desk.content()
    desk.goto(f"/desk/patients/{visit.patient_id}/")
    desk.wait_for_selector("body[data-ready=true]")
    expect(desk.locator("#notes-heading")).to_be_hidden()
    assert "apixaban" not in desk.content()

    doctor = new_page()
    record = f"/desk/patients/{visit.patient_id}/"
    log_in(doctor, clinic.practitioners[0].user.username, factories.PASSWORD, path=record)
    words = doctor.get_by_role("table", name="The patient's own words")
    expect(words).to_contain_text("I take apixaban")
    words.get_by_role("button", name="Mark read").click()
    expect(doctor.locator("#flash")).to_contain_text("Marked read")
    expect(words.get_by_role("button", name="Mark read")).to_have_count(0)
    assert PatientNote.objects.get().read_by == clinic.practitioners[0].user
