"""Practitioners leaving the rota."""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES
from scheduling.models import Appointment, Practitioner


def practitioner_deactivate(*, practitioner: Practitioner, by=None) -> QuerySet[Appointment]:
    """Stop a practitioner taking appointments; returns their future active appointments.

    Guarantees: nothing is booked with them from now on; their future appointments stay booked (nobody is
    cancelled behind the patient's back) and appear on the attention list ("practitioner inactive") until each
    is moved to another practitioner or cancelled.
    """
    with transaction.atomic():
        Practitioner.objects.select_for_update().filter(pk=practitioner.pk).update(active=False)
    practitioner.active = False
    return Appointment.objects.filter(
        practitioner=practitioner, status__in=ACTIVE_APPOINTMENT_STATUSES, end__gt=timezone.now()
    ).order_by("start")
