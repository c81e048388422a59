"""The one lock order for every use case that touches a plan and its appointments: plan, then appointment, then
resources (practitioner, patient, room, device: scheduling.placement locks those, in that order).

Taken in that order by every writer, concurrent changes queue instead of deadlocking. A use case locks through
`appointment_lock` before it writes anything; locking again later in the same transaction (a service it calls
does) takes nothing new. A use case that re-screens the patient (answers to the questionnaire) may flag any of
their active plans, so it locks all of them first (`patient_plans=True`); one that changes screening without an
appointment in hand (a condition recorded) starts with treatments.plans.patient_plans_lock.
"""

from scheduling.models import Appointment
from treatments.plans import patient_plans_lock, plan_lock


def appointment_lock(appointment: Appointment, *, patient_plans: bool = False) -> Appointment:
    """The appointment row locked until the transaction ends, its plan (if any) locked first; with
    `patient_plans`, every active plan of the patient (by id) is locked first as well."""
    if patient_plans:
        patient_plans_lock(patient_id=appointment.patient_id, also=appointment.plan_id)
    elif appointment.plan_id is not None:
        plan_lock(appointment.plan_id)
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related(
            "patient",
            "practitioner",
            "location",
            "room",
            "device",
            "therapy_type",
            "product",
            "plan__product",
            "session__plan",
        )
        .get(pk=appointment.pk)
    )
