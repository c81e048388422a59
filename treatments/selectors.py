"""Read-only queries on plans and sessions (services write, selectors read). Lot recipients are read from the
visits: scheduling.selectors.lot_recipients."""

from django.db.models import Prefetch, QuerySet

from patients.models import Patient
from treatments.choices import PlanStatus
from treatments.models import TreatmentPlan, TreatmentSession


def plans_with_sessions() -> QuerySet[TreatmentPlan]:
    """Plans with what a list or detail page shows, in a fixed number of queries however many plans."""
    return TreatmentPlan.objects.select_related("patient", "therapy_type", "product").prefetch_related(
        Prefetch("sessions", queryset=TreatmentSession.objects.order_by("sequence"))
    )


def plans_needing_attention() -> QuerySet[TreatmentPlan]:
    """The front desk's list: active plans flagged for a person to look at, oldest change first."""
    return plans_with_sessions().filter(needs_attention=True, status=PlanStatus.ACTIVE).order_by("updated_at", "pk")


def patient_active_plans(patient: Patient) -> QuerySet[TreatmentPlan]:
    """The patient's courses still running, newest first, with their sessions."""
    return plans_with_sessions().filter(patient=patient, status=PlanStatus.ACTIVE)
