"""The online booking pages (/book/): server-rendered, no JavaScript needed, built on the same services as the
public API. Choose a treatment and location, a day and a time, give your details and answers, review, request;
the emailed link's page books it.

Every page names the clinic and the time zone its times are in; bad input is a 400 page with the error next to
its field, never a 500.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import urlencode
from django.views import View

from clinic.api.fields import within_bounds
from clinic.clock import local_date
from clinic.exceptions import DomainError, DomainValidationError, SlotUnavailable
from messaging.emails import local_time_text
from portal.online import confirming, requests, selectors
from portal.online.api.views import PublicAddressThrottle
from portal.online.choices import BookingRequestStatus
from portal.online.forms import ChoiceForm, DetailsForm
from portal.online.requests import RequestDetails, TooManyRequests
from scheduling.models import Practitioner

STRIP_DAYS = 14
# Where the service's field names land on the details form; the others are shown above it.
FORM_FIELDS = {"first_name", "last_name", "email", "phone", "date_of_birth", "note"}


def _page(request, template: str, *, title: str, location=None, status: int = 200, **context):
    """Render a booking page: the clinic's name and the time zone of its times on every one."""
    zone = location.time_zone if location is not None else selectors.default_time_zone()
    base = {"title": title, "clinic_name": selectors.clinic_name(), "time_zone": zone}
    return render(request, template, {**base, "location": location, **context}, status=status)


def _client(request) -> str:
    """The client's address as the API's throttle reads it (the trusted-proxy setting decides)."""
    return PublicAddressThrottle().get_ident(request)


def _read_rate(request) -> None:
    requests.rate_spend(scope="public_read", ident=_client(request))


def _choice_query(choice: dict, **more) -> str:
    params = {"therapy_type": choice["therapy_type"].pk, "location": choice["location"].pk}
    if choice.get("product") is not None:
        params["product"] = choice["product"].pk
    params.update({key: value for key, value in more.items() if value is not None})
    return urlencode(params)


def _throttled(request, exc: TooManyRequests):
    response = _page(request, "portal/online/message.html", title="Please wait", message=exc.detail, status=429)
    response["Retry-After"] = str(int(exc.wait))
    return response


class ChooseView(View):
    """Step 1: treatment (and product) and location."""

    def get(self, request):
        try:
            _read_rate(request)
        except TooManyRequests as exc:
            return _throttled(request, exc)
        form = ChoiceForm(initial={"therapy_type": None})
        return _page(request, "portal/online/choose.html", title="Book a treatment", form=form)


