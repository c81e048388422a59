"""Reads across visits: who received a lot (recall)."""

from django.db.models import QuerySet

from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment
from treatments.models import ProductLot


def lot_recipients(lot: ProductLot) -> QuerySet[Appointment]:
    """A recall: every completed visit, plan session or one-off, that recorded the lot, with its patient, oldest
    first (one query for any length of list)."""
    return (
        Appointment.objects.filter(product_lot=lot, status=AppointmentStatus.COMPLETED)
        .select_related("patient", "location", "session")
        .order_by("start", "pk")
    )
