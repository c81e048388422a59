"""The appointment's life-cycle events for the clinic's other systems (clinic.events): ids, times and status."""

from clinic.events import event_record
from clinic.models import Event
from scheduling.models import Appointment


def appointment_event(appointment: Appointment, event_type: str) -> Event:
    """Record `event_type` (appointment.booked, ...) for the appointment in the caller's transaction: its ids,
    times, status and sequence, never notes or reasons."""
    return event_record(
        event_type,
        data={
            "appointment": appointment.pk,
            "patient": appointment.patient_id,
            "practitioner": appointment.practitioner_id,
            "location": appointment.location_id,
            "therapy_type": appointment.therapy_type_id,
            "plan": appointment.plan_id,
            "start": appointment.start,
            "end": appointment.end,
            "status": appointment.status,
            "sequence": appointment.sequence,
        },
    )