class TimesView(View):
    """Step 2: a strip of days and the free times of the chosen day, each a link to the details form."""

    def get(self, request):
        try:
            _read_rate(request)
        except TooManyRequests as exc:
            return _throttled(request, exc)
        form = ChoiceForm(request.GET)
        if not form.is_valid():
            return _page(request, "portal/online/choose.html", title="Book a treatment", form=form, status=400)
        choice = form.cleaned_data
        location = choice["location"]
        earliest, latest = selectors.bookable_window()
        first_day, last_day = local_date(earliest, location.zone), local_date(latest, location.zone)
        day = _parsed(parse_date, request.GET.get("date") or "")
        if day is None or not first_day <= day <= last_day:
            day = first_day
        strip_start = first_day + timedelta(days=((day - first_day).days // STRIP_DAYS) * STRIP_DAYS)
        week = selectors.public_slots(
            therapy_type=choice["therapy_type"], location=location, day=strip_start, days=STRIP_DAYS
        )
        open_days = {local_date(slot.start, location.zone) for slot in week.slots}
        found = selectors.public_slots(therapy_type=choice["therapy_type"], location=location, day=day)
        strip = [
            {
                "day": strip_start + timedelta(days=offset),
                "query": _choice_query(choice, date=(strip_start + timedelta(days=offset)).isoformat()),
                # A search cut short still lists each day that has a time (offer_free_slots spreads over days).
                "open": (strip_start + timedelta(days=offset)) in open_days,
            }
            for offset in range(STRIP_DAYS)
            if strip_start + timedelta(days=offset) <= last_day
        ]
        # One link a time: the hold takes the first practitioner free then (a time is offered once, not once per
        # practitioner who could give it).
        times, seen = [], set()
        for slot in found.slots:
            if slot.start not in seen:
                seen.add(slot.start)
                times.append(
                    {
                        "label": f"{timezone.localtime(slot.start, location.zone):%H:%M}",
                        "query": _choice_query(choice, start=slot.start.isoformat()),
                    }
                )
        earlier = strip_start - timedelta(days=STRIP_DAYS)
        later = strip_start + timedelta(days=STRIP_DAYS)
        return _page(
            request,
            "portal/online/times.html",
            title="Choose a time",
            location=location,
            choice=choice,
            day=day,
            strip=strip,
            times=times,
            earlier=_choice_query(choice, date=earlier.isoformat()) if strip_start > first_day else None,
            later=_choice_query(choice, date=later.isoformat()) if later <= last_day else None,
            message=request.GET.get("taken") and "That time has just been taken. Please choose another.",
        )


def _parsed(parse, text: str):
    """A date or date-time from a query string; None for anything else (a 30th of February, a year 99999)."""
    try:
        value = parse(text) if len(text) <= 40 else None
    except ValueError:
        return None
    return value if value is not None and within_bounds(value) else None


def _slot_from(query) -> tuple[datetime | None, Practitioner | None]:
    start = _parsed(parse_datetime, query.get("start") or "")
    if start is None or timezone.is_naive(start):
        return None, None
    raw = query.get("practitioner") or ""
    practitioner = None
    if raw.isascii() and raw.isdigit() and len(raw) < 12:
        practitioner = Practitioner.objects.filter(pk=int(raw), active=True).first()
    return start, practitioner


class DetailsView(View):
    """Steps 3 to 5: details and health questions (GET), review (POST step=review), request (POST step=request)."""

    def _context(self, request, query):
        choice_form = ChoiceForm(query)
        if not choice_form.is_valid():
            return None
        choice = choice_form.cleaned_data
        start, practitioner = _slot_from(query)
        if start is None:
            return None
        questions = selectors.questions_for(therapy_type=choice["therapy_type"], product=choice.get("product"))
        return {
            "choice": choice,
            "start": start,
            "practitioner": practitioner,
            "questions": questions,
            "when": local_time_text(start, choice["location"]),
            "hidden": {
                "therapy_type": choice["therapy_type"].pk,
                "location": choice["location"].pk,
                "product": choice["product"].pk if choice.get("product") else "",
                "start": start.isoformat(),
                "practitioner": practitioner.pk if practitioner else "",
            },
            "back": _choice_query(choice, date=local_date(start, choice["location"].zone).isoformat()),
            "privacy_notice": selectors.online_settings().privacy_notice,
        }

    def _bad_choice(self, request):
        return _page(
            request,
            "portal/online/message.html",
            title="Choose a time first",
            message="This page needs a treatment, a location and a time. Please start again.",
            status=400,
            restart=True,
        )

    def _form_page(self, request, context, form, *, status=200, errors=None):
        return _page(
            request,
            "portal/online/details.html",
            title="Your details",
            location=context["choice"]["location"],
            status=status,
            form=form,
            general_errors=errors or [],
            **context,
        )

    def get(self, request):
        try:
            _read_rate(request)
        except TooManyRequests as exc:
            return _throttled(request, exc)
        context = self._context(request, request.GET)
        if context is None:
            return self._bad_choice(request)
        return self._form_page(request, context, DetailsForm(questions=context["questions"]))

    def post(self, request):
        context = self._context(request, request.POST)
        if context is None:
            return self._bad_choice(request)
        form = DetailsForm(request.POST, questions=context["questions"])
        if not form.is_valid():
            return self._form_page(request, context, form, status=400)
        if form.cleaned_data["website"]:
            return redirect("online-sent")
        details = RequestDetails(
            therapy_type=context["choice"]["therapy_type"],
            location=context["choice"]["location"],
            product=context["choice"].get("product"),
            start=context["start"],
            practitioner=context["practitioner"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            email=form.cleaned_data["email"],
            phone=form.cleaned_data["phone"],
            date_of_birth=form.cleaned_data["date_of_birth"],
            answers=form.answers(),
            note=form.cleaned_data["note"],
        )
        if request.POST.get("step") != "request":
            problems = requests.request_problems(details)
            if problems:
                return self._invalid(request, context, form, problems)
            return _page(
                request,
                "portal/online/review.html",
                title="Check and request",
                location=details.location,
                details=details,
                form=form,
                answered=[(q.text, "Yes" if details.answers[q.code] else "No") for q in context["questions"]],
                **context,
            )
        return self._make(request, context, form, details)

    def _invalid(self, request, context, form, problems: dict):
        general = []
        for field, messages in problems.items():
            for message in messages:
                if field in FORM_FIELDS:
                    form.add_error(field, message)
                else:
                    general.append(message)
        return self._form_page(request, context, form, status=400, errors=general)

    def _make(self, request, context, form, details: RequestDetails):
        try:
            requests.rate_spend(scope="public", ident=_client(request))
            requests.booking_request_make(details=details)
        except TooManyRequests as exc:
            return _throttled(request, exc)
        except SlotUnavailable:
            return redirect(f"{reverse('online-times')}?{context['back']}&taken=1")
        except DomainValidationError as exc:
            return self._invalid(request, context, form, exc.errors)
        return redirect("online-sent")


class SentView(View):
    """Step 6: check your email (the same page for everyone)."""

    def get(self, request):
        return _page(
            request, "portal/online/sent.html", title="Check your email", minutes=settings.CLINIC_ONLINE_HOLD_MINUTES
        )


OUTCOMES = {
    BookingRequestStatus.BOOKED: "Your appointment is booked. We have sent you a confirmation email.",
    BookingRequestStatus.ON_HOLD: "Your time is reserved. A practitioner will review your answers and the clinic "
    "will confirm your appointment.",
    BookingRequestStatus.CALL_BACK: "We could not book this treatment online. The clinic will call you to talk "
    "about it.",
    BookingRequestStatus.EXPIRED: "This request has expired and its time was released. Please choose another time.",
    BookingRequestStatus.UNAVAILABLE: "That time is no longer free for you. Please choose another time.",
}


class RequestView(View):
    """The link in the email: GET shows the request, a form POST books it."""

    def _show(self, request, booking_request, *, status=200):
        pending = booking_request.status == BookingRequestStatus.PENDING
        expired = pending and booking_request.expires_at <= timezone.now()
        state = BookingRequestStatus.EXPIRED if expired else booking_request.status
        location = booking_request.location
        again = {"therapy_type": booking_request.therapy_type_id, "location": location.pk}
        if booking_request.product_id:
            again["product"] = booking_request.product_id
        again["date"] = local_date(booking_request.start, location.zone).isoformat()
        return _page(
            request,
            "portal/online/request.html",
            title="Your booking request",
            location=location,
            status=status,
            booking_request=booking_request,
            when=local_time_text(booking_request.start, location),
            until=local_time_text(booking_request.expires_at, location),
            can_confirm=pending and not expired,
            outcome=None if pending and not expired else OUTCOMES[state],
            other_times=urlencode(again)
            if state in (BookingRequestStatus.EXPIRED, BookingRequestStatus.UNAVAILABLE)
            else None,
        )

    def _missing(self, request, exc: DomainError):
        return _page(request, "portal/online/message.html", title="Booking request", message=exc.detail, status=404)

    def get(self, request, secret: str):
        try:
            return self._show(request, confirming.request_by_secret(secret))
        except DomainError as exc:
            return self._missing(request, exc)

    def post(self, request, secret: str):
        try:
            booking_request = confirming.booking_request_confirm(secret=secret)
        except confirming.RequestNotFound as exc:
            return self._missing(request, exc)
        except (DomainError, ValidationError) as exc:
            return _page(request, "portal/online/message.html", title="Booking request", message=str(exc), status=409)
        return self._show(request, booking_request)
