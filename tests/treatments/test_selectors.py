"""Plan lists read in a fixed number of queries however many plans there are."""

import pytest

from tests import factories
from treatments.choices import Indication
from treatments.plans import plan_cancel, plan_create, plan_flag_attention
from treatments.selectors import patient_active_plans, plans_needing_attention

pytestmark = pytest.mark.django_db


def open_plans(count, prp, practitioner, patient=None):
    return [
        plan_create(
            patient=patient or factories.PatientFactory(),
            therapy_type=prp,
            indication=Indication.SCARS,
            by=practitioner,
        )
        for _ in range(count)
    ]


def test_the_needs_attention_list_shows_active_flagged_plans_in_two_queries(
    prp, practitioner, django_assert_num_queries
):
    flagged = open_plans(4, prp, practitioner)
    open_plans(2, prp, practitioner)
    for plan in flagged:
        plan_flag_attention(plan=plan, reason="Session 2 could not be placed.")
    plan_cancel(plan=flagged[-1], by=practitioner)

    with django_assert_num_queries(2):
        rows = [
            (plan.pk, plan.patient.last_name, plan.therapy_type.name, [s.window_start for s in plan.sessions.all()])
            for plan in plans_needing_attention()
        ]

    assert [pk for pk, *_ in rows] == [plan.pk for plan in flagged[:-1]]
    assert all(len(windows) == 3 for *_, windows in rows)


def test_a_patients_active_plans(patient, prp, practitioner):
    active, cancelled = open_plans(2, prp, practitioner, patient=patient)
    plan_cancel(plan=cancelled, by=practitioner)
    open_plans(1, prp, practitioner)

    assert list(patient_active_plans(patient)) == [active]
