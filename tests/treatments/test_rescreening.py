"""Re-screening: a condition recorded (or re-activated) between sessions flags the plans it now rules out."""

from datetime import date

import pytest

from care.holds import patient_condition_record, patient_condition_update
from clinic.clock import clinic_today
from clinic.exceptions import Contraindicated, DomainValidationError
from patients.models import PatientCondition
from tests import factories
from treatments.choices import Indication, PlanStatus
from treatments.plans import RESCREEN_ATTENTION, plan_cancel, plan_clear_attention, plan_create
from treatments.screening import plan_screen

pytestmark = pytest.mark.django_db


def refreshed(plan):
    plan.refresh_from_db()
    return plan


def test_a_new_absolute_condition_flags_the_active_plan_and_blocks_its_next_sessions(
    prp_plan, rules, anticoagulant, practitioner
):
    record = patient_condition_record(
        patient=prp_plan.patient, condition=anticoagulant, by=practitioner, since=date(2026, 3, 20), note="Warfarin"
    )

    assert (record.active, record.recorded_by, record.note) == (True, practitioner, "Warfarin")
    plan = refreshed(prp_plan)
    assert plan.needs_attention
    # The flag is read by the front desk: it names no condition; the finding is the practitioner's to screen.
    assert plan.attention_reason == RESCREEN_ATTENTION
    assert [f.condition_name for f in plan_screen(plan).blocking] == ["Anticoagulant therapy"]
    assert [f.condition_code for f in plan_screen(plan).blocking] == ["anticoagulant-therapy"]
    # Booking screens with plan_screen (once, in scheduling.booking): the next sessions cannot be booked.
    assert not plan_screen(plan).eligible


def test_a_new_relative_condition_flags_the_plan_unless_its_override_covers_it(
    patient, prp, rules, cardiovascular, practitioner
):
    plan = plan_create(patient=patient, therapy_type=prp, indication=Indication.SCARS, by=practitioner)

    patient_condition_record(patient=patient, condition=cardiovascular, by=practitioner)

    assert refreshed(plan).needs_attention
    assert plan.attention_reason == RESCREEN_ATTENTION
    assert [f.condition_name for f in plan_screen(plan).blocking] == ["Cardiovascular disease"]


def test_an_overridden_relative_condition_coming_back_flags_nothing(patient, prp, rules, cardiovascular, practitioner):
    record = factories.PatientConditionFactory(patient=patient, condition=cardiovascular)
    plan = plan_create(
        patient=patient, therapy_type=prp, indication=Indication.SCARS, by=practitioner, override_reason="Cleared"
    )
    patient_condition_update(patient_condition=record, by=practitioner, active=False)

    patient_condition_update(patient_condition=record, by=practitioner, active=True)

    assert not refreshed(plan).needs_attention


def test_an_inactive_record_or_an_unrelated_condition_flags_nothing(
    prp_plan, rules, anticoagulant, fish_allergy, practitioner
):
    patient_condition_record(patient=prp_plan.patient, condition=anticoagulant, by=practitioner, active=False)
    patient_condition_record(patient=prp_plan.patient, condition=fish_allergy, by=practitioner)  # PRP has no product

    assert not refreshed(prp_plan).needs_attention


def test_reactivating_a_condition_flags_the_plan(prp_plan, rules, anticoagulant, practitioner):
    record = patient_condition_record(patient=prp_plan.patient, condition=anticoagulant, by=practitioner, active=False)

    updated = patient_condition_update(patient_condition=record, by=practitioner, active=True, note="Restarted")

    assert (updated.active, updated.note) == (True, "Restarted")
    assert record.active  # the caller's object follows
    assert refreshed(prp_plan).needs_attention


