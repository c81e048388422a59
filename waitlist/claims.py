"""Claiming an offer from its email link: exactly one claim of a slot books (through care.booking); the others
are told the slot was taken. Also the "keep me on the list" and "take me off" answers."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from care import booking
from clinic.exceptions import DomainError
from messaging.links import link_refused, signed_link_payload
from scheduling.choices import (
    OfferStatus,
    WaitlistStatus,
)
from scheduling.models import (
    Appointment,
    WaitlistEntry,
    WaitlistOffer,
)
from waitlist.entries import OFFER_SALT, back_to_waiting, close_offers, waitlist_entry_keep, waitlist_entry_remove

logger = logging.getLogger(__name__)

# --- claiming an offer -----------------------------------------------------------------------------------------


@dataclass
class ClaimOutcome:
    """What a claim did: `appointment` when it booked, else `refusal`, a sentence for the patient."""

    offer: WaitlistOffer
    appointment: Appointment | None = None
    refusal: str | None = None
    already: bool = False


GONE = "Sorry, this slot has already been taken. Nothing was booked."
EXPIRED = "Sorry, this offer has expired and the slot has been offered to someone else. Nothing was booked."


def offer_from_link(*, token: str) -> WaitlistOffer:
    """The offer a link is for; DomainValidationError when the link is tampered with or older than any offer."""
    payload = signed_link_payload(
        token, salt=OFFER_SALT, action="claim", expired="This link has expired. Nothing was changed."
    )
    offer = (
        WaitlistOffer.objects.select_related(
            "entry__patient", "entry__therapy_type", "entry__location", "practitioner", "appointment"
        )
        .filter(pk=payload.get("o"))
        .first()
    )
    if offer is None:
        raise link_refused("This offer no longer exists. Nothing was changed.")
    return offer


def offer_state_for_patient(offer: WaitlistOffer, *, now: datetime | None = None) -> str | None:
    """Why this offer can no longer be claimed, in a sentence; None when it can."""
    now = now or timezone.now()
    if offer.status == OfferStatus.CLAIMED:
        return "You have already booked this slot."
    if offer.status == OfferStatus.TAKEN:
        return GONE
    if offer.status == OfferStatus.EXPIRED or offer.expires_at is None or offer.expires_at <= now:
        return EXPIRED
    return None


def offer_claim_by_link(*, token: str) -> ClaimOutcome:
    """Book the offered slot for the patient, if theirs is the first claim while the offer is valid.

    Guarantees: every open offer of the slot is locked (in id order) before booking, so of any number of claims
    at once exactly one books (through care.booking: the usual checks, confirmation and reminders); the
    slot's other offers become `taken` and their entries wait again. A later claim, an expired offer or a slot
    the booking refuses books nothing and answers with a refusal; a repeated claim of a booked offer changes
    nothing.
    """
    offer = offer_from_link(token=token)
    with transaction.atomic():
        siblings = list(
            WaitlistOffer.objects.select_for_update()
            .filter(practitioner_id=offer.practitioner_id, start=offer.start)
            .order_by("id")
        )
        mine = next(sibling for sibling in siblings if sibling.pk == offer.pk)
        offer.status, offer.expires_at = mine.status, mine.expires_at
        refusal = offer_state_for_patient(mine)
        if refusal:
            if mine.status == OfferStatus.SENT:  # the time ran out before the sweep noticed
                close_offers(WaitlistOffer.objects.filter(pk=mine.pk), OfferStatus.EXPIRED)
                back_to_waiting([mine.entry_id])
            return ClaimOutcome(offer=offer, refusal=refusal, already=mine.status == OfferStatus.CLAIMED)
        entry = offer.entry
        try:
            if entry.appointment_id:
                appointment = booking.appointment_reschedule(
                    appointment=entry.appointment, start=offer.start, practitioner=offer.practitioner
                )
            else:
                appointment = booking.appointment_book(
                    patient=entry.patient,
                    therapy_type=entry.therapy_type,
                    practitioner=offer.practitioner,
                    start=offer.start,
                    location=entry.location,
                    product=entry.product,
                )
        except DomainError as exc:
            logger.info("waitlist offer %s could not be booked: %s", offer.pk, exc.detail)
            close_offers(WaitlistOffer.objects.filter(pk=mine.pk), OfferStatus.TAKEN)
            back_to_waiting([mine.entry_id])
            offer.status = OfferStatus.TAKEN
            return ClaimOutcome(offer=offer, refusal=GONE)
        now = timezone.now()
        WaitlistOffer.objects.filter(pk=mine.pk).update(
            status=OfferStatus.CLAIMED, appointment=appointment, answered_at=now, updated_at=now
        )
        others = WaitlistOffer.objects.filter(
            pk__in=[s.pk for s in siblings if s.pk != mine.pk], status=OfferStatus.SENT
        )
        other_entries = list(others.values_list("entry_id", flat=True))
        close_offers(others, OfferStatus.TAKEN)
        back_to_waiting(other_entries)
        WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistStatus.BOOKED, updated_at=now)
        offer.status, offer.appointment = OfferStatus.CLAIMED, appointment
    return ClaimOutcome(offer=offer, appointment=appointment)


def offer_keep_on_list_by_link(*, token: str) -> WaitlistEntry:
    """The "keep me on the list" answer of a patient whose offer ended: see waitlist_entry_keep."""
    return waitlist_entry_keep(entry=offer_from_link(token=token).entry)


def offer_leave_list_by_link(*, token: str) -> WaitlistEntry:
    """The "take me off the list" answer: the entry is removed (kept as history)."""
    return waitlist_entry_remove(entry=offer_from_link(token=token).entry)
