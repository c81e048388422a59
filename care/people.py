"""People leaving and coming back: a practitioner leaving the rota, a patient leaving the clinic, and what that
means for their appointments still ahead (the attention list reads `active`; their reminders wait)."""

from collections.abc import Callable

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from messaging.reminders import appointment_reminders_hold, appointment_reminders_release
from patients.models import Patient
from patients.services import patients_set_active
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES
from scheduling.locks import appointment_lock
from scheduling.models import Appointment, Practitioner


def _future_active(whose: Q) -> QuerySet[Appointment]:
    return Appointment.objects.filter(whose, status__in=ACTIVE_APPOINTMENT_STATUSES, end__gt=timezone.now()).order_by(
        "start", "pk"
    )


def _change_with_reminders(*, appointments: QuerySet[Appointment], change: Callable[[], object]) -> None:
    """Make `change` (a patient or practitioner deactivated or reactivated) with the reminders of `appointments`
    (theirs, still ahead) following it: held while the emails must wait (messaging.reminders.reminders_wait),
    recomputed when they may go again (an overdue one skipped). Locks plan, then appointment, then the person
    (`change`), the order every writer keeps. Inside the caller's transaction."""
    rows = list(appointments.values_list("pk", "plan_id"))
    for pk, plan_id in rows:
        appointment_lock(Appointment(pk=pk, plan_id=plan_id))
    change()
    for appointment in Appointment.objects.select_related("patient", "practitioner").filter(
        pk__in=[pk for pk, _ in rows]
    ):
        appointment_reminders_hold(appointment)
        appointment_reminders_release(appointment)


def _practitioner_set_active(practitioner: Practitioner, active: bool) -> None:
    with transaction.atomic():
        _change_with_reminders(
            appointments=_future_active(Q(practitioner=practitioner)),
            change=lambda: Practitioner.objects.filter(pk=practitioner.pk).update(active=active),
        )
    practitioner.active = active


def practitioner_deactivate(*, practitioner: Practitioner, by=None) -> QuerySet[Appointment]:
    """Stop a practitioner taking appointments; returns their future active appointments.

    Guarantees: nothing is booked with them from now on and nobody checks in or completes a visit with them
    (care.booking); their future appointments stay booked (nobody is cancelled behind the patient's back), appear
    on the attention list ("practitioner inactive") and their reminders are held until each is moved to another
    practitioner (the reminders follow the new time) or cancelled (the patient is told).
    """
    _practitioner_set_active(practitioner, False)
    return _future_active(Q(practitioner=practitioner))


def practitioner_reactivate(*, practitioner: Practitioner, by=None) -> Practitioner:
    """A practitioner takes appointments again: their future appointments leave the attention list and their
    held reminders are recomputed (an overdue one is skipped), unless something else holds them."""
    _practitioner_set_active(practitioner, True)
    return practitioner


def _patients_set_active(patients: QuerySet[Patient], active: bool) -> int:
    changed = 0

    def change():
        nonlocal changed
        changed = patients_set_active(patients=patients, active=active)

    with transaction.atomic():
        ids = list(patients.exclude(active=active).values_list("pk", flat=True))
        _change_with_reminders(appointments=_future_active(Q(patient_id__in=ids)), change=change)
    return changed


def patients_deactivate(*, patients: QuerySet[Patient], by=None) -> int:
    """Deactivate patients (kept, hidden from search and new bookings); returns how many changed.

    Guarantees, in one transaction: their future appointments stay booked, appear on the attention list ("the
    patient is inactive") and their reminders are held; each may still be moved (the patient is told the new
    time) or cancelled (the patient is told) by the clinic.
    """
    return _patients_set_active(patients, False)


def patients_reactivate(*, patients: QuerySet[Patient], by=None) -> int:
    """Reactivate patients; their future appointments leave the attention list and their held reminders are
    recomputed (an overdue one is skipped) unless something else holds them. Returns how many changed."""
    return _patients_set_active(patients, True)
