"""Row locks for appointment writers, always in one order: plan, appointment, practitioner, patient, room, device.

Taken in that order by every writer, concurrent changes queue instead of deadlocking.
"""

from scheduling.models import Appointment
from treatments.plans import plan_lock


def appointment_lock(appointment: Appointment) -> Appointment:
    """The appointment row locked until the transaction ends, its plan (if any) locked first."""
    if appointment.plan_id is not None:
        plan_lock(appointment.plan_id)
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related(
            "patient", "practitioner", "location", "room", "device", "therapy_type", "product", "plan__product"
        )
        .get(pk=appointment.pk)
    )
