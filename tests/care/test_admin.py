"""Plans, sessions and consents in the admin: shown, never deleted (one by one or in bulk); a plan is cancelled
and a session skipped through the services the API calls, with the reason a person gives."""

import pytest
from django.urls import reverse

from scheduling.choices import AppointmentStatus
from scheduling.planning import plan_schedule
from tests import factories
from treatments.choices import PlanStatus, SessionStatus
from treatments.models import Consent, TreatmentPlan, TreatmentSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(client):
    client.force_login(factories.clinic_admin_user(username="lead"))
    return client


@pytest.fixture
def plan(clinic):
    """A three-session PRP course, consented, every session booked."""
    plan = factories.open_plan(therapy_type=clinic.prp, sessions_planned=3)
    plan_schedule(plan=plan)
    assert plan.appointments.filter(status=AppointmentStatus.BOOKED).count() == 3
    return plan


def test_a_plan_its_sessions_and_its_consent_cannot_be_deleted_in_the_admin(lead, plan):
    """Issue 21 item 5: deleting a plan in the admin removed it with its consent and override."""
    session = plan.sessions.get(sequence=2)
    consent = plan.consents.get()
    pages = {
        "plan": lead.post(reverse("admin:treatments_treatmentplan_delete", args=[plan.pk]), {"post": "yes"}),
        "session": lead.post(reverse("admin:treatments_treatmentsession_delete", args=[session.pk]), {"post": "yes"}),
        "consent": lead.post(reverse("admin:treatments_consent_delete", args=[consent.pk]), {"post": "yes"}),
    }

    assert {name: page.status_code for name, page in pages.items()} == {"plan": 403, "session": 403, "consent": 403}
    assert TreatmentPlan.objects.filter(pk=plan.pk).exists()
    assert plan.sessions.count() == 3 and Consent.objects.filter(pk=consent.pk).exists()


@pytest.mark.parametrize("model", ["treatmentplan", "treatmentsession", "consent"])
def test_no_bulk_delete_is_offered_or_obeyed(lead, plan, model):
    changelist = reverse(f"admin:treatments_{model}_changelist")
    page = lead.get(changelist)
    assert page.status_code == 200 and "delete_selected" not in page.content.decode()

    ids = {"treatmentplan": [plan.pk], "treatmentsession": list(plan.sessions.values_list("pk", flat=True))}
    lead.post(changelist, {"action": "delete_selected", "_selected_action": ids.get(model, [1]), "post": "yes"})

    assert TreatmentPlan.objects.count() == 1 and TreatmentSession.objects.count() == 3 and Consent.objects.count()


def test_a_plan_is_cancelled_in_the_admin_through_the_service_with_a_reason(lead, plan):
    changelist = reverse("admin:treatments_treatmentplan_changelist")
    selected = {"action": "cancel_plans", "_selected_action": [plan.pk]}

    asked = lead.post(changelist, selected)
    assert asked.status_code == 200 and "Reason" in asked.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE  # nothing happens before a reason is given

    done = lead.post(changelist, {**selected, "apply": "yes", "reason": "Patient moved abroad"})

    assert done.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CANCELLED and "Patient moved abroad" in plan.notes
    assert set(plan.appointments.values_list("status", flat=True)) == {AppointmentStatus.CANCELLED}


def test_a_session_is_skipped_in_the_admin_through_the_service(lead, plan):
    session = plan.sessions.get(sequence=3)
    changelist = reverse("admin:treatments_treatmentsession_changelist")

    done = lead.post(
        changelist, {"action": "skip_sessions", "_selected_action": [session.pk], "apply": "yes", "reason": "Enough"}
    )

    assert done.status_code == 302
    session.refresh_from_db()
    assert (session.status, session.notes) == (SessionStatus.SKIPPED, "Enough")
    assert session.appointments.get().status == AppointmentStatus.CANCELLED


def test_a_refused_cancel_is_reported_not_swallowed(lead, plan):
    changelist = reverse("admin:treatments_treatmentplan_changelist")
    selected = {"action": "cancel_plans", "_selected_action": [plan.pk], "apply": "yes", "reason": "Twice"}
    lead.post(changelist, selected)

    again = lead.post(changelist, selected, follow=True)

    assert "it cannot be cancelled" in again.content.decode()


def test_plan_and_session_pages_write_nothing(lead, plan):
    session = plan.sessions.get(sequence=1)
    page = lead.get(reverse("admin:treatments_treatmentplan_change", args=[plan.pk])).content.decode()
    assert 'name="notes"' not in page and 'name="sessions-0-notes"' not in page
    answer = lead.post(reverse("admin:treatments_treatmentsession_change", args=[session.pk]), {"notes": "typed"})
    assert answer.status_code == 403
    history = reverse("admin:treatments_treatmentplan_simple_history", args=[plan.pk, plan.history.first().pk])
    assert lead.post(history, {"indication": "scars"}).status_code == 403
