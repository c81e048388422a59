"""The waitlist: entries, freed time matched to them, offers emailed from an outbox, and the claim of an offer.

Offer policy: a freed slot goes to open entries in the order they joined (first come, first served), to the first
CLINIC_WAITLIST_PARALLEL_OFFERS eligible ones at once; each offer is valid CLINIC_WAITLIST_OFFER_MINUTES from the
moment its email leaves. The first claim books through care.booking; the other offers of the slot become
`taken`. An offer that expires passes the slot on to the next entries (the minute sweep). An entry holds at most one
open offer, and never gets the same slot twice (a unique constraint).

Nothing lost, nothing twice: freed time is a FreedTime row written with the change that freed it; offers are rows
whose email is claimed by one worker (skip-locked rows on PostgreSQL, a conditional UPDATE on SQLite) and carries
a deterministic Message-ID; a row left `sending` by a dead worker is claimed again after
CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS. Whether the slot is still free is checked again just before sending.
"""

import logging
from datetime import date

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from clinic.clock import clinic_today
from clinic.exceptions import DomainValidationError, InvalidTransition
from clinic.transitions import transition_check
from patients.models import Patient
from scheduling.booking import product_problems
from scheduling.choices import (
    OPEN_WAITLIST_STATUSES,
    OfferDelivery,
    OfferStatus,
    WaitlistStatus,
)
from scheduling.models import (
    Appointment,
    Location,
    Practitioner,
    WaitlistEntry,
    WaitlistOffer,
)
from treatments.models import Product, TherapyType

logger = logging.getLogger(__name__)

OFFER_SALT = "scheduling.waitlist-offer"
SEND_OFFER_TASK = "scheduling.tasks.send_waitlist_offer"

WAITLIST_TRANSITIONS: dict[str, set[str]] = {
    WaitlistStatus.WAITING: {
        WaitlistStatus.OFFERED,
        WaitlistStatus.BOOKED,
        WaitlistStatus.EXPIRED,
        WaitlistStatus.REMOVED,
    },
    WaitlistStatus.OFFERED: {
        WaitlistStatus.WAITING,
        WaitlistStatus.BOOKED,
        WaitlistStatus.EXPIRED,
        WaitlistStatus.REMOVED,
    },
    WaitlistStatus.BOOKED: set(),
    WaitlistStatus.EXPIRED: {WaitlistStatus.REMOVED},
    WaitlistStatus.REMOVED: set(),
}


def _check_transition(entry: WaitlistEntry, new_status: str) -> None:
    transition_check(
        WAITLIST_TRANSITIONS,
        current=entry.status,
        new=new_status,
        what="waitlist entry",
        label=lambda status: WaitlistStatus(status).label.lower(),
    )


# --- entries ---------------------------------------------------------------------------------------------------


def weekday_mask(weekdays) -> int:
    mask = 0
    for day in weekdays:
        mask |= 1 << day
    return mask


