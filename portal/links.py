"""What the signed links in patient emails may do: confirm attendance, or cancel outside the policy window.
The link itself is checked by messaging.links; the cancellation goes through care.booking."""

from django.db import transaction
from django.utils import timezone

from care import booking
from clinic.exceptions import InvalidTransition
from messaging import links
from scheduling.models import Appointment

PATIENT_CANCEL_REASON = "Cancelled by the patient with the link in their email."


def appointment_confirm_by_link(*, token: str) -> Appointment:
    """Record that the patient will come to the appointment at the time their email named; repeating it changes
    nothing. Only a booked appointment, still at that time, is confirmed."""
    with transaction.atomic():
        appointment = links.appointment_locked_from_link(token=token, action="confirm")
        refusal = links.link_refusal(appointment, action="confirm")
        if refusal:
            raise InvalidTransition(refusal)
        if appointment.patient_confirmed_at is None:
            appointment.patient_confirmed_at = timezone.now()
            appointment.save(update_fields=["patient_confirmed_at", "updated_at"])
    return appointment


def appointment_cancel_by_link(*, token: str) -> Appointment:
    """Cancel through the booking service, in the same transaction that checked the link on the locked row, unless
    the link is bad or outdated or the policy window has closed."""
    with transaction.atomic():
        appointment = links.appointment_locked_from_link(token=token, action="cancel")
        refusal = links.link_refusal(appointment, action="cancel")
        if refusal:
            raise InvalidTransition(refusal)
        return booking.appointment_cancel(appointment=appointment, by=None, reason=PATIENT_CANCEL_REASON)
