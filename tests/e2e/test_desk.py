"""The front desk and the practitioner in a real browser (Chromium) against the live server and the real API."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from patients.choices import ConditionKind
from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment
from tests import factories
from tests.e2e.conftest import log_in
from treatments.choices import Indication, SessionStatus
from treatments.models import TreatmentSession
from treatments.plans import plan_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clinic_daytime")]

LONDON = ZoneInfo("Europe/London")
TABLET = {"width": 800, "height": 1180}


@pytest.fixture
def desk_user():
    return factories.front_desk_user(username="desk")


def local_today_at(hour: int, days: int = 0) -> datetime:
    day = datetime.now(LONDON).date() + timedelta(days=days)
    return datetime.combine(day, time(hour), tzinfo=LONDON)


def open_booking_for(page, patient):
    page.get_by_label("Find a patient (name, email, phone or date of birth)").fill(patient.last_name)
    page.get_by_role("button", name=f"Book for {patient.first_name} {patient.last_name}").click()
    expect(page.locator("#booking-patient")).to_have_text(f"Patient: {patient.first_name} {patient.last_name}")


def find_prp_slots(page, clinic):
    page.get_by_label(clinic.prp.name, exact=True).check()
    page.get_by_role("button", name="Find free slots").click()
    expect(page.locator("#slots .slot").first).to_be_visible()


def test_front_desk_logs_in_and_sees_the_day_per_practitioner_and_per_room(new_page, clinic, desk_user):
    patient = factories.PatientFactory(first_name="Ada", last_name="Lovelace")
    factories.PatientFactory(first_name="Charles", last_name="Babbage", email="")
    factories.TreatmentPlanFactory(
        patient=patient, needs_attention=True, attention_reason="Session 2 could not be placed in its window."
    )
    appointment = factories.AppointmentFactory(
        patient=patient,
        practitioner=clinic.practitioners[0],
        location=clinic.location,
        room=clinic.rooms[0],
        device=clinic.centrifuge,
        therapy_type=clinic.prp,
        start=local_today_at(10),
        end=local_today_at(11),
    )
    factories.ReminderFactory(appointment=appointment, status="failed", last_error="550 mailbox unavailable")
    page = new_page()
    log_in(page, "desk", factories.PASSWORD)

    expect(page.get_by_role("heading", name="Appointments", exact=True)).to_be_visible()
    expect(page.locator("#attention-plans")).to_contain_text("Ada Lovelace")
    expect(page.locator("#attention-plans")).to_contain_text("Session 2 could not be placed in its window.")
    expect(page.locator("#failed-reminders")).to_contain_text("550 mailbox unavailable")
    expect(page.locator("#failed-reminders")).to_contain_text("Ada Lovelace")
    expect(page.locator("#no-email-patients li")).to_have_count(1)
    expect(page.locator("#no-email-patients")).to_contain_text("Charles Babbage")
    expect(page.locator(".col-head")).to_have_text([p.display_name for p in clinic.practitioners])
    card = page.locator(".card", has_text="Ada Lovelace")
    expect(card).to_contain_text("10:00")
    expect(card).to_contain_text("PRP")
    expect(card).to_contain_text("Room A · Centrifuge 1")
    expect(card).to_have_class(re.compile(r"\bstatus-booked\b"))

    page.get_by_label("Rooms").check()
    expect(page.locator(".col-head")).to_have_text(["Room A", "Room B"])
    expect(page.locator('[data-key="room"] .card', has_text="Ada Lovelace")).to_contain_text(
        clinic.practitioners[0].display_name
    )
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator(".card")).to_have_count(0)


def test_register_a_patient_with_field_errors_then_find_them(new_page, clinic, desk_user, page_problems):
    page = new_page(viewport=TABLET)
    log_in(page, "desk", factories.PASSWORD)

    page.get_by_text("Register a new patient").click()
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Date of birth", exact=True).fill("1970-12-09")
    page.get_by_label("Email", exact=True).fill("grace@example.com")
    page.get_by_label("Phone (e.g. 07700 900123 or +44 7700 900123)").fill("0770 0900")
    page.get_by_role("button", name="Register patient").click()

    phone_error = page.locator("#reg-phone-error")
    expect(phone_error).to_contain_text("such as 07700 900123")
    expect(page.get_by_label("Phone (e.g. 07700 900123 or +44 7700 900123)")).to_have_attribute("aria-invalid", "true")
    assert [r.split(" ")[0] for r in page_problems.refusals] == ["400"]
    page_problems.refusals.clear()

    page.get_by_label("Phone (e.g. 07700 900123 or +44 7700 900123)").fill("07700 900123")  # national form
    page.get_by_role("button", name="Register patient").click()
    expect(page.locator("#flash")).to_contain_text("Grace Hopper registered.")
    expect(page.locator("#booking-patient")).to_have_text("Patient: Grace Hopper")

    page.get_by_label("Find a patient (name, email, phone or date of birth)").fill("hopp")
    expect(page.locator("#patient-results")).to_contain_text("Grace Hopper")
    page.get_by_label("Find a patient (name, email, phone or date of birth)").fill("+4477009001")
    expect(page.locator("#patient-results")).to_contain_text("grace@example.com")


def test_book_a_prp_session_from_the_offered_slots_and_see_it_on_the_day(new_page, clinic, desk_user):
    patient = factories.PatientFactory(first_name="Mary", last_name="Somerville")
    page = new_page()
    log_in(page, "desk", factories.PASSWORD)
    open_booking_for(page, patient)
    find_prp_slots(page, clinic)

    first = page.locator("#slots .slot").first
    start = first.get_attribute("data-start")
    # Keyboard only: choose the slot and confirm with Enter.
    first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Confirm booking")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#flash")).to_contain_text("Booked: Mary Somerville")
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.start == datetime.fromisoformat(start.replace("Z", "+00:00"))
    assert appointment.device == clinic.centrifuge
    expect(page.get_by_label("Date", exact=True)).to_have_value(appointment.start.astimezone(LONDON).date().isoformat())
    card = page.locator(f'.card[data-appointment="{appointment.id}"]')
    expect(card).to_contain_text("Mary Somerville")
    expect(card).to_contain_text(appointment.start.astimezone(LONDON).strftime("%H:%M"))


def test_a_slot_taken_by_another_desk_meanwhile_is_refused_and_the_list_refreshed(
    new_page, clinic, desk_user, page_problems
):
    factories.front_desk_user(username="desk2")
    first_patient = factories.PatientFactory(first_name="Rosalind", last_name="Franklin")
    second_patient = factories.PatientFactory(first_name="Lise", last_name="Meitner")
    desk_one = new_page()
    log_in(desk_one, "desk", factories.PASSWORD)
    open_booking_for(desk_one, first_patient)
    find_prp_slots(desk_one, clinic)
    slot = desk_one.locator("#slots .slot").first
    start, practitioner = slot.get_attribute("data-start"), slot.get_attribute("data-practitioner")
    same_slot = f'#slots .slot[data-start="{start}"][data-practitioner="{practitioner}"]'

    desk_two = new_page()
    log_in(desk_two, "desk2", factories.PASSWORD)
    open_booking_for(desk_two, second_patient)
    find_prp_slots(desk_two, clinic)
    desk_two.locator(same_slot).click()
    desk_two.get_by_role("button", name="Confirm booking").click()
    expect(desk_two.locator("#flash")).to_contain_text("Booked: Lise Meitner")

    desk_one.locator(same_slot).click()
    desk_one.get_by_role("button", name="Confirm booking").click()
    expect(desk_one.locator("#booking-message")).to_contain_text("That slot was just taken, pick another.")
    expect(desk_one.locator("#slots .slot").first).to_be_visible()
    expect(desk_one.locator(same_slot)).to_have_count(0)
    assert list(Appointment.objects.values_list("patient_id", flat=True)) == [second_patient.id]
    assert [r.split(" ")[0] for r in page_problems.refusals] == ["409"]
    page_problems.refusals.clear()


def test_check_in_one_appointment_and_cancel_another_with_a_reason(new_page, clinic, desk_user):
    common = {
        "practitioner": clinic.practitioners[0],
        "location": clinic.location,
        "room": clinic.rooms[0],
        "therapy_type": clinic.prp,
        "device": clinic.centrifuge,
    }
    arriving = factories.AppointmentFactory(
        patient=factories.PatientFactory(first_name="Alan", last_name="Turing"),
        start=local_today_at(9),
        end=local_today_at(10),
        **common,
    )
    staying_home = factories.AppointmentFactory(
        patient=factories.PatientFactory(first_name="Emmy", last_name="Noether"),
        start=local_today_at(14, days=2),
        end=local_today_at(15, days=2),
        **common,
    )
    page = new_page()
    log_in(page, "desk", factories.PASSWORD)

    page.locator(".card", has_text="Alan Turing").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("single visit")
    dialog.get_by_role("button", name="Check in").click()
    expect(page.locator(".card", has_text="Alan Turing")).to_contain_text("Checked in")
    expect(page.locator(".card", has_text="Alan Turing")).to_have_class(re.compile(r"\bstatus-checked_in\b"))

    page.get_by_label("Date", exact=True).fill(staying_home.start.astimezone(LONDON).date().isoformat())
    page.get_by_label("Date", exact=True).dispatch_event("change")
    page.locator(".card", has_text="Emmy Noether").click()
    dialog.get_by_role("button", name="Cancel appointment").click()
    dialog.get_by_label("Reason for cancelling").fill("Patient has the flu")
    dialog.get_by_role("button", name="Confirm cancellation").click()
    expect(dialog).to_contain_text("Say who cancelled")  # nothing is chosen for the desk
    dialog.get_by_label("Patient cancelled").check()
    dialog.get_by_role("button", name="Confirm cancellation").click()
    expect(page.locator(".card", has_text="Emmy Noether")).to_contain_text("Cancelled")

    arriving.refresh_from_db()
    staying_home.refresh_from_db()
    assert arriving.status == AppointmentStatus.CHECKED_IN
    assert staying_home.status == AppointmentStatus.CANCELLED
    assert staying_home.cancel_reason == "Patient has the flu"


def test_a_contraindicated_patient_is_refused_with_the_reason_shown(new_page, clinic, desk_user, page_problems):
    anticoagulant = factories.ConditionFactory(
        code="anticoagulant-therapy", name="Anticoagulant therapy", kind=ConditionKind.MEDICATION
    )
    factories.ContraindicationFactory(condition=anticoagulant, therapy_type=clinic.prp, severity="absolute")
    patient = factories.PatientFactory(first_name="Marie", last_name="Curie")
    factories.PatientConditionFactory(patient=patient, condition=anticoagulant)
    page = new_page()
    log_in(page, "desk", factories.PASSWORD)
    open_booking_for(page, patient)

    page.get_by_label(clinic.prp.name, exact=True).check()
    page.get_by_role("button", name="Find free slots").click()
    slots = page.locator("#slots .slot")
    message = page.locator("#booking-message")
    expect(slots.first.or_(message.get_by_text("Not eligible"))).to_be_visible()
    if slots.count():
        slots.first.click()
        page.get_by_role("button", name="Confirm booking").click()
    expect(message).to_contain_text("Not eligible: Anticoagulant therapy")
    assert not Appointment.objects.filter(patient=patient).exists()
    assert {r.split(" ")[0] for r in page_problems.refusals} == {"409"}
    page_problems.refusals.clear()


def test_the_practitioner_completes_a_session_with_the_lot_used(new_page, clinic):
    practitioner = clinic.practitioners[0]
    patient = factories.PatientFactory(first_name="Dorothy", last_name="Hodgkin")
    plan = factories.TreatmentPlanFactory(
        patient=patient,
        therapy_type=clinic.exosome,
        product=clinic.plant_product,
        sessions_planned=2,
        min_interval_days=21,
        max_interval_days=35,
        prescriber=practitioner.user,
    )
    today = datetime.now(LONDON).date()
    first = factories.TreatmentSessionFactory(
        plan=plan, sequence=1, status=SessionStatus.BOOKED, window_start=today, window_end=today
    )
    factories.TreatmentSessionFactory(
        plan=plan,
        sequence=2,
        window_start=today + timedelta(days=21),
        window_end=today + timedelta(days=35),
    )
    factories.ConsentFactory(plan=plan, recorded_by=practitioner.user)
    appointment = factories.AppointmentFactory(
        patient=patient,
        practitioner=practitioner,
        location=clinic.location,
        room=clinic.rooms[1],
        device=None,
        therapy_type=clinic.exosome,
        product=clinic.plant_product,
        session=first,
        plan=plan,
        start=local_today_at(9),
        end=local_today_at(9) + timedelta(minutes=45),
        status=AppointmentStatus.CHECKED_IN,
    )
    page = new_page()
    log_in(page, practitioner.user.username, factories.PASSWORD, path=f"/desk/patients/{patient.id}/")

    expect(page.get_by_role("heading", name="Dorothy Hodgkin")).to_be_visible()
    expect(page.locator("#screenings")).to_contain_text("Eligible")
    plan_block = page.get_by_role("article", name="Exosome therapy with Plant exosomes: Fine lines and wrinkles")
    expect(plan_block).to_contain_text("2 of 2")
    form = plan_block.get_by_role("form", name="Complete session 1")
    form.get_by_label("Notes").fill("Full face, no reaction.")
    form.get_by_label("Product lot used").select_option(
        label=f"{clinic.plant_lot.lot_number} (expires {clinic.plant_lot.expires_on.isoformat()})"
    )
    form.get_by_role("button", name="Complete session 1").click()
    expect(page.locator("#flash")).to_contain_text("Session 1 completed.")
    expect(plan_block.get_by_role("form", name="Complete session 1")).to_have_count(0)

    first.refresh_from_db()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    assert first.status == SessionStatus.COMPLETED
    assert first.product_lot == clinic.plant_lot
    assert first.notes == "Full face, no reaction."
    assert TreatmentSession.objects.get(plan=plan, sequence=2).status in (SessionStatus.PLANNED, SessionStatus.BOOKED)


def test_reschedule_to_an_offered_slot_and_mark_a_no_show(new_page, clinic, desk_user):
    common = {
        "practitioner": clinic.practitioners[0],
        "location": clinic.location,
        "room": clinic.rooms[0],
        "therapy_type": clinic.prp,
        "device": clinic.centrifuge,
    }
    absent = factories.AppointmentFactory(
        patient=factories.PatientFactory(first_name="Katherine", last_name="Johnson"),
        start=local_today_at(8),
        end=local_today_at(9),
        **common,
    )
    moving = factories.AppointmentFactory(
        patient=factories.PatientFactory(first_name="Hedy", last_name="Lamarr"),
        start=local_today_at(12),
        end=local_today_at(13),
        **common,
    )
    page = new_page()
    log_in(page, "desk", factories.PASSWORD)
    dialog = page.get_by_role("dialog")

    page.locator(".card", has_text="Katherine Johnson").click()
    dialog.get_by_role("button", name="No-show").click()
    expect(page.locator(".card", has_text="Katherine Johnson")).to_have_class(re.compile(r"\bstatus-no_show\b"))

    page.locator(".card", has_text="Hedy Lamarr").click()
    dialog.get_by_role("button", name="Reschedule").click()
    expect(page.get_by_role("heading", name="Reschedule")).to_be_focused()
    slot = page.locator("#slots .slot").first
    new_start = slot.get_attribute("data-start")
    slot.click()
    page.get_by_role("button", name="Confirm new time").click()
    expect(page.locator("#flash")).to_contain_text("Moved: Hedy Lamarr")

    absent.refresh_from_db()
    moving.refresh_from_db()
    assert absent.status == AppointmentStatus.NO_SHOW
    assert moving.status == AppointmentStatus.BOOKED
    assert moving.start == datetime.fromisoformat(new_start.replace("Z", "+00:00"))
    expect(page.locator(f'.card[data-appointment="{moving.id}"]')).to_contain_text("Hedy Lamarr")


def test_book_a_plans_next_session_then_schedule_the_rest_with_a_result_per_session(new_page, clinic, desk_user):
    patient = factories.PatientFactory(first_name="Barbara", last_name="McClintock")
    plan = plan_create(
        patient=patient,
        therapy_type=clinic.prp,
        indication=Indication.ANDROGENETIC_ALOPECIA,
        sessions_planned=3,
        start_date=datetime.now(LONDON).date() + timedelta(days=1),
        by=clinic.practitioners[0].user,
    )
    page = new_page()
    log_in(page, "desk", factories.PASSWORD)
    open_booking_for(page, patient)
    page.get_by_label("PRP plan: next session 1 of 3", exact=False).check()
    window = plan.sessions.get(sequence=1)
    expect(page.locator("#booking-window")).to_have_text(
        f"Session 1 must fall between {window.window_start.isoformat()} and {window.window_end.isoformat()}."
    )
    page.get_by_role("button", name="Find free slots").click()
    page.locator("#slots .slot").first.click()
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.locator("#flash")).to_contain_text("Booked: Barbara McClintock")
    first = Appointment.objects.get(plan=plan)
    assert first.session.sequence == 1
    expect(page.locator(f'.card[data-appointment="{first.id}"]')).to_contain_text("session 1 of 3")

    open_booking_for(page, patient)
    expect(page.get_by_label("PRP plan: next session 2 of 3", exact=False)).to_be_visible()
    page.get_by_role("button", name="Schedule all remaining PRP sessions").click()

    results = page.locator(".schedule-result li")
    expect(results).to_have_count(3)
    expect(page.get_by_label("PRP plan: next session", exact=False)).to_have_count(0)
    booked = list(Appointment.objects.filter(plan=plan).order_by("start"))
    assert [a.session.sequence for a in booked] == [1, 2, 3]
    for appointment, result, outcome in zip(booked, results.all(), ["already booked", "booked", "booked"], strict=True):
        local = appointment.start.astimezone(LONDON)
        expect(result).to_contain_text(f"Session {appointment.session.sequence}: {outcome} ")
        expect(result).to_contain_text(local.strftime("%H:%M"))


def test_practitioner_records_a_condition_and_opens_a_plan_over_a_relative_finding(new_page, clinic, page_problems):
    practitioner = clinic.practitioners[0]
    heart = factories.ConditionFactory(code="cardiovascular-disease", name="Cardiovascular disease")
    factories.ContraindicationFactory(
        condition=heart, therapy_type=clinic.prp, severity="relative", rationale="Weigh the cardiac risk."
    )
    patient = factories.PatientFactory(first_name="Chien-Shiung", last_name="Wu")
    page = new_page()
    log_in(page, practitioner.user.username, factories.PASSWORD, path=f"/desk/patients/{patient.id}/")
    expect(page.locator('#screenings tr[data-therapy="prp"]')).to_contain_text("Eligible")

    page.get_by_label("Condition", exact=True).select_option(label="Cardiovascular disease")
    page.get_by_role("button", name="Record condition").click()
    expect(page.locator("#conditions")).to_contain_text("Cardiovascular disease")
    prp_screening = page.locator('#screenings tr[data-therapy="prp"]')
    expect(prp_screening).to_contain_text("Only in a plan with a practitioner's recorded reason")
    expect(prp_screening).to_contain_text("Cardiovascular disease (relative): Weigh the cardiac risk.")

    page.get_by_label("Therapy", exact=True).select_option(label="PRP")
    page.get_by_label("Indication").select_option(label="Androgenetic alopecia")
    page.get_by_role("button", name="Open plan").click()
    override = page.get_by_label("Override reason (only when a relative finding applies)")
    expect(page.locator("#plan-override_reason-error")).to_contain_text("Cardiovascular disease")
    expect(override).to_have_attribute("aria-invalid", "true")
    expect(override).to_be_focused()
    assert [r.split(" ")[0] for r in page_problems.refusals] == ["400"]
    page_problems.refusals.clear()

    page.keyboard.type("Cardiologist cleared the patient in writing.")
    page.get_by_role("button", name="Open plan").click()
    plan_block = page.get_by_role("article", name="PRP: Androgenetic alopecia")
    expect(plan_block).to_contain_text("Override reason: Cardiologist cleared the patient in writing.")
    expect(plan_block.locator("tbody tr")).to_have_count(clinic.prp.default_sessions)
    plan = patient.plans.get()
    assert plan.override_reason == "Cardiologist cleared the patient in writing."
    assert plan.override_by == practitioner.user
