"""Read-only queries on plans, sessions and lots (services write, selectors read)."""

from django.db.models import Prefetch, QuerySet

from patients.models import Patient
from treatments.choices import PlanStatus, SessionStatus
from treatments.models import ProductLot, TreatmentPlan, TreatmentSession


def lot_recipients(lot: ProductLot) -> QuerySet[TreatmentSession]:
    """A recall: every completed session that used the lot, with its patient, oldest first (one query)."""
    return (
        TreatmentSession.objects.filter(product_lot=lot, status=SessionStatus.COMPLETED)
        .select_related("plan__patient", "plan__therapy_type", "product_lot__product", "completed_by")
        .order_by("completed_at", "pk")
    )


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
