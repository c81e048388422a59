"""A visitor's booking request: checked, its slot held, its email link sent; expired when the link is not used.

Nothing here reads the patient list: the answer, the email and the work done are the same whether or not the
address belongs to a patient (the patient is matched only when the link is used: portal.online.confirming).
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clinic.celery import enqueue_on_commit
from clinic.exceptions import DomainError, DomainValidationError, ErrorCode
from clinic.phones import phone_in_e164, region_of_time_zone
from clinic.transitions import transition_check
from messaging.calendar import mail_domain
from messaging.emails import local_time_text
from portal.online.choices import BOOKING_REQUEST_TRANSITIONS, BookingRequestStatus
from portal.online.models import BookingRequest
from portal.online.selectors import bookable_window, clinic_name, online_settings, questions_for
from scheduling.choices import SlotHoldStatus
from scheduling.models import Location, Practitioner
from scheduling.slot_holds import slot_hold_end, slot_hold_place
from treatments.models import Product, TherapyType

MAX_PENDING_PER_EMAIL = 2
MAX_NOTE_CHARS = 2000
MAX_NAME_CHARS = 100
SEND_TASK = "portal.tasks.send_booking_request_email"


class TooManyRequests(DomainError):
    """429 throttled: too many requests from one address or for one email; `wait` seconds until the next."""

    code = ErrorCode.THROTTLED
    status_code = 429
    default_detail = "Too many requests. Please try again later."

    def __init__(self, detail: str | None = None, *, wait: int = 3600):
        super().__init__(detail)
        self.wait = wait


def _rate(rate: str) -> tuple[int, int]:
    count, _, period = rate.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[:1]]
    return int(count), seconds


def rate_spend(*, scope: str, ident: str | None) -> None:
    """Count one request of `ident` (an address, an email) against REST_FRAMEWORK's rate for `scope`, atomically in
    the shared cache (a fixed window); TooManyRequests once the rate is spent. A cache that cannot be reached lets
    the request through, as the other throttles do."""
    limit, seconds = _rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope])
    window = int(timezone.now().timestamp()) // seconds
    # A request without a client address (no REMOTE_ADDR) counts as one unknown client.
    key = f"public-rate:{scope}:{hashlib.sha256((ident or '').encode()).hexdigest()[:32]}:{window}"
    try:
        cache.add(key, 0, timeout=seconds + 5)
        spent = cache.incr(key)
    except Exception:  # a cache outage must not refuse a patient (logged by the cache client)
        return
    if spent > limit:
        raise TooManyRequests(wait=seconds - int(timezone.now().timestamp()) % seconds)


@dataclass(frozen=True)
class RequestDetails:
    """What a visitor fills in; `answers` maps each question's code to yes (True) or no (False)."""

    therapy_type: TherapyType
    location: Location
    start: datetime
    first_name: str
    last_name: str
    email: str
    phone: str
    date_of_birth: date
    answers: dict[str, bool] = field(default_factory=dict)
    practitioner: Practitioner | None = None
    product: Product | None = None
    note: str = ""


def phone_for(text: str, location: Location) -> str | None:
    """The phone number in E.164, national forms read in the location's country; None when it is not one."""
    if not text or len(text) > 32:
        return None
    return phone_in_e164(text, region_of_time_zone(location.time_zone))


