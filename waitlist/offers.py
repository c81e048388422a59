"""Offer emails from an outbox (claimed by one worker, deterministic Message-ID, the slot re-checked just before
sending) and the minute sweep that expires entries and offers and passes expired slots on."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clinic.clock import local_date
from clinic.outbox import outbox_claim
from messaging.calendar import mail_domain
from messaging.emails import local_time_text
from scheduling.availability import find_free_slots
from scheduling.choices import (
    OPEN_WAITLIST_STATUSES,
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
        body=render_to_string("scheduling/email/waitlist_offer.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[entry.patient.email],
        headers={"Message-ID": offer_message_id(offer)},
    )
    message.attach_alternative(render_to_string("scheduling/email/waitlist_offer.html", context), "text/html")
    return message


def _claimable(now: datetime) -> Q:
    stale = now - timedelta(seconds=settings.CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS)
    pending = Q(delivery=OfferDelivery.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    return Q(status=OfferStatus.SENT) & (pending | Q(delivery=OfferDelivery.SENDING, claimed_at__lte=stale))


def _claim(*, now: datetime, limit: int, offer_id: int | None = None) -> list[WaitlistOffer]:
    rows = WaitlistOffer.objects.select_related(
        "entry__patient", "entry__therapy_type", "entry__location", "practitioner"
    ).order_by("created_at", "id")
    return outbox_claim(
        rows,
        claimable=_claimable(now),
        limit=limit,
        mark={"delivery": OfferDelivery.SENDING, "claimed_at": now, "updated_at": now},
        pk=offer_id,
    )


def _finish(offer: WaitlistOffer, **fields) -> int:
    """Record the outcome, unless another worker reclaimed the row or a claim ended the offer meanwhile."""
    return WaitlistOffer.objects.filter(
        pk=offer.pk, delivery=OfferDelivery.SENDING, claimed_at=offer.claimed_at
    ).update(updated_at=timezone.now(), **fields)


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


def _end_unsent(offer: WaitlistOffer, status: str, reason: str) -> None:
    with transaction.atomic():
        if _finish(offer, delivery=OfferDelivery.CANCELLED, status=status, last_error=reason):
            back_to_waiting([offer.entry_id])


def _deliver(offers: list[WaitlistOffer], *, now: datetime) -> int:
    sent = 0
    mail = get_connection()
    minutes = timedelta(minutes=settings.CLINIC_WAITLIST_OFFER_MINUTES)
    try:
        for offer in offers:
            if _slot_taken(offer):
                _end_unsent(offer, OfferStatus.TAKEN, "the slot was taken before the offer went out")
                continue
            expires_at = timezone.now() + minutes
            attempts = offer.attempts + 1
            try:
                mail.open()
                mail.send_messages([offer_message(offer, expires_at=expires_at)])
            except Exception as exc:  # SMTP refusals, network errors, timeouts: try again later
                mail.close()
                failed = attempts >= settings.CLINIC_REMINDER_MAX_ATTEMPTS
                with transaction.atomic():
                    done = _finish(
                        offer,
                        delivery=OfferDelivery.FAILED if failed else OfferDelivery.PENDING,
                        status=OfferStatus.EXPIRED if failed else OfferStatus.SENT,
                        attempts=attempts,
                        next_attempt_at=None
                        if failed
                        else now + timedelta(seconds=settings.CLINIC_REMINDER_RETRY_BASE_SECONDS * 2 ** (attempts - 1)),
                        last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    )
                    if done and failed:
                        back_to_waiting([offer.entry_id])
                logger.warning("waitlist offer %s attempt %s failed: %s", offer.pk, attempts, exc)
                continue
            _finish(
                offer,
                delivery=OfferDelivery.DELIVERED,
                attempts=F("attempts") + 1,
                sent_at=timezone.now(),
                expires_at=expires_at,
            )
            sent += 1
    finally:
        mail.close()
    return sent


def offers_dispatch_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Claim up to `limit` offer emails due and send them; returns how many were claimed. Each ends delivered
    (and then expires CLINIC_WAITLIST_OFFER_MINUTES later), cancelled (the slot went first), pending again with a
    later attempt, or failed (the offer expires and the slot passes on)."""
    now = now or timezone.now()
    offers = _claim(now=now, limit=limit)
    if offers:
        _deliver(offers, now=now)
    return len(offers)


def offer_send(*, offer_id: int) -> bool:
    """Send one offer email if it is due and nobody else holds it; True when this call sent it."""
    offers = _claim(now=timezone.now(), limit=1, offer_id=offer_id)
    return bool(offers) and _deliver(offers, now=timezone.now()) == 1


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
            counts["entries_expired"] += gone.update(status=WaitlistStatus.EXPIRED, updated_at=now)
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