def test_deactivating_clears_nothing_silently_a_practitioner_clears_the_flag(
    prp_plan, rules, anticoagulant, practitioner, front_desk
):
    record = patient_condition_record(patient=prp_plan.patient, condition=anticoagulant, by=practitioner)
    with pytest.raises(Contraindicated):
        plan_clear_attention(plan=prp_plan, by=practitioner)  # still on warfarin: the flag stays

    patient_condition_update(patient_condition=record, by=practitioner, active=False)
    assert refreshed(prp_plan).needs_attention

    with pytest.raises(DomainValidationError):
        plan_clear_attention(plan=prp_plan, by=front_desk)
    plan_clear_attention(plan=prp_plan, by=practitioner)
    assert not refreshed(prp_plan).needs_attention
    assert plan_screen(prp_plan).eligible


def test_a_practitioner_may_accept_a_new_relative_finding_with_a_reason(prp_plan, rules, cardiovascular, practitioner):
    patient_condition_record(patient=prp_plan.patient, condition=cardiovascular, by=practitioner)
    with pytest.raises(Contraindicated) as refused:
        plan_clear_attention(plan=prp_plan, by=practitioner)
    assert "override_reason" in refused.value.errors

    plan_clear_attention(plan=prp_plan, by=practitioner, override_reason="Stable angina, cardiologist agrees")

    plan = refreshed(prp_plan)
    assert not plan.needs_attention
    assert "Stable angina, cardiologist agrees" in plan.override_reason
    assert plan.override_by == practitioner
    assert [f["condition_code"] for f in plan.overridden_findings] == ["cardiovascular-disease"]
    assert plan_screen(plan).eligible


def test_only_active_plans_of_that_patient_are_flagged(patient, prp, rules, anticoagulant, practitioner):
    active = plan_create(patient=patient, therapy_type=prp, indication=Indication.SCARS, by=practitioner)
    cancelled = plan_create(patient=patient, therapy_type=prp, indication=Indication.VOLUME_LOSS, by=practitioner)
    plan_cancel(plan=cancelled, by=practitioner)
    someone_else = plan_create(
        patient=factories.PatientFactory(), therapy_type=prp, indication=Indication.SCARS, by=practitioner
    )

    patient_condition_record(patient=patient, condition=anticoagulant, by=practitioner)

    assert refreshed(active).needs_attention
    assert (refreshed(cancelled).needs_attention, cancelled.status) == (False, PlanStatus.CANCELLED)
    assert not refreshed(someone_else).needs_attention


def test_recording_twice_keeps_one_reason(prp_plan, rules, anticoagulant, practitioner):
    record = patient_condition_record(patient=prp_plan.patient, condition=anticoagulant, by=practitioner)
    patient_condition_update(patient_condition=record, by=practitioner, active=False)
    patient_condition_update(patient_condition=record, by=practitioner, active=True)

    assert len(refreshed(prp_plan).attention_reason.splitlines()) == 1


@pytest.mark.parametrize(
    "arguments,field",
    [
        ({"condition": 999_999}, "condition"),
        ({"since": date(2999, 1, 1)}, "since"),
    ],
    ids=["unknown condition", "since in the future"],
)
def test_bad_condition_records_are_refused(arguments, field, patient, anticoagulant, practitioner):
    with pytest.raises(DomainValidationError) as refused:
        patient_condition_record(**{"patient": patient, "condition": anticoagulant, "by": practitioner, **arguments})
    assert field in refused.value.errors
    assert PatientCondition.objects.count() == 0


def test_a_condition_is_recorded_once_then_updated(patient, anticoagulant, practitioner):
    patient_condition_record(patient=patient, condition=anticoagulant.pk, by=practitioner, since=clinic_today())
    with pytest.raises(DomainValidationError) as refused:
        patient_condition_record(patient=patient, condition=anticoagulant, by=practitioner)
    assert "condition" in refused.value.errors
    assert PatientCondition.objects.count() == 1


def test_an_update_changes_only_what_may_change(patient, anticoagulant, cardiovascular, practitioner):
    record = patient_condition_record(patient=patient, condition=anticoagulant, by=practitioner)

    with pytest.raises(DomainValidationError) as refused:
        patient_condition_update(patient_condition=record, by=practitioner, condition=cardiovascular, active="no")

    assert set(refused.value.errors) == {"condition", "active"}
    record.refresh_from_db()
    assert (record.condition, record.active) == (anticoagulant, True)
