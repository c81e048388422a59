"""The clinic's calendar: its default zone, today there, and the local day of a moment."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def clinic_zone() -> ZoneInfo:
    """The clinic's default zone (CLINIC_DEFAULT_TIME_ZONE): used where no location says otherwise."""
    return ZoneInfo(settings.CLINIC_DEFAULT_TIME_ZONE)


def clinic_today(zone: ZoneInfo | None = None) -> date:
    """Today in `zone` (the clinic's default zone when not given): the server runs in UTC, the clinic does not."""
    return timezone.localdate(timezone=zone or clinic_zone())


def local_date(moment: datetime, zone: ZoneInfo | None = None) -> date:
    """The calendar day `moment` falls on in `zone` (the clinic's default zone when not given)."""
    zone = zone or clinic_zone()
    return timezone.localtime(aware(moment, zone), zone).date()


def aware(moment: datetime, zone: ZoneInfo | None = None) -> datetime:
    """`moment` itself when it carries an offset, else read as a wall-clock time in `zone`."""
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, zone or clinic_zone())
