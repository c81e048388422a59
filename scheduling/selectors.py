"""Reads across visits: who received a lot (recall); how each listed appointment's patient attends."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

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


def _patient_count(**conditions) -> Coalesce:
    counted = (
        Appointment.objects.filter(patient=OuterRef("patient"), **conditions)
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_patient_attendance(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """Appointments with their patient's `patient_no_show_count` and `patient_late_cancellation_count` read in the
    list's one statement (a correlated subquery each), so the desk's cards need no request per patient."""
    return appointments.annotate(
        patient_no_show_count=_patient_count(status=AppointmentStatus.NO_SHOW),
        patient_late_cancellation_count=_patient_count(late_cancellation=True),
    )
