"""What the signed links in patient emails may do: confirm attendance, or cancel outside the policy window.

A link names one action on one version (sequence) of one appointment and expires after
CLINIC_EMAIL_LINK_MAX_AGE_DAYS. A bad, expired or outdated link changes nothing and says why.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from clinic.exceptions import DomainValidationError, InvalidTransition
from scheduling import booking
from scheduling.choices import AppointmentStatus
from scheduling.emails import LINK_ACTIONS, LINK_SALT
from scheduling.models import Appointment

PATIENT_CANCEL_REASON = "Cancelled by the patient with the link in their email."


def _refuse(sentence: str) -> DomainValidationError:
    return DomainValidationError(sentence, errors={"token": [sentence]})


def appointment_from_link(*, token: str, action: str) -> Appointment:
    """The appointment a link is for; raises DomainValidationError when the link is bad, expired or outdated."""
    max_age = timedelta(days=settings.CLINIC_EMAIL_LINK_MAX_AGE_DAYS)
    try:
        payload = signing.loads(token, salt=LINK_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise _refuse("This link has expired. Nothing was changed; please call the clinic.") from None
    except signing.BadSignature:
        raise _refuse("This link is not valid. Nothing was changed.") from None
    if action not in LINK_ACTIONS or payload.get("do") != action:
        raise _refuse("This link is not valid. Nothing was changed.")
    appointment = (
        Appointment.objects.select_related("patient", "practitioner", "location", "therapy_type")
        .filter(pk=payload.get("a"))
        .first()
    )
    if appointment is None:
        raise _refuse("This appointment no longer exists. Nothing was changed.")
    if appointment.sequence != payload.get("s"):
        raise _refuse("Your appointment has moved since this email. Nothing was changed; use the latest email.")
    return appointment


def cancellable_online(appointment: Appointment, *, now=None) -> bool:
    """Online cancellation closes CLINIC_CANCELLATION_POLICY_HOURS before the start."""
    now = now or timezone.now()
    return appointment.start - now >= timedelta(hours=settings.CLINIC_CANCELLATION_POLICY_HOURS)


def link_refusal(appointment: Appointment, *, action: str) -> str | None:
    """Why a valid link may not act on the appointment as it is now, in a sentence; None when it may."""
    if appointment.status != AppointmentStatus.BOOKED:
        return f"This appointment is {appointment.get_status_display().lower()}; nothing was changed."
    if action == "cancel" and not cancellable_online(appointment):
        hours = settings.CLINIC_CANCELLATION_POLICY_HOURS
        return (
            f"Appointments can be cancelled online until {hours} hours before they start. "
            "Nothing was changed; please call the clinic."
        )
    return None


def appointment_confirm_by_link(*, token: str) -> Appointment:
    """Record that the patient will come; repeating it changes nothing. Only a booked appointment is confirmed."""
    with transaction.atomic():
        appointment = appointment_from_link(token=token, action="confirm")
        appointment = (
            Appointment.objects.select_for_update()
            .select_related("practitioner", "location", "therapy_type")
            .get(pk=appointment.pk)
        )
        refusal = link_refusal(appointment, action="confirm")
        if refusal:
            raise InvalidTransition(refusal)
        if appointment.patient_confirmed_at is None:
            appointment.patient_confirmed_at = timezone.now()
            appointment.save(update_fields=["patient_confirmed_at", "updated_at"])
    return appointment


def appointment_cancel_by_link(*, token: str) -> Appointment:
    """Cancel through the booking service, unless the link is bad or the policy window has closed."""
    appointment = appointment_from_link(token=token, action="cancel")
    refusal = link_refusal(appointment, action="cancel")
    if refusal:
        raise InvalidTransition(refusal)
    return booking.appointment_cancel(appointment=appointment, by=None, reason=PATIENT_CANCEL_REASON)
