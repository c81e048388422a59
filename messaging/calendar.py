"""The `.ics` file attached to patient emails (RFC 5545, written with the icalendar package).

One UID per appointment and SEQUENCE = appointment.sequence, so a calendar updates the same event on every move
and removes it on METHOD:CANCEL. Times carry the location's TZID with a VTIMEZONE, so they stay right across DST.
"""

from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from clinic.vtimezone import vtimezone_for_years
from scheduling.models import Appointment

PRODID = "-//Clinic//Appointments//EN"


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
    # The zone's changes for the years around the visit (clinic.vtimezone: each onset on the clock before it).
    year = appointment.start.astimezone(zone).year
    calendar.add_component(vtimezone_for_years(location.time_zone, year - 1, year + 1))
    return calendar.to_ical()
