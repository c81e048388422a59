"""A practitioner's appointments as an iCalendar feed (RFC 5545, written with the icalendar package).

What a phone's calendar shows is all a lost phone shows: the therapy and the patient's initials, the place and the
time, nothing else. Every value comes from the rows (DTSTAMP is the appointment's last change), so the same data
gives the same bytes and the feed's ETag only changes when an appointment does.
"""

from datetime import datetime, timedelta

from django.db.models import QuerySet
from icalendar import Calendar, Event, vDuration

from clinic.vtimezone import vtimezone
from messaging.calendar import mail_domain
from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment, Practitioner

FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=180)
PRODID = "-//Clinic//Practitioner feed//EN"
REFRESH = timedelta(minutes=15)


def feed_appointments(*, practitioner: Practitioner, now: datetime) -> QuerySet[Appointment]:
    """The practitioner's appointments starting from FEED_PAST ago to FEED_AHEAD ahead, cancelled ones left out
    (a subscribed calendar drops an event that is no longer in the feed)."""
    return (
        Appointment.objects.filter(practitioner=practitioner, start__gte=now - FEED_PAST, start__lt=now + FEED_AHEAD)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("patient", "therapy_type", "location", "room")
        .only(
            "start",
            "end",
            "sequence",
            "status",
            "updated_at",
            "patient__first_name",
            "patient__last_name",
            "therapy_type__name",
            "location__name",
            "location__time_zone",
            "room__name",
        )
        .order_by("start", "pk")
    )


def initials(first_name: str, last_name: str) -> str:
    """ "J.D." for Jane Doe: enough for a practitioner to recognise the visit, not to identify the patient."""
    return "".join(f"{name.strip()[0].upper()}." for name in (first_name, last_name) if name.strip())


def _event(appointment: Appointment) -> Event:
    zone = appointment.location.zone
    event = Event()
    event.add("uid", f"feed-appointment-{appointment.pk}@{mail_domain()}")
    event.add("dtstamp", appointment.updated_at)
    event.add("last-modified", appointment.updated_at)
    event.add("sequence", appointment.sequence)
    event.add("dtstart", appointment.start.astimezone(zone))
    event.add("dtend", appointment.end.astimezone(zone))
    who = initials(appointment.patient.first_name, appointment.patient.last_name)
    event.add("summary", f"{appointment.therapy_type.name} - {who}" if who else appointment.therapy_type.name)
    event.add("location", f"{appointment.location.name}, {appointment.room.name}")
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def practitioner_calendar(*, practitioner: Practitioner, now: datetime) -> bytes:
    """The feed's body: a PUBLISH calendar of feed_appointments() with a VTIMEZONE (clinic.vtimezone, onsets on
    the clock before each change) for every zone its events use, valid over the whole span."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Clinic: {practitioner.display_name}")
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    zones = set()
    for appointment in feed_appointments(practitioner=practitioner, now=now):
        calendar.add_component(_event(appointment))
        zones.add(appointment.location.time_zone)
    first, last = (now - FEED_PAST - timedelta(days=1)).date(), (now + FEED_AHEAD + timedelta(days=1)).date()
    for tzid in sorted(zones):
        calendar.add_component(vtimezone(tzid, first, last))
    return calendar.to_ical()
