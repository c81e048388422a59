"""The signed links in patient emails, checked: which appointment a link is for and whether it may still act.
The pages and use cases behind the links are portal's (confirm, cancel, reschedule), care's (the questionnaire)
and the waitlist's (offer claims).

A link names one action on one version (sequence) of one appointment, carries the appointment's random link
secret and expires after CLINIC_EMAIL_LINK_MAX_AGE_DAYS. A link signed with another key, or for another version
of the appointment (it moved since: the secret was renewed), changes nothing and says why. The checks that
depend on the appointment run again on the locked row, in the transaction that acts, so a move racing a click
can never let an old link act on the new time.
"""

import hmac
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

from clinic.exceptions import DomainValidationError
from messaging.emails import LINK_ACTIONS, LINK_SALT
from scheduling.choices import AppointmentStatus
from scheduling.locks import appointment_lock
from scheduling.models import Appointment

NOT_VALID = "This link is not valid. Nothing was changed."


def link_refused(sentence: str) -> DomainValidationError:
    """A link that changes nothing: the sentence is the answer and the token's error."""
    return DomainValidationError(sentence, errors={"token": [sentence]})


def signed_link_payload(token: str, *, salt: str, action: str, expired: str) -> dict:
    """The payload of a signed email link made for `action`; a tampered link, one older than
    CLINIC_EMAIL_LINK_MAX_AGE_DAYS (refused with the `expired` sentence) or one for another action is refused
    (DomainValidationError)."""
    max_age = timedelta(days=settings.CLINIC_EMAIL_LINK_MAX_AGE_DAYS)
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise link_refused(expired) from None
    except signing.BadSignature:
        raise link_refused(NOT_VALID) from None
    if not isinstance(payload, dict) or payload.get("do") != action:
        raise link_refused(NOT_VALID)
    return payload


def _payload(token: str, action: str) -> dict:
    payload = signed_link_payload(
        token,
        salt=LINK_SALT,
        action=action,
        expired="This link has expired. Nothing was changed; please call the clinic.",
    )
    if action not in LINK_ACTIONS:
        raise link_refused(NOT_VALID)
    if not isinstance(payload.get("a"), int) or not isinstance(payload.get("n"), str):
        raise link_refused(NOT_VALID)
    return payload


def _check(appointment: Appointment | None, payload: dict) -> Appointment:
    if appointment is None:
        raise link_refused("This appointment no longer exists. Nothing was changed.")
    if appointment.sequence != payload.get("s"):
        raise link_refused("Your appointment has moved since this email. Nothing was changed; use the latest email.")
    if not hmac.compare_digest(appointment.link_secret, payload["n"]):
        raise link_refused(NOT_VALID)
    return appointment


def appointment_from_link(*, token: str, action: str) -> Appointment:
    """The appointment a link is for (read, not locked: for showing the page); raises DomainValidationError when
    the link is bad, expired or outdated."""
    payload = _payload(token, action)
    appointment = (
        Appointment.objects.select_related("patient", "practitioner", "location", "therapy_type")
        .filter(pk=payload["a"])
        .first()
    )
    return _check(appointment, payload)


def appointment_locked_from_link(*, token: str, action: str) -> Appointment:
    """Inside a transaction: the appointment of a valid link, locked (its plan first, as booking locks), checked
    against the link on the locked row."""
    payload = _payload(token, action)
    appointment = Appointment.objects.filter(pk=payload["a"]).only("pk", "plan_id").first()
    return _check(appointment_lock(appointment) if appointment else None, payload)


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
