"""The waitlist: entries, freed time matched to them, offers emailed from an outbox, and the claim of an offer.

Offer policy: a freed slot goes to open entries in the order they joined (first come, first served), to the first
CLINIC_WAITLIST_PARALLEL_OFFERS eligible ones at once; each offer is valid CLINIC_WAITLIST_OFFER_MINUTES from the
moment its email leaves. The first claim books through scheduling.booking; the other offers of the slot become
`taken`. An offer that expires passes the slot on to the next entries (the minute sweep). An entry holds at most one
open offer, and never gets the same slot twice (a unique constraint).

Nothing lost, nothing twice: freed time is a FreedTime row written with the change that freed it; offers are rows
whose email is claimed by one worker (skip-locked rows on PostgreSQL, a conditional UPDATE on SQLite) and carries
a deterministic Message-ID; a row left `sending` by a dead worker is claimed again after
CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS. Whether the slot is still free is checked again just before sending.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clinic.celery import enqueue_on_commit
from clinic.clock import clinic_today, local_date
from clinic.exceptions import Contraindicated, DomainError, DomainValidationError, InvalidTransition
from clinic.outbox import outbox_claim
from clinic.transitions import transition_check
from patients.models import Patient, PatientCondition
from scheduling import booking
from scheduling.availability import find_free_slots, free_starts_by_therapy
from scheduling.calendar import mail_domain
from scheduling.choices import (
    ACTIVE_APPOINTMENT_STATUSES,
    OPEN_WAITLIST_STATUSES,
    AppointmentStatus,
    OfferDelivery,
    OfferStatus,
    WaitlistStatus,
)
from scheduling.emails import local_time_text
from scheduling.links import link_refused, signed_link_payload
from scheduling.models import (
    Appointment,
    FreedTime,
    Location,
    Practitioner,
    WaitlistEntry,
    WaitlistOffer,
)
from treatments.models import Product, TherapyType
from treatments.screening import visit_screen

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
    if appointment is None and (problems := booking.product_problems(therapy_type=therapy_type, product=product)):
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


def _open_offers(entry_ids) -> "QuerySet[WaitlistOffer]":  # noqa: F821 - a type name only
    return WaitlistOffer.objects.filter(entry_id__in=entry_ids, status=OfferStatus.SENT)


def _close_offers(offers, status: str) -> None:
    """End open offers (taken or expired); an email not sent yet is not sent at all."""
    now = timezone.now()
    offers.filter(delivery__in=(OfferDelivery.PENDING, OfferDelivery.FAILED)).update(
        delivery=OfferDelivery.CANCELLED, updated_at=now
    )
    offers.update(status=status, updated_at=now)


def _back_to_waiting(entry_ids) -> None:
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
        _close_offers(_open_offers([entry.pk]), OfferStatus.EXPIRED)
        entry.status = WaitlistStatus.REMOVED
        entry.save(update_fields=["status", "updated_at"])
    return entry


def waitlist_entry_keep(*, entry: WaitlistEntry) -> WaitlistEntry:
    """The patient's "keep me on the list": an entry whose offer is over waits for the next slot; an entry that
    is booked, removed or past its last day stays so (InvalidTransition)."""
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status == WaitlistStatus.OFFERED:
            _back_to_waiting([entry.pk])
            entry.refresh_from_db()
        if entry.status != WaitlistStatus.WAITING and entry.status != WaitlistStatus.OFFERED:
            raise InvalidTransition(
                f"This waiting list place is {entry.get_status_display().lower()}: please call the clinic."
            )
    return entry


# --- matching freed time ---------------------------------------------------------------------------------------

# Entries read per round trip while looking for the next eligible ones: most pass, so one round trip usually does.
MATCH_CHUNK = 25


def _entries_in_join_order(
    *, location: Location, practitioner: Practitioner, therapy_ids, start: datetime, end: datetime, margin: timedelta
):
    """Open entries that could take a start [start, end) of the practitioner, in the order they joined.

    Each row is tested by itself (therapy, location, status, the local day inside the entry's dates, weekday,
    practitioner, an email to write to, and for a "something earlier" entry an appointment still booked later
    than the slot), so the database walks waitlist_queue_idx in join order and stops at the slice asked for. What
    needs other tables is only annotated, i.e. asked of the rows returned, not of every open entry:
    `offered_before` (this start), `busy` (an active appointment of the patient near the slot, buffers included,
    conservatively) and `maybe_blocked` (an active condition a rule ties to the therapy or to a product source:
    only those need the screening service's verdict).
    """
    local = start.astimezone(location.zone)
    busy = Appointment.objects.overlapping(start - margin, end + margin).filter(
        patient=OuterRef("patient"), status__in=ACTIVE_APPOINTMENT_STATUSES
    )
    # A rule on the entry's therapy, or on a product source (whichever product the visit or its plan uses): the
    # screening service decides; this only spares it the entries no rule can touch.
    maybe_blocked = PatientCondition.objects.filter(patient=OuterRef("patient"), active=True).filter(
        Q(condition__contraindications__therapy_type=OuterRef("therapy_type"))
        | Q(condition__contraindications__therapy_type__isnull=True)
    )
    return (
        WaitlistEntry.objects.filter(
            location=location,
            status=WaitlistStatus.WAITING,
            therapy_type_id__in=therapy_ids,
            earliest__lte=local.date(),
            latest__gte=local.date(),
        )
        .filter(Q(practitioner__isnull=True) | Q(practitioner=practitioner))
        .annotate(day_bit=F("weekday_mask").bitand(1 << local.weekday()))
        .filter(Q(weekday_mask=0) | Q(day_bit__gt=0))
        .filter(
            Q(appointment__isnull=True) | Q(appointment__status=AppointmentStatus.BOOKED, appointment__start__gt=start)
        )
        .exclude(patient__email="")
        .annotate(
            offered_before=Exists(
                WaitlistOffer.objects.filter(entry=OuterRef("pk"), practitioner=practitioner, start=start)
            ),
            busy=Exists(busy),
            maybe_blocked=Exists(maybe_blocked),
        )
        .order_by("joined_at", "id")
        .values_list("pk", "therapy_type_id", "offered_before", "busy", "maybe_blocked", named=True)
    )


def _eligible(entry_id: int, *, day: date) -> bool:
    """The booking's own screening (treatments.screening.visit_screen) on the slot's local date `day`: a visit the
    entry moves keeps its plan's or its own override; a new visit has none."""
    entry = WaitlistEntry.objects.select_related(
        "patient", "therapy_type", "product", "appointment__product", "appointment__plan__product"
    ).get(pk=entry_id)
    moving = entry.appointment
    result = visit_screen(
        patient=entry.patient,
        therapy_type=entry.therapy_type,
        product=moving.product if moving is not None else entry.product,
        plan=moving.plan if moving is not None else None,
        overridden=moving.overridden_findings if moving is not None else None,
        on=day,
    )
    return not result.blocking


def _next_eligible(*, entries, wanted: int, day: date) -> list:
    """The first `wanted` rows of `entries` (join order) that can take the start on its local date `day`: read a
    slice at a time, the screening service asked only about entries a rule may block."""
    chosen = []
    offset = 0
    while len(chosen) < wanted:
        rows = list(entries[offset : offset + MATCH_CHUNK])
        for row in rows:
            if row.offered_before or row.busy or (row.maybe_blocked and not _eligible(row.pk, day=day)):
                continue
            chosen.append(row)
            if len(chosen) == wanted:
                break
        if len(rows) < MATCH_CHUNK:
            break
        offset += MATCH_CHUNK
    return chosen


def _free_starts(
    *, practitioner: Practitioner, location: Location, therapies: list[TherapyType], start: datetime, end: datetime
) -> dict[datetime, list[TherapyType]]:
    """The free starts in [start, end) of the practitioner at the location, with the therapies that fit each."""
    by_id = {therapy.pk: therapy for therapy in therapies}
    starts: dict[datetime, list[TherapyType]] = {}
    for therapy_id, slots in free_starts_by_therapy(
        therapy_types=therapies, location=location, practitioner=practitioner, start=start, end=end
    ).items():
        for slot in slots:
            starts.setdefault(slot.start, []).append(by_id[therapy_id])
    return dict(sorted(starts.items()))


def _offer_slot(
    *, practitioner: Practitioner, location: Location, start: datetime, therapies: list[TherapyType]
) -> tuple[list[WaitlistOffer], bool]:
    """Offer one free start to the next eligible entries, up to CLINIC_WAITLIST_PARALLEL_OFFERS open at once.
    Returns the offers made and whether the start is now held by open offers (new or earlier ones)."""
    offered = WaitlistOffer.objects.filter(practitioner=practitioner, start=start).aggregate(
        open=Count("pk", filter=Q(status=OfferStatus.SENT)), claimed=Count("pk", filter=Q(status=OfferStatus.CLAIMED))
    )
    wanted = settings.CLINIC_WAITLIST_PARALLEL_OFFERS - offered["open"]
    if wanted <= 0 or offered["claimed"]:
        return [], True
    length = {therapy.pk: therapy.session_minutes for therapy in therapies}
    entries = _entries_in_join_order(
        location=location,
        practitioner=practitioner,
        therapy_ids=list(length),
        start=start,
        end=start + timedelta(minutes=max(length.values())),
        margin=timedelta(minutes=therapies[0].largest_buffer or 0),
    )
    chosen = _next_eligible(entries=entries, wanted=wanted, day=local_date(start, location.zone))
    if not chosen:
        return [], offered["open"] > 0
    offers = WaitlistOffer.objects.bulk_create(
        WaitlistOffer(
            entry_id=row.pk,
            practitioner=practitioner,
            start=start,
            end=start + timedelta(minutes=length[row.therapy_type_id]),
        )
        for row in chosen
    )
    WaitlistEntry.objects.filter(pk__in=[row.pk for row in chosen]).update(
        status=WaitlistStatus.OFFERED, updated_at=timezone.now()
    )
    for offer in offers:
        enqueue_on_commit(SEND_OFFER_TASK, offer.pk)
    return offers, True


def waitlist_offer_time(
    *, practitioner: Practitioner, location: Location, start: datetime, end: datetime
) -> list[WaitlistOffer]:
    """Offer the free starts within [start, end) of the practitioner at the location to the waitlist; returns the
    offers made. Call inside a transaction.

    Guarantees: each chosen start is free (the availability rule) for the therapy of every entry it is offered
    to; starts are chosen earliest first without overlapping each other; each goes to the first open entries
    (join order) that match its day, weekday and practitioner, are eligible and have no appointment in the way,
    at most CLINIC_WAITLIST_PARALLEL_OFFERS open offers per start; an entry never gets the same start twice.
    """
    zone = location.zone
    first_day, last_day = start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()
    wanted_here = (
        WaitlistEntry.objects.filter(
            location=location, status=WaitlistStatus.WAITING, earliest__lte=last_day, latest__gte=first_day
        )
        .filter(Q(practitioner__isnull=True) | Q(practitioner=practitioner))
        .order_by()
    )
    # Per therapy the practitioner gives, is anyone waiting here for these days? Asked in the select list, so it
    # is one index probe per therapy rather than a semi-join that reads every open entry.
    # The largest buffer of any therapy bounds how near the slot a patient's other appointment can be in the way.
    largest_buffer = TherapyType.objects.order_by("-buffer_minutes").values("buffer_minutes")[:1]
    given = practitioner.therapy_types.annotate(
        wanted=Exists(wanted_here.filter(therapy_type=OuterRef("pk"))), largest_buffer=Subquery(largest_buffer)
    )
    therapies = [therapy for therapy in given.order_by("id") if therapy.wanted] if practitioner.active else []
    if not therapies:
        return []
    if last_day > first_day:  # a long stretch (time off removed, hours widened): only the days someone wants
        days = wanted_here.filter(therapy_type__in=therapies).aggregate(first=Min("earliest"), last=Max("latest"))
        start = max(start, datetime.combine(days["first"], time.min, tzinfo=zone))
        end = min(end, datetime.combine(days["last"] + timedelta(days=1), time.min, tzinfo=zone))
        if end <= start:
            return []
    offers: list[WaitlistOffer] = []
    free_from = start
    for slot_start, fitting in _free_starts(
        practitioner=practitioner, location=location, therapies=therapies, start=start, end=end
    ).items():
        if slot_start < free_from:
            continue
        made, held = _offer_slot(practitioner=practitioner, location=location, start=slot_start, therapies=fitting)
        if held:
            free_from = slot_start + timedelta(minutes=max(therapy.session_minutes for therapy in fitting))
        offers += made
    return offers


def freed_time_match(*, freed_id: int) -> int:
    """Match one FreedTime row against the waitlist, once: the row is locked (skipped if another worker holds it)
    and marked matched in the same transaction as the offers it made. Returns how many offers were made."""
    with transaction.atomic():
        rows = FreedTime.objects.filter(pk=freed_id, matched_at__isnull=True).select_related("practitioner", "location")
        if connection.vendor == "postgresql":
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        freed = rows.first()
        if freed is None:
            return 0
        if connection.vendor != "postgresql" and not FreedTime.objects.filter(
            pk=freed.pk, matched_at__isnull=True
        ).update(matched_at=timezone.now()):
            return 0
        offers = (
            waitlist_offer_time(
                practitioner=freed.practitioner,
                location=freed.location,
                start=max(freed.start, timezone.now()),
                end=freed.end,
            )
            if freed.end > timezone.now()
            else []
        )
        FreedTime.objects.filter(pk=freed.pk).update(matched_at=timezone.now())
    return len(offers)


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
            _back_to_waiting([offer.entry_id])


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
                        _back_to_waiting([offer.entry_id])
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
            _close_offers(_open_offers(ids), OfferStatus.EXPIRED)
            counts["entries_expired"] += gone.update(status=WaitlistStatus.EXPIRED, updated_at=now)
    late = WaitlistOffer.objects.filter(status=OfferStatus.SENT).filter(
        Q(expires_at__lt=now) | Q(start__lt=now + timedelta(minutes=settings.CLINIC_MIN_NOTICE_MINUTES))
    )
    with transaction.atomic():
        expired = list(late.select_for_update(**_skip_locked()).values_list("pk", "entry_id"))
        expired_ids = [pk for pk, _ in expired]
        _close_offers(WaitlistOffer.objects.filter(pk__in=expired_ids, status=OfferStatus.SENT), OfferStatus.EXPIRED)
        _back_to_waiting([entry_id for _, entry_id in expired])
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


# --- claiming an offer -----------------------------------------------------------------------------------------


@dataclass
class ClaimOutcome:
    """What a claim did: `appointment` when it booked, else `refusal`, a sentence for the patient."""

    offer: WaitlistOffer
    appointment: Appointment | None = None
    refusal: str | None = None
    already: bool = False


GONE = "Sorry, this slot has already been taken. Nothing was booked."
# A claim screening refused: the patient reads neutral words (never the finding) and the clinic calls.
NOT_ONLINE = (
    "We could not book this appointment online. Nothing was booked: the clinic will contact you about your appointment."
)
CLAIM_ATTENTION = "The patient's claim of a waitlist offer needs a practitioner's review: call the patient."
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
    at once exactly one books (through scheduling.booking: the usual checks, confirmation and reminders); the
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
                _close_offers(WaitlistOffer.objects.filter(pk=mine.pk), OfferStatus.EXPIRED)
                _back_to_waiting([mine.entry_id])
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
        except Contraindicated:
            return _claim_refused_by_screening(offer, mine)
        except DomainError as exc:
            logger.info("waitlist offer %s could not be booked: %s", offer.pk, exc.detail)
            _close_offers(WaitlistOffer.objects.filter(pk=mine.pk), OfferStatus.TAKEN)
            _back_to_waiting([mine.entry_id])
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
        _close_offers(others, OfferStatus.TAKEN)
        _back_to_waiting(other_entries)
        WaitlistEntry.objects.filter(pk=entry.pk).update(
            status=WaitlistStatus.BOOKED, needs_attention=False, attention_reason="", updated_at=now
        )
        offer.status, offer.appointment = OfferStatus.CLAIMED, appointment
    return ClaimOutcome(offer=offer, appointment=appointment)


def _claim_refused_by_screening(offer: WaitlistOffer, mine: WaitlistOffer) -> ClaimOutcome:
    """Screening refused the claim on the slot's day: nothing is booked, the offer ends (`expired`, not `taken`:
    the slot is still free and passes to the next entries), the entry waits again on the attention list and the
    patient is told in neutral words. Inside the claim's transaction."""
    logger.info("waitlist offer %s: screening refused the claim", offer.pk)
    _close_offers(WaitlistOffer.objects.filter(pk=mine.pk), OfferStatus.EXPIRED)
    _back_to_waiting([mine.entry_id])
    WaitlistEntry.objects.filter(pk=mine.entry_id).update(
        needs_attention=True, attention_reason=CLAIM_ATTENTION, updated_at=timezone.now()
    )
    entry = offer.entry
    waitlist_offer_time(
        practitioner=offer.practitioner,
        location=entry.location,
        start=offer.start,
        end=offer.start + timedelta(minutes=1),
    )
    offer.status = OfferStatus.EXPIRED
    return ClaimOutcome(offer=offer, refusal=NOT_ONLINE)


def offer_keep_on_list_by_link(*, token: str) -> WaitlistEntry:
    """The "keep me on the list" answer of a patient whose offer ended: see waitlist_entry_keep."""
    return waitlist_entry_keep(entry=offer_from_link(token=token).entry)


def offer_leave_list_by_link(*, token: str) -> WaitlistEntry:
    """The "take me off the list" answer: the entry is removed (kept as history)."""
    return waitlist_entry_remove(entry=offer_from_link(token=token).entry)
