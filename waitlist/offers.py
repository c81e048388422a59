"""Offer emails from an outbox (claimed by one worker, deterministic Message-ID, the slot re-checked just before
sending) and the minute sweep that expires entries and offers and passes expired slots on."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clinic.clock import local_date
from clinic.outbox import Outbox, outbox_dispatch
from clinic.transitions import status_bulk_update
from messaging.calendar import mail_domain
from messaging.emails import local_time_text, mail_connection, send_email
from scheduling.availability import find_free_slots
from scheduling.choices import (
    OPEN_WAITLIST_STATUSES,
    WAITLIST_TRANSITIONS,
    OfferDelivery,
    OfferStatus,
    WaitlistStatus,
)
from scheduling.models import (
    FreedTime,
    Location,
    Practitioner,
    WaitlistEntry,
    WaitlistOffer,
)
from waitlist.entries import OFFER_SALT, back_to_waiting, close_offers, open_offers
from waitlist.matching import freed_time_match, waitlist_offer_time

logger = logging.getLogger(__name__)

# --- the offer email outbox ------------------------------------------------------------------------------------


def offer_token(offer: WaitlistOffer) -> str:
    return signing.dumps({"o": offer.pk, "do": "claim"}, salt=OFFER_SALT)


def offer_url(offer: WaitlistOffer) -> str:
    return settings.CLINIC_PUBLIC_URL + reverse("waitlist-offer", kwargs={"token": offer_token(offer)})


def offer_message_id(offer: WaitlistOffer) -> str:
    return f"<waitlist-offer-{offer.pk}@{mail_domain()}>"


def offer_message(offer: WaitlistOffer, *, expires_at: datetime) -> EmailMultiAlternatives:
    entry = offer.entry
    context = {
        "patient": entry.patient,
        "therapy": entry.therapy_type,
        "practitioner": offer.practitioner,
        "location": entry.location,
        "when": local_time_text(offer.start, entry.location),
        "until": local_time_text(expires_at, entry.location),
        "minutes": settings.CLINIC_WAITLIST_OFFER_MINUTES,
        "url": offer_url(offer),
        "earlier": entry.appointment_id is not None,
    }
    message = EmailMultiAlternatives(
        subject=f"A {entry.therapy_type.name} appointment is free on {context['when']}",
        body=render_to_string("messaging/email/waitlist_offer.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[entry.patient.email],
        headers={"Message-ID": offer_message_id(offer)},
    )
    message.attach_alternative(render_to_string("messaging/email/waitlist_offer.html", context), "text/html")
    return message


class OfferOutbox(Outbox):
    """Offer emails in the one outbox (clinic.outbox): the slot is checked again just before each email leaves; a
    failed email is retried with the reminders' back-off while the offer can still be useful, then the offer
    expires and the slot passes to the next entry."""

    model = WaitlistOffer
    name = "waitlist offer"
    field = "delivery"
    PENDING, SENDING, DONE, FAILED = (
        OfferDelivery.PENDING,
        OfferDelivery.SENDING,
        OfferDelivery.DELIVERED,
        OfferDelivery.FAILED,
    )
    task = "scheduling.tasks.send_waitlist_offer"

    def rows(self) -> QuerySet:
        return WaitlistOffer.objects.select_related(
            "entry__patient", "entry__therapy_type", "entry__location", "practitioner"
        ).order_by("created_at", "id")

    def eligible(self) -> Q:
        return Q(status=OfferStatus.SENT)  # a claim or the sweep may have ended the offer meanwhile

    def claim_seconds(self) -> float:
        return settings.CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS

    def retry_delay(self, attempts: int) -> timedelta:
        seconds = settings.CLINIC_REMINDER_RETRY_BASE_SECONDS * 2 ** min(attempts - 1, 32)
        return timedelta(seconds=min(seconds, settings.CLINIC_REMINDER_RETRY_MAX_SECONDS))

    def give_up_reason(self, row: WaitlistOffer, *, next_attempt_at: datetime) -> str | None:
        # An offer is a race for a freed slot: the next entry deserves its turn once this one is not reached
        # within an offer's own time, and nobody can take a slot closer than the minimum notice.
        if next_attempt_at > row.created_at + timedelta(minutes=settings.CLINIC_WAITLIST_OFFER_MINUTES):
            return "the patient was not reached within an offer's time; the slot passes to the next entry"
        if next_attempt_at > row.start - timedelta(minutes=settings.CLINIC_MIN_NOTICE_MINUTES):
            return "the slot is too close for another try; it passes to the next entry"
        return None

    def refusal(self, row: WaitlistOffer) -> tuple[dict, str] | None:
        if _slot_taken(row):
            fields = {"delivery": OfferDelivery.CANCELLED, "status": OfferStatus.TAKEN}
            return fields, "the slot was taken before the offer went out"
        return None

    def transport(self):
        return mail_connection()

    def send(self, row: WaitlistOffer, transport) -> dict:
        expires_at = timezone.now() + timedelta(minutes=settings.CLINIC_WAITLIST_OFFER_MINUTES)
        send_email(transport, offer_message(row, expires_at=expires_at))
        return {"expires_at": expires_at}  # stored with the success: the time the email states

    def failed_fields(self, row) -> dict:
        return {"status": OfferStatus.EXPIRED}

    def after(self, row: WaitlistOffer, *, outcome: str, fields: dict, now: datetime) -> None:
        if outcome == OfferDelivery.CANCELLED:
            back_to_waiting([row.entry_id])
        elif outcome == OfferDelivery.FAILED:
            back_to_waiting([row.entry_id])
            if row.start > timezone.now():
                waitlist_offer_time(
                    practitioner=row.practitioner,
                    location=row.entry.location,
                    start=row.start,
                    end=row.start + timedelta(minutes=1),
                )


def _slot_taken(offer: WaitlistOffer) -> bool:
    """Whether the offered start is no longer free for this entry (checked just before the email leaves)."""
    entry = offer.entry
    slots = find_free_slots(
        therapy_type=entry.therapy_type,
        location=entry.location,
        start=offer.start,
        end=offer.end,
        practitioner=offer.practitioner,
        limit=1,
    )
    return not slots or slots[0].start != offer.start


OFFERS = OfferOutbox()


def offers_dispatch_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Claim up to `limit` offer emails due and send them; returns how many were claimed. Each ends delivered
    (and then expires CLINIC_WAITLIST_OFFER_MINUTES later), cancelled (the slot went first), pending again with a
    later attempt and its last error, or failed when the sender gives up (the offer expires, the entry waits
    again and the slot is offered to the next entry)."""
    return outbox_dispatch(OFFERS, now=now, limit=limit).claimed


