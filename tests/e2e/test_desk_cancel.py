"""Who cancelled (issue 23, item 5): the desk says "Patient cancelled" or "Clinic cancelled" every time (nothing
chosen for it), sends it as `by`, and only the patient's late cancel counts against them."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.models import Appointment
from tests import factories
from tests.e2e.conftest import DESKTOP, NARROW, SCREENSHOTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clinic_daytime")]


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["1280", "820"])
def test_a_clinic_cancel_does_not_count_against_the_patient(new_page, clinic, viewport):
    factories.front_desk_user(username="desk")
    patient = factories.PatientFactory(first_name="Emmy", last_name="Noether")
    # 15:00 and 16:00 London today (clinic_daytime): inside the 24-hour policy, one after the other (a patient is
    # never in two places at once; PostgreSQL's exclusion constraint would refuse it).
    soon = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=2)
    visits = [
        factories.AppointmentFactory(
            patient=patient,
            practitioner=clinic.practitioners[index],
            location=clinic.location,
            room=clinic.rooms[index],
            therapy_type=clinic.exosome,
            start=soon + timedelta(hours=index),
            end=soon + timedelta(hours=index, minutes=45),
        )
        for index in (0, 1)
    ]
    width = "1280" if viewport == DESKTOP else "820"
    page = new_page(viewport)
    log_in(page, "desk", factories.PASSWORD)
    local_day = timezone.localtime(soon, clinic.location.zone).date().isoformat()
    page.get_by_label("Date", exact=True).fill(local_day)
    page.get_by_label("Date", exact=True).dispatch_event("change")
    dialog = page.get_by_role("dialog")

    for visit, who in zip(visits, ("Clinic cancelled", "Patient cancelled"), strict=True):
        page.locator(f'.card[data-appointment="{visit.id}"]').click()
        dialog.get_by_role("button", name="Cancel appointment").click()
        dialog.get_by_label("Reason for cancelling").fill("Room out of use" if who.startswith("Clinic") else "Unwell")
        dialog.get_by_role("button", name="Confirm cancellation").click()
        expect(dialog).to_contain_text("Say who cancelled")
        dialog.get_by_label(who).check()
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"desk-cancel-{who.split()[0].lower()}-{width}.png"), full_page=True)
        dialog.get_by_role("button", name="Confirm cancellation").click()
        expect(page.locator(f'.card[data-appointment="{visit.id}"]')).to_contain_text("Cancelled")

    by_clinic, by_patient = (Appointment.objects.get(pk=visit.pk) for visit in visits)
    assert (by_clinic.cancelled_by, by_clinic.late_cancellation) == ("clinic", False)
    assert (by_patient.cancelled_by, by_patient.late_cancellation) == ("patient", True)
