"""What a patient may do from the links in their emails besides confirming and cancelling: move the appointment
to one of the alternatives offered, or join the waitlist for something earlier.

Every function re-checks the link and the appointment under the appointment's row lock, so a link used twice at
once acts once; an old link (the appointment has moved since) changes nothing.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from care import booking
from clinic.clock import clinic_today, local_date
from clinic.exceptions import InvalidTransition
from messaging import links
from scheduling.availability import Slot, find_free_slots
from scheduling.choices import OPEN_WAITLIST_STATUSES
from scheduling.models import Appointment, WaitlistEntry
from waitlist.entries import waitlist_entry_create

ALTERNATIVES_SHOWN = 20


def _locked_for_link(appointment: Appointment, *, action: str) -> Appointment:
    """The appointment locked, as the link saw it (same version), and still open to the action."""
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "practitioner", "location", "therapy_type", "session__plan")
        .get(pk=appointment.pk)
    )
    if locked.sequence != appointment.sequence:
        raise InvalidTransition(
            "Your appointment has moved since this email. Nothing was changed; use the latest email."
        )
    refusal = links.link_refusal(locked, action=action)
    if refusal:
        raise InvalidTransition(refusal)
    return locked


def reschedule_alternatives(appointment: Appointment, *, now: datetime | None = None) -> list[Slot]:
    """Other free starts for the appointment: same therapy, practitioner and location, outside the cancellation
    policy's notice, inside the session's window for a plan session (else within CLINIC_RESCHEDULE_HORIZON_DAYS of
    the current start), earliest first, at most ALTERNATIVES_SHOWN."""
    now = now or timezone.now()
    zone = appointment.location.zone
    start = now + timedelta(hours=settings.CLINIC_CANCELLATION_POLICY_HOURS)
    end = max(appointment.start, start) + timedelta(days=settings.CLINIC_RESCHEDULE_HORIZON_DAYS)
    session = appointment.session
    if session is not None:
        if session.window_start:
            start = max(start, datetime.combine(session.window_start, time.min, tzinfo=zone))
        if session.window_end:
            end = datetime.combine(session.window_end + timedelta(days=1), time.min, tzinfo=zone)
    if end <= start:
        return []
    slots = find_free_slots(
        therapy_type=appointment.therapy_type,
        location=appointment.location,
        start=start,
        end=end,
        practitioner=appointment.practitioner,
        patient=appointment.patient,
        limit=ALTERNATIVES_SHOWN + 1,
    )
    return [slot for slot in slots if slot.start != appointment.start][:ALTERNATIVES_SHOWN]


def appointment_reschedule_by_link(*, token: str, start: datetime) -> Appointment:
    """Move the appointment to `start`, which must be one of the alternatives the page offers, through
    care.booking.appointment_reschedule (the new-time email and the reminders follow)."""
    appointment = links.appointment_from_link(token=token, action="reschedule")
    with transaction.atomic():
        locked = _locked_for_link(appointment, action="reschedule")
        if start not in {slot.start for slot in reschedule_alternatives(locked)}:
            raise InvalidTransition("That time is no longer free. Nothing was changed; please pick another.")
        return booking.appointment_reschedule(appointment=locked, start=start)


def waitlist_join_earlier_by_link(*, token: str) -> WaitlistEntry:
    """Put the patient on the waitlist for an earlier slot of this appointment (same therapy, practitioner and
    location, from today until the day before it); a claimed offer moves the appointment. Asking twice keeps the
    first entry."""
    appointment = links.appointment_from_link(token=token, action="reschedule")
    with transaction.atomic():
        locked = _locked_for_link(appointment, action="reschedule")
        existing = WaitlistEntry.objects.filter(appointment=locked, status__in=OPEN_WAITLIST_STATUSES).first()
        if existing:
            return existing
        zone = locked.location.zone
        today = clinic_today(zone)
        latest = local_date(locked.start, zone)
        if latest <= today:
            raise InvalidTransition("Your appointment is today: there is nothing earlier to wait for.")
        return waitlist_entry_create(
            patient=locked.patient,
            therapy_type=locked.therapy_type,
            location=locked.location,
            practitioner=locked.practitioner,
            earliest=today,
            latest=latest,
            appointment=locked,
            note="Asked for an earlier time from the reschedule link.",
        )
