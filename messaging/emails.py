"""The patient's emails about an appointment: plain text and HTML, an `.ics` file, signed confirm/cancel links."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from messaging.calendar import appointment_ics, mail_domain
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES, AppointmentStatus, ReminderKind
from scheduling.models import Appointment, Location, Reminder

LINK_SALT = "scheduling.appointment-link"
LINK_ACTIONS = ("confirm", "cancel", "reschedule", "questionnaire")


def appointment_link_token(appointment: Appointment, *, action: str) -> str:
    """A signed token for one action on one version (sequence) of an appointment, carrying the appointment's random
    link secret (so the signing key alone cannot make a link); it expires, see links.py."""
    payload = {"a": appointment.pk, "s": appointment.sequence, "n": appointment.link_secret, "do": action}
    return signing.dumps(payload, salt=LINK_SALT)


def appointment_link_url(appointment: Appointment, *, action: str) -> str:
    token = appointment_link_token(appointment, action=action)
    return settings.CLINIC_PUBLIC_URL + reverse(f"appointment-{action}", kwargs={"token": token})


def reminder_message_id(reminder: Reminder) -> str:
    """The same Message-ID for every attempt at one email, so a re-send after a crash can be recognised."""
    return f"<reminder-{reminder.pk}.{reminder.appointment.sequence}@{mail_domain()}>"


def local_time_text(moment: datetime, location: Location) -> str:
    """E.g. "Monday 1 November 2027 at 09:00 GMT (Europe/London)": the clinic's wall clock, named.

    Formatted here, not by a template filter, which would show the server's zone (UTC) instead.
    """
    local = moment.astimezone(location.zone)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} {local.tzname()} ({location.time_zone})"


def _subject(reminder: Reminder, when: str) -> str:
    therapy = reminder.appointment.therapy_type.name
    if reminder.kind == ReminderKind.CONFIRMATION:
        return f"Booked: your {therapy} appointment on {when}"
    if reminder.kind == ReminderKind.RESCHEDULED:
        return f"New time: your {therapy} appointment is now on {when}"
    if reminder.kind == ReminderKind.CANCELLATION:
        return f"Cancelled: your {therapy} appointment on {when}"
    return f"Reminder: your {therapy} appointment on {when}"


def questionnaire_wanted(appointment: Appointment) -> bool:
    """A first visit (no earlier visit of the patient, kept or booked) or a session that needs a blood draw."""
    if appointment.therapy_type.requires_blood_draw or appointment.therapy_type.code == "prp":
        return True
    earlier = appointment.patient.appointments.filter(start__lt=appointment.start).filter(
        status__in=(*ACTIVE_APPOINTMENT_STATUSES, AppointmentStatus.COMPLETED)
    )
    return not earlier.exists()


def _questionnaire_url(reminder: Reminder) -> str | None:
    """The health questionnaire's link, in the confirmation (or new-time email) of a first visit or a PRP session
    whose questionnaire has not been answered yet."""
    if reminder.kind not in (ReminderKind.CONFIRMATION, ReminderKind.RESCHEDULED):
        return None
    appointment = reminder.appointment
    if hasattr(appointment, "questionnaire") or not questionnaire_wanted(appointment):
        return None
    return appointment_link_url(appointment, action="questionnaire")


def reminder_message(reminder: Reminder) -> EmailMultiAlternatives:
    """The email for one Reminder row, rendered from the appointment as it is now."""
    appointment = reminder.appointment
    cancelled = reminder.kind == ReminderKind.CANCELLATION
    when = local_time_text(appointment.start, appointment.location)
    policy = timedelta(hours=settings.CLINIC_CANCELLATION_POLICY_HOURS)
    context = {
        "kind": reminder.kind,
        "cancelled": cancelled,
        "appointment": appointment,
        "patient": appointment.patient,
        "location": appointment.location,
        "when": when,
        "duration_minutes": int((appointment.end - appointment.start).total_seconds() // 60),
        "cancel_until": local_time_text(appointment.start.astimezone(UTC) - policy, appointment.location),
        "policy_hours": settings.CLINIC_CANCELLATION_POLICY_HOURS,
        "confirm_url": None if cancelled else appointment_link_url(appointment, action="confirm"),
        "cancel_url": None if cancelled else appointment_link_url(appointment, action="cancel"),
        "reschedule_url": None if cancelled else appointment_link_url(appointment, action="reschedule"),
        "questionnaire_url": _questionnaire_url(reminder),
    }
    message = EmailMultiAlternatives(
        subject=_subject(reminder, when),
        body=render_to_string("scheduling/email/appointment.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[appointment.patient.email],
        headers={"Message-ID": reminder_message_id(reminder)},
    )
    message.attach_alternative(render_to_string("scheduling/email/appointment.html", context), "text/html")
    method = "CANCEL" if cancelled else "REQUEST"
    message.attach(
        "appointment.ics", appointment_ics(appointment, cancelled=cancelled), f"text/calendar; method={method}"
    )
    return message
