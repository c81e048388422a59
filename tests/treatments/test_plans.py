"""plan_create, plan_cancel and the attention flag: who may open a plan over which findings, and what is stored."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from clinic.clock import clinic_today
from clinic.exceptions import Contraindicated, DomainValidationError, InvalidTransition
from tests import factories
from tests.treatments.conftest import START
from treatments.choices import PLAN_TRANSITIONS, Indication, PlanStatus, SessionStatus
from treatments.models import TreatmentPlan, TreatmentSession
from treatments.plans import plan_cancel, plan_clear_attention, plan_create, plan_flag_attention
from treatments.sessions import session_mark_booked

pytestmark = pytest.mark.django_db


def windows(plan):
    return [(s.sequence, s.window_start, s.window_end, s.status) for s in plan.sessions.order_by("sequence")]


def assert_nothing_written():
    assert TreatmentPlan.objects.count() == 0
    assert TreatmentSession.objects.count() == 0


def test_a_prp_plan_takes_its_course_from_the_therapy_type(prp_plan, practitioner):
    assert (prp_plan.sessions_planned, prp_plan.min_interval_days, prp_plan.max_interval_days) == (3, 28, 42)
    assert prp_plan.status == PlanStatus.ACTIVE
    assert prp_plan.prescriber == practitioner
    assert prp_plan.override_reason == "" and prp_plan.overridden_findings == []
    d = timedelta
    assert windows(prp_plan) == [
        (1, START, START + d(42), SessionStatus.PLANNED),
        (2, START + d(28), START + d(42), SessionStatus.PLANNED),
        (3, START + d(56), START + d(70), SessionStatus.PLANNED),
    ]


def test_the_course_can_be_changed_within_bounds_and_starts_today_by_default(patient, exosome, plant_product):
    plan = plan_create(
        patient=patient,
        therapy_type=exosome.pk,
        product=plant_product.pk,
        indication=Indication.ACNE_SCARS,
        by=factories.practitioner_user(),
        sessions_planned=20,
        min_interval_days=0,
        max_interval_days=365,
    )
    assert plan.product == plant_product
    assert plan.start_date == clinic_today()
    assert plan.sessions.count() == 20
    first, second = plan.sessions.order_by("sequence")[:2]
    assert (first.window_start, first.window_end) == (plan.start_date, plan.start_date + timedelta(days=365))
    assert (second.window_start, second.window_end) == (plan.start_date, plan.start_date + timedelta(days=365))


def test_an_absolute_finding_refuses_the_plan_with_the_findings(patient, prp, rules, anticoagulant, practitioner):
    factories.PatientConditionFactory(patient=patient, condition=anticoagulant)

    with pytest.raises(Contraindicated) as refused:
        plan_create(
            patient=patient,
            therapy_type=prp,
            indication=Indication.SCARS,
            by=practitioner,
            override_reason="The patient insists.",
        )

    assert [f["condition_code"] for f in refused.value.extra["blocking"]] == ["anticoagulant-therapy"]
    assert refused.value.extra["warnings"] == []
    assert_nothing_written()


def test_a_fish_allergy_refuses_a_fish_product_plan_but_not_a_plant_one(
    patient, exosome, fish_product, plant_product, rules, fish_allergy, practitioner
):
    factories.PatientConditionFactory(patient=patient, condition=fish_allergy)
    with pytest.raises(Contraindicated):
        plan_create(
            patient=patient, therapy_type=exosome, product=fish_product, indication=Indication.SCARS, by=practitioner
        )
    assert_nothing_written()

    plan = plan_create(
        patient=patient, therapy_type=exosome, product=plant_product, indication=Indication.SCARS, by=practitioner
    )
    assert plan.sessions.count() == exosome.default_sessions


def test_a_relative_finding_without_a_reason_is_refused_naming_the_field(patient, prp, rules, cardiovascular):
    factories.PatientConditionFactory(patient=patient, condition=cardiovascular)

    for reason in ("", "   "):
        with pytest.raises(DomainValidationError) as refused:
            plan_create(
                patient=patient,
                therapy_type=prp,
                indication=Indication.SCARS,
                by=factories.practitioner_user(),
                override_reason=reason,
            )
        assert "override_reason" in refused.value.errors
        assert [f["condition_code"] for f in refused.value.extra["warnings"]] == ["cardiovascular-disease"]
    assert_nothing_written()


def test_a_practitioner_overrides_a_relative_finding_and_who_when_why_is_kept(
    patient, prp, rules, cardiovascular, practitioner
):
    factories.PatientConditionFactory(patient=patient, condition=cardiovascular)
    before = timezone.now()

    plan = plan_create(
        patient=patient,
        therapy_type=prp,
        indication=Indication.SCARS,
        by=practitioner,
        override_reason="  Cardiologist cleared her in writing.  ",
    )

    plan.refresh_from_db()
    assert plan.override_reason == "Cardiologist cleared her in writing."
    assert plan.override_by == practitioner
    assert before <= plan.override_at <= timezone.now()
    assert [(f["rule_id"], f["condition_code"], f["severity"]) for f in plan.overridden_findings] == [
        (rules["cardiovascular"].pk, "cardiovascular-disease", "relative")
    ]


def test_a_clinic_admin_may_override(patient, prp, rules, cardiovascular):
    factories.PatientConditionFactory(patient=patient, condition=cardiovascular)
    admin = factories.clinic_admin_user()

    plan = plan_create(patient=patient, therapy_type=prp, indication=Indication.SCARS, by=admin, override_reason="OK")

    assert plan.override_by == admin


def test_a_non_practitioner_may_not_override(patient, prp, rules, cardiovascular, front_desk):
    factories.PatientConditionFactory(patient=patient, condition=cardiovascular)

    with pytest.raises(DomainValidationError) as refused:
        plan_create(
            patient=patient,
            therapy_type=prp,
            indication=Indication.SCARS,
            by=front_desk,
            override_reason="The doctor said it is fine.",
        )

    assert refused.value.errors["override_reason"] == ["Only a practitioner may override a contraindication."]
    assert_nothing_written()


def test_a_reason_with_nothing_to_override_is_not_stored_as_an_override(patient, prp, practitioner):
    plan = plan_create(
        patient=patient, therapy_type=prp, indication=Indication.SCARS, by=practitioner, override_reason="Just in case"
    )
    assert (plan.override_reason, plan.override_by, plan.override_at, plan.overridden_findings) == ("", None, None, [])


BAD_INPUT = [
    ("unknown therapy type", {"therapy_type": 999_999}, "therapy_type"),
    ("product of another therapy", {"product": "prp_product"}, "product"),
    ("unknown product", {"product": 999_999}, "product"),
    ("zero sessions", {"sessions_planned": 0}, "sessions_planned"),
    ("fifty sessions", {"sessions_planned": 50}, "sessions_planned"),
    ("sessions as text", {"sessions_planned": "3"}, "sessions_planned"),
    ("min > max interval", {"min_interval_days": 43, "max_interval_days": 42}, "min_interval_days"),
    ("negative interval", {"min_interval_days": -1}, "min_interval_days"),
    ("interval over a year", {"max_interval_days": 400}, "max_interval_days"),
    ("unknown indication", {"indication": "wrinkles"}, "indication"),
    ("start as text", {"start_date": "2026-03-02"}, "start_date"),
]


@pytest.mark.parametrize("case,changes,field", BAD_INPUT, ids=[case for case, _, _ in BAD_INPUT])
def test_bad_input_is_a_validation_error_naming_the_field_and_writes_nothing(
    case, changes, field, patient, prp, exosome, practitioner
):
    other_therapy = factories.TherapyTypeFactory(code="laser", name="Laser")
    arguments = {
        "patient": patient,
        "therapy_type": prp,
        "indication": Indication.SCARS,
        "by": practitioner,
        **changes,
    }
    if arguments.get("product") == "prp_product":
        arguments["product"] = factories.ProductFactory(therapy_type=other_therapy)

    with pytest.raises(DomainValidationError) as refused:
        plan_create(**arguments)

    assert field in refused.value.errors
    assert_nothing_written()


def test_an_exosome_plan_needs_a_product(patient, exosome, practitioner):
    with pytest.raises(DomainValidationError) as refused:
        plan_create(patient=patient, therapy_type=exosome, indication=Indication.SCARS, by=practitioner)
    assert "product" in refused.value.errors
    assert_nothing_written()


def test_all_bad_fields_are_reported_at_once(patient, prp, practitioner):
    with pytest.raises(DomainValidationError) as refused:
        plan_create(
            patient=patient, therapy_type=prp, indication="?", by=practitioner, sessions_planned=0, max_interval_days=-5
        )
    assert {"indication", "sessions_planned", "max_interval_days"} <= set(refused.value.errors)


def test_cancelling_a_plan_cancels_its_sessions_and_keeps_the_reason(prp_plan, practitioner):
    plan_cancel(plan=prp_plan, by=practitioner, reason="Moved abroad")

    prp_plan.refresh_from_db()
    assert prp_plan.status == PlanStatus.CANCELLED
    assert "Moved abroad" in prp_plan.notes and "dr-who" in prp_plan.notes
    assert set(prp_plan.sessions.values_list("status", flat=True)) == {SessionStatus.CANCELLED}


def test_a_plan_with_a_booked_session_is_not_cancelled_behind_its_appointment(prp_plan, practitioner):
    session = prp_plan.sessions.get(sequence=1)
    session_mark_booked(session=session, start=datetime(2026, 3, 3, 10, tzinfo=UTC))

    with pytest.raises(InvalidTransition):
        plan_cancel(plan=prp_plan, by=practitioner)

    prp_plan.refresh_from_db()
    assert prp_plan.status == PlanStatus.ACTIVE
    assert prp_plan.sessions.filter(status=SessionStatus.CANCELLED).count() == 0


def test_plan_transitions_are_a_table_and_anything_else_is_refused(prp_plan, practitioner):
    assert PLAN_TRANSITIONS[PlanStatus.ACTIVE] == {PlanStatus.COMPLETED, PlanStatus.CANCELLED}
    assert PLAN_TRANSITIONS[PlanStatus.COMPLETED] == set() == PLAN_TRANSITIONS[PlanStatus.CANCELLED]
    plan_cancel(plan=prp_plan, by=practitioner)

    with pytest.raises(InvalidTransition):
        plan_cancel(plan=prp_plan, by=practitioner)


def test_attention_reasons_add_up_and_a_practitioner_clears_them(prp_plan, practitioner, front_desk):
    plan_flag_attention(plan=prp_plan, reason="Session 2 could not be placed.")
    plan_flag_attention(plan=prp_plan, reason="Session 2 could not be placed.")
    plan_flag_attention(plan=prp_plan, reason="Window closes in 3 days.")
    assert prp_plan.needs_attention
    assert prp_plan.attention_reason == "Session 2 could not be placed.\nWindow closes in 3 days."

    with pytest.raises(DomainValidationError):
        plan_flag_attention(plan=prp_plan, reason=" ")
    with pytest.raises(DomainValidationError) as refused:
        plan_clear_attention(plan=prp_plan, by=front_desk)
    assert "by" in refused.value.errors
    prp_plan.refresh_from_db()
    assert prp_plan.needs_attention

    plan_clear_attention(plan=prp_plan, by=practitioner)
    assert (prp_plan.needs_attention, prp_plan.attention_reason) == (False, "")


def test_an_unknown_therapy_type_is_the_only_error_when_the_rest_is_defaulted(patient, practitioner):
    with pytest.raises(DomainValidationError) as refused:
        plan_create(patient=patient, therapy_type=None, indication=Indication.SCARS, by=practitioner)
    assert set(refused.value.errors) == {"therapy_type"}
