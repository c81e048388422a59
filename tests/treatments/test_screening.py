"""screen() and plan_screen(): which rules a patient's active conditions trigger, and which of them block."""

import json

import pytest

from tests import factories
from treatments.choices import ProductSource, Severity
from treatments.screening import plan_screen, screen

pytestmark = pytest.mark.django_db


def codes(findings):
    return [finding.condition_code for finding in findings]


def test_a_patient_without_conditions_is_eligible(patient, prp, rules):
    result = screen(patient, prp)
    assert result.eligible
    assert result.as_dict() == {"eligible": True, "blocking": [], "warnings": []}


def test_an_absolute_therapy_rule_blocks(patient, prp, rules, anticoagulant):
    factories.PatientConditionFactory(patient=patient, condition=anticoagulant)

    result = screen(patient, prp)

    assert not result.eligible
    assert codes(result.blocking) == ["anticoagulant-therapy"]
    assert result.warnings == []
    finding = result.blocking[0]
    assert finding.rule_id == rules["anticoagulant"].pk
    assert finding.condition_name == "Anticoagulant therapy"
    assert finding.condition_kind == "medication"
    assert finding.severity == Severity.ABSOLUTE
    assert finding.target == "therapy_type"
    assert finding.rationale == "Bleeding risk."


def test_a_relative_therapy_rule_warns_without_a_plan(patient, prp, rules, cardiovascular):
    factories.PatientConditionFactory(patient=patient, condition=cardiovascular)

    result = screen(patient, prp)

    assert result.eligible
    assert result.blocking == []
    assert codes(result.warnings) == ["cardiovascular-disease"]
    assert result.warnings[0].severity == Severity.RELATIVE


def test_an_inactive_condition_triggers_nothing(patient, prp, rules, anticoagulant, cardiovascular):
    factories.PatientConditionFactory(patient=patient, condition=anticoagulant, active=False)
    factories.PatientConditionFactory(patient=patient, condition=cardiovascular, active=False)

    assert screen(patient, prp).as_dict() == {"eligible": True, "blocking": [], "warnings": []}


def test_another_patients_condition_triggers_nothing(patient, prp, rules, anticoagulant):
    factories.PatientConditionFactory(condition=anticoagulant)

    assert screen(patient, prp).eligible


def test_a_rule_for_another_therapy_does_not_apply(patient, exosome, plant_product, rules, anticoagulant):
    factories.PatientConditionFactory(patient=patient, condition=anticoagulant)

    assert screen(patient, exosome, plant_product).as_dict()["blocking"] == []


def test_a_product_source_rule_blocks_that_source_only(
    patient, exosome, fish_product, plant_product, rules, fish_allergy
):
    factories.PatientConditionFactory(patient=patient, condition=fish_allergy)

    fish = screen(patient, exosome, fish_product)
    assert codes(fish.blocking) == ["fish-allergy"]
    assert fish.blocking[0].target == "product_source"
    assert screen(patient, exosome, plant_product).eligible
    # Without a product nothing is known about the source.
    assert screen(patient, exosome).eligible


def test_a_relative_product_source_rule_warns(patient, exosome, plant_product):
    pregnancy = factories.ConditionFactory(code="pregnancy", name="Pregnancy")
    factories.ContraindicationFactory(
        condition=pregnancy, therapy_type=None, product_source=ProductSource.PLANT, severity=Severity.RELATIVE
    )
    factories.PatientConditionFactory(patient=patient, condition=pregnancy)

    result = screen(patient, exosome, plant_product)

    assert result.eligible
    assert codes(result.warnings) == ["pregnancy"]
    assert result.warnings[0].target == "product_source"


def test_absolute_findings_come_first_and_the_result_is_json_safe(patient, prp, rules, anticoagulant, cardiovascular):
    factories.PatientConditionFactory(patient=patient, condition=cardiovascular)
    factories.PatientConditionFactory(patient=patient, condition=anticoagulant)

    data = screen(patient, prp).as_dict()

    assert json.loads(json.dumps(data)) == data
    assert data["eligible"] is False
    assert [f["condition_code"] for f in data["blocking"]] == ["anticoagulant-therapy"]
    assert [f["condition_code"] for f in data["warnings"]] == ["cardiovascular-disease"]
    assert set(data["blocking"][0]) == {
        "rule_id",
        "condition_code",
        "condition_name",
        "condition_kind",
        "severity",
        "target",
        "rationale",
    }


def test_screening_is_one_query_however_many_conditions(
    patient, exosome, fish_product, rules, anticoagulant, cardiovascular, fish_allergy, django_assert_num_queries
):
    for condition in (anticoagulant, cardiovascular, fish_allergy):
        factories.PatientConditionFactory(patient=patient, condition=condition)

    with django_assert_num_queries(1):
        result = screen(patient, exosome, fish_product)

    assert codes(result.blocking) == ["fish-allergy"]


def test_plan_screen_blocks_a_relative_finding_no_override_covers(prp_plan, rules, cardiovascular):
    factories.PatientConditionFactory(patient=prp_plan.patient, condition=cardiovascular)

    result = plan_screen(prp_plan)

    assert codes(result.blocking) == ["cardiovascular-disease"]
    assert result.warnings == []


def test_plan_screen_lets_an_overridden_relative_finding_through(prp_plan, rules, cardiovascular):
    factories.PatientConditionFactory(patient=prp_plan.patient, condition=cardiovascular)
    prp_plan.overridden_findings = [screen(prp_plan.patient, prp_plan.therapy_type).warnings[0].as_dict()]

    result = plan_screen(prp_plan)

    assert result.eligible
    assert codes(result.warnings) == ["cardiovascular-disease"]


def test_plan_screen_always_blocks_an_absolute_finding(prp_plan, rules, anticoagulant):
    factories.PatientConditionFactory(patient=prp_plan.patient, condition=anticoagulant)
    prp_plan.overridden_findings = [{"rule_id": rules["anticoagulant"].pk}]

    assert codes(plan_screen(prp_plan).blocking) == ["anticoagulant-therapy"]
