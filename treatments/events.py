"""A plan's life-cycle events for the clinic's other systems (clinic.events): ids, status and size."""

from clinic.events import event_record
from clinic.models import Event
from treatments.models import TreatmentPlan


def plan_event(plan: TreatmentPlan, event_type: str) -> Event:
    """Record `event_type` (plan.created, ...) for the plan in the caller's transaction: its ids, status and number
    of sessions, never the indication or notes."""
    return event_record(
        event_type,
        data={
            "plan": plan.pk,
            "patient": plan.patient_id,
            "therapy_type": plan.therapy_type_id,
            "status": plan.status,
            "sessions_planned": plan.sessions_planned,
        },
    )
