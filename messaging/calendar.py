"""The `.ics` file attached to patient emails (RFC 5545, written with the icalendar package).

One UID per appointment and SEQUENCE = appointment.sequence, so a calendar updates the same event on every move
and removes it on METHOD:CANCEL. Times carry the location's TZID with a VTIMEZONE, so they stay right across DST.
"""

from datetime import date
from email.utils import parseaddr
from functools import lru_cache

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from scheduling.models import Appointment

PRODID = "-//Clinic//Appointments//EN"


@lru_cache(maxsize=32)
def _vtimezone(tzid: str, year: int) -> Timezone:
    """The zone's rules for the years around a visit: enough for any calendar, far smaller (and cheaper) than
    icalendar's default span of decades; cached because every email for the location needs the same one."""
    return Timezone.from_tzid(tzid, first_date=date(year - 1, 1, 1), last_date=date(year + 1, 12, 31))


def mail_domain() -> str:
    """The domain of the clinic's sender address, used in UIDs and Message-IDs."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "clinic.example"


def appointment_uid(appointment: Appointment) -> str:
    return f"appointment-{appointment.pk}@{mail_domain()}"


def appointment_ics(appointment: Appointment, *, cancelled: bool = False) -> bytes:
    """The calendar file for an appointment: a REQUEST to add or update it, or a CANCEL to remove it."""
    zone = appointment.location.zone
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", appointment_uid(appointment))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.start.astimezone(zone))
    event.add("dtend", appointment.end.astimezone(zone))
    event.add("summary", f"{appointment.therapy_type.name} with {appointment.practitioner.display_name}")
    location = appointment.location
    event.add("location", ", ".join(part for part in (location.name, location.address.replace("\n", ", ")) if part))
    if appointment.therapy_type.preparation_notes:
        event.add("description", appointment.therapy_type.preparation_notes)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
    organizer.params["cn"] = vText(location.name)
    event.add("organizer", organizer)
    if appointment.patient.email:
        attendee = vCalAddress(f"mailto:{appointment.patient.email}")
        attendee.params["cn"] = vText(appointment.patient.full_name)
        event.add("attendee", attendee)
    calendar.add_component(event)
    calendar.add_component(_vtimezone(location.time_zone, appointment.start.astimezone(zone).year))
    return calendar.to_ical()
