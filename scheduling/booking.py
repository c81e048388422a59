"""The one way an appointment is created or moved. (Foundation version: the scheduling issue completes it.)"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from clinic.exceptions import SlotUnavailable
from patients.models import Patient
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES
from scheduling.models import Appointment, Device, Practitioner, Room
from scheduling.reminders import appointment_reminders_sync
from treatments.models import TherapyType, TreatmentSession


def _overlapping(start: datetime, end: datetime):
    return Appointment.objects.filter(status__in=ACTIVE_APPOINTMENT_STATUSES, start__lt=end, end__gt=start)


def appointment_book(
    *,
    patient: Patient,
    therapy_type: TherapyType,
    practitioner: Practitioner,
    start: datetime,
    session: TreatmentSession | None = None,
    room: Room | None = None,
    device: Device | None = None,
    by=None,
) -> Appointment:
    """Book [start, start + session length) in one transaction; never two active bookings on one resource."""
    end = start + timedelta(minutes=therapy_type.session_minutes)
    location = practitioner.locations.order_by("id").first()
    try:
        with transaction.atomic():
            Practitioner.objects.select_for_update().get(pk=practitioner.pk)
            busy = _overlapping(start, end)
            if busy.filter(practitioner=practitioner).exists() or busy.filter(patient=patient).exists():
                raise SlotUnavailable()
            room = (
                room
                or Room.objects.filter(location=location, active=True)
                .exclude(appointments__in=busy)
                .order_by("id")
                .first()
            )
            if room is None:
                raise SlotUnavailable()
            if therapy_type.device_kind and device is None:
                device = (
                    Device.objects.filter(location=location, kind=therapy_type.device_kind, active=True)
                    .exclude(appointments__in=busy)
                    .order_by("id")
                    .first()
                )
                if device is None:
                    raise SlotUnavailable()
            appointment = Appointment.objects.create(
                patient=patient,
                practitioner=practitioner,
                location=location,
                room=room,
                device=device,
                therapy_type=therapy_type,
                session=session,
                plan=session.plan if session else None,
                start=start,
                end=end,
                created_by=by,
            )
            appointment_reminders_sync(appointment, event="booked")
            return appointment
    except IntegrityError as exc:
        raise SlotUnavailable() from exc