def request_problems(details: RequestDetails, *, now: datetime | None = None) -> dict[str, list[str]]:
    """Every field a visitor must correct, by field name (empty when the request may be made): the therapy,
    location and product open to online booking, the start inside the online window, a real date of birth and an
    answer to every health question of the therapy (and product), no unknown question."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if not details.therapy_type.online_booking:
        errors["therapy_type"] = ["This treatment cannot be booked online."]
    if not details.location.online_booking:
        errors["location"] = ["This location does not take online bookings."]
    product = details.product
    if product is not None and (product.therapy_type_id != details.therapy_type.pk or not product.active):
        errors["product"] = [f"Choose a product for {details.therapy_type.name}."]
    elif product is None and details.therapy_type.requires_product:
        errors["product"] = [f"{details.therapy_type.name} needs a product: choose one."]
    earliest, latest = bookable_window(now=now)
    if details.start < earliest:
        errors["start"] = [f"Choose a time at least {online_settings().min_notice_hours} hours from now."]
    elif details.start > latest:
        errors["start"] = [f"Online bookings can be made at most {online_settings().horizon_days} days ahead."]
    if not date(1900, 1, 1) <= details.date_of_birth <= timezone.localdate(now):
        errors["date_of_birth"] = ["Give your real date of birth."]
    for name in ("first_name", "last_name"):
        if not getattr(details, name).strip() or len(getattr(details, name)) > MAX_NAME_CHARS:
            errors[name] = [f"Give your {name.replace('_', ' ')} (at most {MAX_NAME_CHARS} characters)."]
    try:
        validate_email(details.email.strip())
    except ValidationError:
        errors["email"] = ["Give an email address we can send the confirmation link to."]
    if phone_for(details.phone, details.location) is None:
        errors["phone"] = ["Give a phone number we can call, e.g. 07700 900123."]
    if "product" not in errors:
        codes = {question.code for question in questions_for(therapy_type=details.therapy_type, product=product)}
        unknown = sorted(set(details.answers) - codes)
        missing = sorted(codes - set(details.answers))
        if unknown:
            errors["answers"] = [f"Unknown question: {code}." for code in unknown]
        elif missing:
            errors["answers"] = ["Answer every health question (yes or no)."]
        else:
            bad = [code for code, value in details.answers.items() if not isinstance(value, bool)]
            if bad:
                errors["answers"] = ["Answer each question with yes or no."]
    if len(details.note) > MAX_NOTE_CHARS:
        errors["note"] = [f"At most {MAX_NOTE_CHARS} characters."]
    return errors


def booking_request_make(*, details: RequestDetails) -> BookingRequest:
    """Make a booking request and hold its slot for CLINIC_ONLINE_HOLD_MINUTES.

    Guarantees, in one transaction: every field is valid (DomainValidationError naming the fields); the email
    spends its rate (TooManyRequests) and has fewer than MAX_PENDING_PER_EMAIL requests still pending (429); the
    slot is held (scheduling.slot_holds: nobody else is offered it) or SlotUnavailable and nothing is written;
    after commit the email with the confirmation link is queued. The patient list is not read at all.
    """
    errors = request_problems(details)
    if errors:
        raise DomainValidationError(errors=errors)
    email_key = details.email.strip().lower()
    rate_spend(scope="public_email", ident=email_key)
    now = timezone.now()
    with transaction.atomic():
        pending = BookingRequest.objects.filter(
            email_key=email_key, status=BookingRequestStatus.PENDING, expires_at__gt=now
        ).count()
        if pending >= MAX_PENDING_PER_EMAIL:
            raise TooManyRequests(
                f"There are already {MAX_PENDING_PER_EMAIL} requests waiting for confirmation from this email "
                "address. Use the links we sent, or wait until they expire.",
                wait=settings.CLINIC_ONLINE_HOLD_MINUTES * 60,
            )
        hold = slot_hold_place(
            therapy_type=details.therapy_type,
            location=details.location,
            start=details.start,
            practitioner=details.practitioner,
            minutes=settings.CLINIC_ONLINE_HOLD_MINUTES,
        )
        request = BookingRequest.objects.create(
            therapy_type=details.therapy_type,
            product=details.product,
            location=details.location,
            practitioner_id=hold.practitioner_id,
            start=hold.start,
            end=hold.end,
            slot_hold=hold,
            expires_at=hold.expires_at,
            first_name=details.first_name.strip(),
            last_name=details.last_name.strip(),
            email=details.email.strip(),
            email_key=email_key,
            phone=phone_for(details.phone, details.location),
            date_of_birth=details.date_of_birth,
            answers=details.answers,
            note=details.note.strip(),
        )
        enqueue_on_commit(SEND_TASK, request.pk)
    return request


# --- the email with the link ------------------------------------------------------------------------------------


def request_url(request: BookingRequest) -> str:
    return settings.CLINIC_PUBLIC_URL + reverse("online-request", kwargs={"secret": request.secret})


def request_message(request: BookingRequest) -> EmailMultiAlternatives:
    """The one email every request gets, known address or not: what was asked for and the link that books it."""
    context = {
        "request": request,
        "clinic_name": clinic_name(),
        "when": local_time_text(request.start, request.location),
        "until": local_time_text(request.expires_at, request.location),
        "minutes": settings.CLINIC_ONLINE_HOLD_MINUTES,
        "url": request_url(request),
    }
    message = EmailMultiAlternatives(
        subject=f"Confirm your {request.therapy_type.name} booking request",
        body=render_to_string("portal/online/email/request.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[request.email],
        headers={"Message-ID": f"<booking-request-{request.pk}@{mail_domain()}>"},
    )
    message.attach_alternative(render_to_string("portal/online/email/request.html", context), "text/html")
    return message


def booking_request_email_send(*, request_id: int) -> bool:
    """Send the request's link email once, while the request is pending; True when sent now. A failed send is left
    for the sweep (booking_requests_sweep) to try again while the request lasts."""
    with transaction.atomic():
        request = (
            BookingRequest.objects.select_for_update(of=("self",))
            .select_related("therapy_type", "location")
            .filter(pk=request_id, email_sent_at__isnull=True, status=BookingRequestStatus.PENDING)
            .first()
        )
        if request is None or request.expires_at <= timezone.now():
            return False
        request_message(request).send()
        request.email_sent_at = timezone.now()
        request.save(update_fields=["email_sent_at", "updated_at"])
    return True


# --- expiry -----------------------------------------------------------------------------------------------------


def booking_request_expire(*, request: BookingRequest) -> bool:
    """Expire a pending request whose time ran out (locked by the caller or here): the request is `expired`, its
    slot hold ends and the time is offered to the waitlist. False when it was not pending or not yet due."""
    with transaction.atomic():
        locked = BookingRequest.objects.select_for_update(of=("self",)).select_related("slot_hold").get(pk=request.pk)
        if locked.status != BookingRequestStatus.PENDING or locked.expires_at > timezone.now():
            return False
        transition_check(
            BOOKING_REQUEST_TRANSITIONS, current=locked.status, new=BookingRequestStatus.EXPIRED, what="request"
        )
        locked.status = BookingRequestStatus.EXPIRED
        locked.save(update_fields=["status", "updated_at"])
        slot_hold_end(hold=locked.slot_hold, status=SlotHoldStatus.EXPIRED)
    request.status = locked.status
    return True


def booking_requests_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Beat, every minute: expire the requests whose time ran out (their slots offered to the waitlist) and send
    any link email a broker outage kept back. Returns the counts."""
    now = now or timezone.now()
    expired = sum(
        booking_request_expire(request=request)
        for request in BookingRequest.objects.filter(status=BookingRequestStatus.PENDING, expires_at__lte=now)
    )
    unsent = BookingRequest.objects.filter(
        status=BookingRequestStatus.PENDING, email_sent_at__isnull=True, expires_at__gt=now
    ).values_list("pk", flat=True)
    sent = sum(booking_request_email_send(request_id=pk) for pk in unsent[:200])
    return {"expired": expired, "sent": sent}