def offer_send(*, offer_id: int) -> bool:
    """Send one offer email if it is due and nobody else holds it; True when this call sent it."""
    return outbox_dispatch(OFFERS, limit=1, pk=offer_id).sent == 1


# --- the minute sweep ------------------------------------------------------------------------------------------


def waitlist_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Beat, every minute: entries past their last day expire; offers past their time expire and their slots pass
    to the next entries; freed time no task matched is matched; due offer emails are sent. Returns counts."""
    now = now or timezone.now()
    counts = {"entries_expired": 0, "offers_expired": 0, "offers_made": 0, "emails": 0}
    for location in Location.objects.filter(
        pk__in=WaitlistEntry.objects.filter(status__in=OPEN_WAITLIST_STATUSES).values("location")
    ):
        today = local_date(now, location.zone)
        with transaction.atomic():
            gone = WaitlistEntry.objects.filter(location=location, status__in=OPEN_WAITLIST_STATUSES, latest__lt=today)
            ids = list(gone.values_list("pk", flat=True))
            close_offers(open_offers(ids), OfferStatus.EXPIRED)
            counts["entries_expired"] += status_bulk_update(
                gone, table=WAITLIST_TRANSITIONS, new=WaitlistStatus.EXPIRED, updated_at=now
            )
    late = WaitlistOffer.objects.filter(status=OfferStatus.SENT).filter(
        Q(expires_at__lt=now) | Q(start__lt=now + timedelta(minutes=settings.CLINIC_MIN_NOTICE_MINUTES))
    )
    with transaction.atomic():
        expired = list(late.select_for_update(**_skip_locked()).values_list("pk", "entry_id"))
        expired_ids = [pk for pk, _ in expired]
        close_offers(WaitlistOffer.objects.filter(pk__in=expired_ids, status=OfferStatus.SENT), OfferStatus.EXPIRED)
        back_to_waiting([entry_id for _, entry_id in expired])
        counts["offers_expired"] = len(expired_ids)
    slots = (
        WaitlistOffer.objects.filter(pk__in=expired_ids, start__gt=now)
        .values_list("practitioner_id", "entry__location_id", "start")
        .distinct()
    )
    for practitioner_id, location_id, start in slots:
        with transaction.atomic():
            counts["offers_made"] += len(
                waitlist_offer_time(
                    practitioner=Practitioner.objects.get(pk=practitioner_id),
                    location=Location.objects.get(pk=location_id),
                    start=start,
                    end=start + timedelta(minutes=1),
                )
            )
    stale = now - timedelta(seconds=30)
    for freed_id in FreedTime.objects.filter(matched_at__isnull=True, created_at__lte=stale).values_list(
        "pk", flat=True
    )[:50]:
        counts["offers_made"] += freed_time_match(freed_id=freed_id)
    counts["emails"] = offers_dispatch_due(now=now)
    return counts


def _skip_locked() -> dict:
    return {"skip_locked": True} if connection.vendor == "postgresql" else {}
