"""The practitioner's side of the patient page (issue 23, item 9): a condition the patient declared is verified with a
button, and a condition is recorded with the day it ends (`until`)."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import DESKTOP, NARROW, SCREENSHOTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["1280", "820"])
def test_a_declared_condition_is_verified_and_a_condition_is_recorded_with_an_end(new_page, clinic, viewport):
    practitioner = clinic.practitioners[0]
    patient = factories.PatientFactory(first_name="Lise", last_name="Meitner")
    declared = factories.PatientConditionFactory(
        patient=patient,
        condition=factories.ConditionFactory(code="fish-allergy", name="Fish allergy", kind="allergy"),
        source="patient",
        verified=False,
    )
    factories.ConditionFactory(code="active-skin-infection", name="Active skin infection")
    width = "1280" if viewport == DESKTOP else "820"
    page = new_page(viewport)
    log_in(page, practitioner.user.username, factories.PASSWORD, path=f"/desk/patients/{patient.id}/")

    row = page.locator("#conditions tr", has_text="Fish allergy")
    expect(row).to_contain_text("Declared by the patient, not verified")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"patient-declared-{width}.png"), full_page=True)
    row.get_by_role("button", name="Verify Fish allergy").click()
    expect(page.locator("#flash")).to_contain_text("Fish allergy verified")
    expect(row).not_to_contain_text("not verified")
    expect(row.get_by_role("button", name="Verify Fish allergy")).to_have_count(0)
    declared.refresh_from_db()
    assert declared.verified is True

    ends = date.today() + timedelta(days=10)
    page.get_by_label("Condition", exact=True).select_option(label="Active skin infection")
    page.get_by_label("Until (empty: ongoing)").fill(ends.isoformat())
    page.get_by_role("button", name="Record condition").click()
    expect(page.locator("#conditions tr", has_text="Active skin infection")).to_contain_text(ends.isoformat())
    assert patient.conditions.get(condition__code="active-skin-infection").until == ends
    page.screenshot(path=str(SCREENSHOTS / f"patient-condition-until-{width}.png"), full_page=True)
