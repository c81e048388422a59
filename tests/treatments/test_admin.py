"""The admin: the medical lead edits the catalog; plans show their override (who, when, why, what) read-only."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from tests import factories
from treatments.choices import Indication, ProductSource, Severity
from treatments.models import Contraindication
from treatments.plans import RESCREEN_ATTENTION, plan_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(factories.clinic_admin_user(username="lead"))
    return client


def test_a_plan_shows_its_override_read_only(admin_client, patient, prp, rules, cardiovascular, practitioner):
    factories.PatientConditionFactory(patient=patient, condition=cardiovascular)
    plan = plan_create(
        patient=patient,
        therapy_type=prp,
        indication=Indication.SCARS,
        by=practitioner,
        override_reason="Cardiologist letter on file",
    )

    page = admin_client.get(reverse("admin:treatments_treatmentplan_change", args=[plan.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Cardiologist letter on file" in html
    assert "dr-who" in html
    assert "Cardiovascular disease (condition, relative): Vasovagal risk." in html
    for field in ("override_reason", "override_by", "override_at", "overridden_findings", "status"):
        assert f'name="{field}"' not in html


def test_a_plan_page_links_each_session_to_its_appointment(admin_client, prp_plan):
    session = prp_plan.sessions.get(sequence=1)
    location = factories.LocationFactory(time_zone="Europe/London")
    appointment = factories.AppointmentFactory(
        patient=prp_plan.patient,
        therapy_type=prp_plan.therapy_type,
        plan=prp_plan,
        session=session,
        location=location,
        start=datetime(2026, 7, 1, 9, 0, tzinfo=UTC),
        end=datetime(2026, 7, 1, 10, 0, tzinfo=UTC),
    )

    page = admin_client.get(reverse("admin:treatments_treatmentplan_change", args=[prp_plan.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    link = reverse("admin:scheduling_appointment_change", args=[appointment.pk])
    assert f'<a href="{link}">2026-07-01 10:00, booked</a>' in html


def test_plans_are_opened_through_screening_not_by_hand(admin_client):
    assert admin_client.get(reverse("admin:treatments_treatmentplan_add")).status_code == 403


def test_the_medical_lead_adds_rules_to_the_catalog(admin_client, prp, anticoagulant, fish_allergy):
    add = reverse("admin:treatments_contraindication_add")
    therapy_rule = {
        "condition": anticoagulant.pk,
        "therapy_type": prp.pk,
        "severity": Severity.ABSOLUTE,
        "washout_days": 0,
    }
    source_rule = {
        "condition": fish_allergy.pk,
        "product_source": ProductSource.FISH,
        "severity": Severity.ABSOLUTE,
        "washout_days": 0,
    }

    assert admin_client.post(add, {**therapy_rule, "rationale": "Bleeding"}).status_code == 302
    assert admin_client.post(add, {**source_rule, "rationale": "Allergy"}).status_code == 302

    assert set(Contraindication.objects.values_list("condition__code", "therapy_type__code", "product_source")) == {
        ("anticoagulant-therapy", "prp", ""),
        ("fish-allergy", None, "fish"),
    }


def test_a_rule_with_two_targets_is_refused_in_the_admin(admin_client, prp, anticoagulant):
    page = admin_client.post(
        reverse("admin:treatments_contraindication_add"),
        {"condition": anticoagulant.pk, "therapy_type": prp.pk, "product_source": "fish", "severity": "absolute"},
    )

    assert page.status_code == 200
    assert "exactly one" in page.content.decode()
    assert Contraindication.objects.count() == 0


def test_the_medical_lead_edits_a_therapy_type(admin_client, prp):
    page = admin_client.get(reverse("admin:treatments_therapytype_change", args=[prp.pk]))
    assert page.status_code == 200
    assert 'name="min_interval_days"' in page.content.decode()


def test_a_lot_page_lists_its_recipients(admin_client, plant_product):
    lot = factories.ProductLotFactory(product=plant_product, lot_number="EXO-1")

    page = admin_client.get(reverse("admin:treatments_productlot_change", args=[lot.pk]))

    assert page.status_code == 200
    assert "No patient has received this lot." in page.content.decode()


def test_a_condition_recorded_in_the_admin_re_screens_the_patients_plans(
    admin_client, patient, prp, rules, anticoagulant, practitioner
):
    plan = plan_create(patient=patient, therapy_type=prp, indication=Indication.SCARS, by=practitioner)

    answer = admin_client.post(
        reverse("admin:patients_patientcondition_add"),
        {"patient": patient.pk, "condition": anticoagulant.pk, "active": "on", "since": "", "note": "Started warfarin"},
    )

    assert answer.status_code == 302
    plan.refresh_from_db()
    assert plan.needs_attention
    assert plan.attention_reason == RESCREEN_ATTENTION


def test_the_patient_page_shows_conditions_without_editing_them(admin_client, patient, cardiovascular):
    factories.PatientConditionFactory(patient=patient, condition=cardiovascular)

    html = admin_client.get(reverse("admin:patients_patient_change", args=[patient.pk])).content.decode()

    assert "Cardiovascular disease" in html
    assert 'name="conditions-0-condition"' not in html
