"""Cards and dialog actions by state and role, the patient page, search and registration, in Chromium."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import Patient
from scheduling.choices import AppointmentStatus
from scheduling.models import WaitlistEntry
from tests import factories
from tests.e2e.conftest import NARROW, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clinic_daytime")]


@pytest.fixture
def desk_user():
    return factories.front_desk_user(username="desk")


def visit(clinic, patient, start, **extra):
    return factories.AppointmentFactory(
        patient=patient,
        practitioner=clinic.practitioners[0],
        location=clinic.location,
        room=clinic.rooms[0],
        device=clinic.centrifuge,
        therapy_type=clinic.prp,
        start=start,
        end=start + timedelta(hours=1),
        **extra,
    )


def started_half_an_hour_ago():
    return timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=30)


def action_names(dialog):
    return [name.strip() for name in dialog.locator("#appointment-actions button").all_inner_texts()]


def test_checked_in_visit_offers_complete_to_the_practitioner_only(new_page, clinic, desk_user):
    patient = factories.PatientFactory(first_name="Dorothy", last_name="Hodgkin")
    arrived = visit(clinic, patient, started_half_an_hour_ago(), status=AppointmentStatus.CHECKED_IN)
    later = visit(clinic, patient, factories.local_time(factories.future_weekday(2), 10))

    desk = new_page()
    log_in(desk, "desk", factories.PASSWORD)
    desk.locator(f'.card[data-appointment="{arrived.id}"]').click()
    dialog = desk.get_by_role("dialog")
    expect(dialog).to_contain_text("Checked in")
    assert action_names(dialog) == []  # no Check in, Reschedule, Cancel, No-show; Complete is clinical
    dialog.get_by_role("button", name="Close").click()
    desk.get_by_role("button", name="Week").click()
    desk.get_by_label("Date", exact=True).fill(factories.future_weekday(2).isoformat())
    desk.get_by_label("Date", exact=True).dispatch_event("change")
    desk.locator(f'.card[data-appointment="{later.id}"]').click()
    # Days ahead: check-in has not opened and no-show cannot be said yet.
    assert action_names(dialog) == ["Reschedule", "Cancel appointment"]

    practitioner = new_page()
    log_in(practitioner, clinic.practitioners[0].user.username, factories.PASSWORD)
    practitioner.locator(f'.card[data-appointment="{arrived.id}"]').click()
    dialog = practitioner.get_by_role("dialog")
    assert action_names(dialog) == ["Complete"]
    dialog.get_by_role("button", name="Complete").click()
    dialog.get_by_label("Session notes").fill("Scalp, 4 ml, no reaction.")
    dialog.get_by_label("Consent given by").select_option(index=0)
    dialog.get_by_role("button", name="Complete visit").click()
    expect(practitioner.locator(f'.card[data-appointment="{arrived.id}"]')).to_contain_text("Completed")
    arrived.refresh_from_db()
    assert arrived.status == AppointmentStatus.COMPLETED


def test_patient_page_shows_history_attendance_and_books_the_next_session(new_page, clinic, desk_user):
    patient = factories.PatientFactory(first_name="Rosalind", last_name="Franklin")
    missed = visit(clinic, patient, factories.local_time(timezone.localdate() - timedelta(days=9), 10))
    missed.status = AppointmentStatus.NO_SHOW
    missed.save()
    coming = visit(clinic, patient, factories.local_time(factories.future_weekday(3), 11))
    page = new_page(NARROW)
    log_in(page, "desk", factories.PASSWORD, path=f"/desk/patients/{patient.id}/")
    expect(page.get_by_role("heading", name="Rosalind Franklin")).to_be_visible()
    expect(page.locator("#attendance")).to_have_text("No-shows: 1 · Late cancellations: 0")
    expect(page.locator(f'#upcoming tr[data-appointment="{coming.id}"]')).to_contain_text("Booked")
    expect(page.locator(f'#past tr[data-appointment="{missed.id}"]')).to_contain_text("No-show")
    expect(page.get_by_role("heading", name="Treatment history")).to_be_hidden()  # clinical roles only

    page.get_by_role("link", name="Book the next session").click()
    expect(page.locator("#booking-patient")).to_have_text("Patient: Rosalind Franklin")


def test_registering_the_same_person_twice_is_warned_and_can_be_done_deliberately(
    new_page, clinic, desk_user, page_problems
):
    factories.PatientFactory(
        first_name="Alice", last_name="Morgan", date_of_birth="1980-02-03", email="alice@example.com"
    )
    page = new_page()
    log_in(page, "desk", factories.PASSWORD)
    page.get_by_text("Register a new patient").click()
    page.get_by_label("First name").fill("Alice")
    page.get_by_label("Last name").fill("Morgan")
    page.get_by_label("Date of birth", exact=True).fill("1980-02-03")
    page.get_by_label("Email", exact=True).fill("alice@example.com")
    page.get_by_role("button", name="Register patient").click()

    expect(page.get_by_role("list", name="Possible duplicates")).to_contain_text("Alice Morgan")
    assert Patient.objects.filter(last_name="Morgan").count() == 1
    assert [r.split(" ")[0] for r in page_problems.refusals] == ["409"]
    page_problems.refusals.clear()
    page.get_by_role("button", name="Register anyway").click()
    expect(page.locator("#flash")).to_contain_text("Alice Morgan registered.")
    assert Patient.objects.filter(last_name="Morgan").count() == 2


def test_search_ignores_accents_and_reads_national_phone_numbers(new_page, clinic, desk_user):
    factories.PatientFactory(first_name="Zoë", last_name="Okafor", phone="+447700900123")
    page = new_page()
    log_in(page, "desk", factories.PASSWORD)
    search = page.get_by_label("Find a patient (name, email, phone or date of birth)")
    search.fill("zoe")
    expect(page.locator("#patient-results")).to_contain_text("Zoë Okafor")
    search.fill("07700 900123")
    expect(page.locator("#patient-results")).to_contain_text("Zoë Okafor")


def test_add_to_the_waitlist_from_the_booking_panel_and_remove_from_the_panel(new_page, clinic, desk_user):
    patient = factories.PatientFactory(first_name="Lise", last_name="Meitner")
    page = new_page()
    log_in(page, "desk", factories.PASSWORD)
    page.get_by_label("Find a patient (name, email, phone or date of birth)").fill("Meitner")
    page.get_by_role("button", name="Book for Lise Meitner").click()
    page.get_by_label(clinic.prp.name, exact=True).check()
    page.get_by_role("button", name="Find free slots").click()
    expect(page.locator("#slots .slot").first).to_be_visible()

    page.get_by_text("No slot suits? Add to the waitlist").click()
    page.get_by_label("Practitioner", exact=True).last.select_option(label=clinic.practitioners[1].display_name)
    page.get_by_role("checkbox", name="Tue").check()
    page.get_by_role("button", name="Add to the waitlist").click()
    expect(page.locator("#flash")).to_contain_text("Lise Meitner is on the waitlist for PRP.")
    entry = WaitlistEntry.objects.get(patient=patient)
    assert (entry.practitioner, entry.weekdays, entry.status) == (clinic.practitioners[1], [1], "waiting")
    expect(page.locator("#waitlist")).to_contain_text("Lise Meitner")
    expect(page.locator("#waitlist")).to_contain_text("Tue; waiting")

    page.get_by_role("button", name="Remove Lise Meitner from the waitlist").click()
    expect(page.locator("#waitlist")).to_contain_text("Nobody is waiting.")
    entry.refresh_from_db()
    assert entry.status == "removed"


def test_a_held_visit_is_marked_and_only_a_clinician_may_release_it(new_page, clinic, desk_user, page_problems):
    patient = factories.PatientFactory(first_name="Marie", last_name="Curie")
    held = visit(clinic, patient, factories.local_time(factories.future_weekday(1), 10), on_hold=True)
    desk = new_page()
    log_in(desk, "desk", factories.PASSWORD)
    attention = desk.locator("#attention-appointments")
    expect(attention).to_contain_text("Marie Curie")
    expect(attention).to_contain_text("On hold")
    attention.get_by_role("button", name="Open Marie Curie", exact=False).click()
    dialog = desk.get_by_role("dialog")
    expect(dialog).to_contain_text("On hold")
    # The front desk may move or cancel a held visit, never check it in nor release it.
    assert action_names(dialog) == ["Reschedule", "Cancel appointment"]
    dialog.get_by_role("button", name="Close").click()
    desk.get_by_role("button", name="Week").click()
    desk.get_by_label("Date", exact=True).fill(held.start.date().isoformat())
    desk.get_by_label("Date", exact=True).dispatch_event("change")
    expect(desk.locator(f'.card[data-appointment="{held.id}"]')).to_contain_text("On hold")

    practitioner = new_page()
    log_in(practitioner, clinic.practitioners[0].user.username, factories.PASSWORD)
    practitioner.locator("#attention-appointments").get_by_role("button", name="Open Marie Curie", exact=False).click()
    dialog = practitioner.get_by_role("dialog")
    assert action_names(dialog) == ["Reschedule", "Cancel appointment", "Release"]
    dialog.get_by_role("button", name="Release").click()
    dialog.get_by_role("button", name="Release hold").click()
    expect(practitioner.locator("#attention-appointments")).to_contain_text("Nothing here.")
    held.refresh_from_db()
    assert not held.on_hold


def test_a_failed_reminder_is_retried_from_the_list(new_page, clinic, desk_user):
    patient = factories.PatientFactory(first_name="Ada", last_name="Lovelace")
    appointment = visit(clinic, patient, factories.local_time(factories.future_weekday(1), 10))
    reminder = factories.ReminderFactory(appointment=appointment, status="failed", last_error="550 mailbox unavailable")
    page = new_page()
    log_in(page, "desk", factories.PASSWORD)
    failed = page.locator("#failed-reminders")
    expect(failed).to_contain_text("550 mailbox unavailable")
    failed.get_by_role("button", name="Retry", exact=False).click()
    expect(page.locator("#flash")).to_contain_text("will be sent again")
    expect(failed).to_contain_text("Nothing here.")
    reminder.refresh_from_db()
    assert reminder.status == "pending"
