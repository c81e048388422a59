"""Reads: a day's appointments, a patient's no-show count, and who received a lot (recall)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet

from patients.models import Patient
from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment, Location, Practitioner
from treatments.models import ProductLot


def patient_no_show_count(patient: Patient) -> int:
    """How many appointments the patient missed (one query)."""
    return Appointment.objects.filter(patient=patient, status=AppointmentStatus.NO_SHOW).count()


def lot_recipients(lot: ProductLot) -> QuerySet[Appointment]:
    """A recall: every completed visit, plan session or one-off, that recorded the lot, with its patient, oldest
    first (one query for any length of list)."""
    return (
        Appointment.objects.filter(product_lot=lot, status=AppointmentStatus.COMPLETED)
        .select_related("patient", "location", "session")
        .order_by("start", "pk")
    )


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants (in UTC) a local calendar day starts and ends at; 23 or 25 hours apart on DST changes."""
    first = datetime.combine(day, time(0), tzinfo=zone)
    last = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return first.astimezone(UTC), last.astimezone(UTC)


def appointment_list() -> QuerySet[Appointment]:
    """Appointments with everything a list shows joined in: one query for any length of list."""
    return Appointment.objects.select_related(
        "patient", "practitioner", "location", "room", "device", "therapy_type", "session"
    )


def appointments_on_day(
    *,
    day: date,
    location: Location | None = None,
    practitioner: Practitioner | None = None,
    statuses: list[str] | None = None,
) -> QuerySet[Appointment]:
    """The appointments starting on a local day (the location's zone, else the clinic's), in time order."""
    zone = location.zone if location is not None else ZoneInfo(settings.CLINIC_DEFAULT_TIME_ZONE)
    first, last = day_bounds(day, zone)
    appointments = appointment_list().filter(start__gte=first, start__lt=last)
    if location is not None:
        appointments = appointments.filter(location=location)
    if practitioner is not None:
        appointments = appointments.filter(practitioner=practitioner)
    if statuses:
        appointments = appointments.filter(status__in=statuses)
    return appointments.order_by("start", "id")
