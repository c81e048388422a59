"""Freed time matched to the waitlist: the first eligible open entries, in the order they joined, get offers
for a slot (CLINIC_WAITLIST_PARALLEL_OFFERS at once); freed time is matched once per FreedTime row."""

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Subquery
from django.utils import timezone

from clinic.celery import enqueue_on_commit
from patients.models import PatientCondition
from scheduling.availability import free_starts_by_therapy
from scheduling.choices import (
    ACTIVE_APPOINTMENT_STATUSES,
    AppointmentStatus,
    OfferStatus,
    WaitlistStatus,
)
from scheduling.models import (
    Appointment,
    FreedTime,
    Location,
    Practitioner,
    WaitlistEntry,
    WaitlistOffer,
)
from treatments.models import TherapyType
from treatments.screening import plan_screen, screen
from waitlist.entries import SEND_OFFER_TASK

logger = logging.getLogger(__name__)

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


def _eligible(entry_id: int) -> bool:
    """The booking's own screening rule: a plan session by its plan, otherwise any finding refuses."""
    entry = WaitlistEntry.objects.select_related(
        "patient", "therapy_type", "product", "appointment__session__plan__product"
    ).get(pk=entry_id)
    session = entry.appointment.session if entry.appointment_id and entry.appointment.session_id else None
    if session is not None:
        return not plan_screen(session.plan).blocking
    result = screen(entry.patient, entry.therapy_type, entry.product)
    return not (result.blocking or result.warnings)


def _next_eligible(*, entries, wanted: int) -> list:
    """The first `wanted` rows of `entries` (join order) that can take the start: read a slice at a time, the
    screening service asked only about entries a rule may block."""
    chosen = []
    offset = 0
    while len(chosen) < wanted:
        rows = list(entries[offset : offset + MATCH_CHUNK])
        for row in rows:
            if row.offered_before or row.busy or (row.maybe_blocked and not _eligible(row.pk)):
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
    chosen = _next_eligible(entries=entries, wanted=wanted)
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