def waitlist_entry_create(
    *,
    patient: Patient,
    therapy_type: TherapyType,
    location: Location,
    earliest: date,
    latest: date,
    weekdays: list[int] | tuple[int, ...] = (),
    practitioner: Practitioner | None = None,
    appointment: Appointment | None = None,
    note: str = "",
    by=None,
    product: Product | None = None,
) -> WaitlistEntry:
    """Put a patient on the waitlist for a therapy at a location between two local dates (inclusive).

    Guarantees: the dates are in order and the last is not past, weekdays are 0 (Monday) to 6, a named
    practitioner gives the therapy at the location, and the patient has no other open entry for the same therapy
    at the location (400 otherwise). Eligibility is not required here: an entry is only matched while the patient
    is eligible.
    """
    errors: dict[str, list[str]] = {}
    # A one-off visit names its product where the therapy uses one, as a booking does (an entry that moves a
    # booked appointment keeps that appointment's product).
    if appointment is None and (problems := product_problems(therapy_type=therapy_type, product=product)):
        errors["product"] = problems
    if earliest > latest:
        errors["latest"] = ["The last day must not be before the first."]
    elif latest < clinic_today(location.zone):
        errors["latest"] = ["The last day has already passed."]
    if any(not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6 for day in weekdays):
        errors["weekdays"] = ["Give weekdays as numbers from 0 (Monday) to 6 (Sunday)."]
    if practitioner is not None and not (
        practitioner.therapy_types.filter(pk=therapy_type.pk).exists()
        and practitioner.locations.filter(pk=location.pk).exists()
    ):
        errors["practitioner"] = [f"{practitioner} does not give {therapy_type.name} at {location}."]
    if not patient.email:
        errors["patient"] = ["Offers go out by email: record the patient's email address first."]
    if errors:
        raise DomainValidationError(errors=errors)
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk", flat=True).get()
        if WaitlistEntry.objects.filter(
            patient=patient, therapy_type=therapy_type, location=location, status__in=OPEN_WAITLIST_STATUSES
        ).exists():
            raise DomainValidationError(
                errors={"patient": [f"{patient} is already waiting for {therapy_type.name} here."]}
            )
        entry = WaitlistEntry(
            patient=patient,
            therapy_type=therapy_type,
            product=product,
            location=location,
            practitioner=practitioner,
            earliest=earliest,
            latest=latest,
            weekday_mask=weekday_mask(sorted(set(weekdays))),
            appointment=appointment,
            note=note,
            created_by=by,
        )
        entry.full_clean(
            exclude=["patient", "therapy_type", "product", "location", "practitioner", "appointment", "created_by"]
        )
        entry.save()
    return entry


def open_offers(entry_ids) -> "QuerySet[WaitlistOffer]":  # noqa: F821 - a type name only
    return WaitlistOffer.objects.filter(entry_id__in=entry_ids, status=OfferStatus.SENT)


def close_offers(offers, status: str) -> None:
    """End open offers (taken or expired); an email not sent yet is not sent at all."""
    now = timezone.now()
    offers.filter(delivery__in=(OfferDelivery.PENDING, OfferDelivery.FAILED)).update(
        delivery=OfferDelivery.CANCELLED, updated_at=now
    )
    offers.update(status=status, updated_at=now)


def back_to_waiting(entry_ids) -> None:
    """Entries whose offer ended without a booking wait again, unless another offer of theirs is still open."""
    WaitlistEntry.objects.filter(pk__in=entry_ids, status=WaitlistStatus.OFFERED).exclude(
        Exists(WaitlistOffer.objects.filter(entry=OuterRef("pk"), status=OfferStatus.SENT))
    ).update(status=WaitlistStatus.WAITING, updated_at=timezone.now())


def waitlist_entry_remove(*, entry: WaitlistEntry, by=None) -> WaitlistEntry:
    """Take an entry off the list (kept, status `removed`); its open offers expire. Removing twice changes
    nothing; a booked entry cannot be removed (InvalidTransition)."""
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status == WaitlistStatus.REMOVED:
            return entry
        _check_transition(entry, WaitlistStatus.REMOVED)
        close_offers(open_offers([entry.pk]), OfferStatus.EXPIRED)
        entry.status = WaitlistStatus.REMOVED
        entry.save(update_fields=["status", "updated_at"])
    return entry


def waitlist_entry_keep(*, entry: WaitlistEntry) -> WaitlistEntry:
    """The patient's "keep me on the list": an entry whose offer is over waits for the next slot; an entry that
    is booked, removed or past its last day stays so (InvalidTransition)."""
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status == WaitlistStatus.OFFERED:
            back_to_waiting([entry.pk])
            entry.refresh_from_db()
        if entry.status != WaitlistStatus.WAITING and entry.status != WaitlistStatus.OFFERED:
            raise InvalidTransition(
                f"This waiting list place is {entry.get_status_display().lower()}: please call the clinic."
            )
    return entry
