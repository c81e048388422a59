"""The pages behind the signed links in patient emails. GET shows what the link will do; POST does it, so a mail
scanner that follows links cannot cancel an appointment."""

from datetime import datetime

from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views import View

from care import questionnaire
from clinic.api.fields import within_bounds
from clinic.exceptions import DomainError
from messaging import links
from messaging.emails import local_time_text
from patients.models import Condition
from portal import self_service
from portal.links import appointment_cancel_by_link, appointment_confirm_by_link
from scheduling.choices import OPEN_WAITLIST_STATUSES, AppointmentStatus
from scheduling.models import QuestionnaireAnswer
from waitlist import claims

TEXTS = {
    "confirm": {
        "title": "Confirm your appointment",
        "ask": "Please confirm that you will come to this appointment.",
        "button": "Yes, I will come",
        "done": "Thank you: your appointment is confirmed.",
        "service": appointment_confirm_by_link,
    },
    "cancel": {
        "title": "Cancel your appointment",
        "ask": "Do you want to cancel this appointment?",
        "button": "Cancel my appointment",
        "done": "Your appointment is cancelled. We have sent you an email to confirm it.",
        "service": appointment_cancel_by_link,
    },
}


def form_instant(value: str | None) -> datetime | None:
    """A date-time a form sent: ISO 8601 with its offset, between 1900 and 2100; None for anything else (a month
    13, an hour 25, no offset, digits other than ASCII), never an exception."""
    value = (value or "").strip()
    if not value.isascii():
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None or timezone.is_naive(parsed) or not within_bounds(parsed):
        return None
    return parsed


class _PatientPageView(View):
    """A page a patient reaches from an email link: no login, one template, a title and a message."""

    title = ""
    template = ""

    def _render(self, request, *, message: str, status: int = 200, **context):
        return render(request, self.template, {"title": self.title, "message": message, **context}, status=status)


class WaitlistOfferView(_PatientPageView):
    """A waitlist offer: GET shows it; a form POST claims it, or keeps or leaves the patient's waitlist place."""

    title = "An appointment for you"
    template = "portal/waitlist_offer.html"

    def _show(self, request, offer, *, message: str, can_claim=False, appointment=None, status=200):
        entry = offer.entry
        return self._render(
            request,
            message=message,
            status=status,
            offer=offer,
            appointment=appointment,
            when=local_time_text(offer.start, entry.location),
            until=local_time_text(offer.expires_at, entry.location) if offer.expires_at else "",
            can_claim=can_claim,
            can_keep=not can_claim and appointment is None and entry.status in OPEN_WAITLIST_STATUSES,
        )

    def _bad_link(self, request, exc: DomainError):
        return self._render(request, message=exc.detail, status=exc.status_code)

    def get(self, request, token: str):
        try:
            offer = claims.offer_from_link(token=token)
        except DomainError as exc:
            return self._bad_link(request, exc)
        refusal = claims.offer_state_for_patient(offer)
        if refusal:
            return self._show(request, offer, message=refusal, appointment=offer.appointment, status=409)
        return self._show(request, offer, message="This appointment has become free.", can_claim=True)

    def post(self, request, token: str):
        answer = request.POST.get("answer", "claim")
        try:
            if answer == "keep":
                claims.offer_keep_on_list_by_link(token=token)
                offer = claims.offer_from_link(token=token)
                return self._show(request, offer, message="You are still on the waiting list. We will email you.")
            if answer == "leave":
                claims.offer_leave_list_by_link(token=token)
                offer = claims.offer_from_link(token=token)
                return self._show(request, offer, message="You are no longer on the waiting list.")
            outcome = claims.offer_claim_by_link(token=token)
        except DomainError as exc:
            return self._bad_link(request, exc)
        if outcome.refusal:
            status = 200 if outcome.already else 409
            return self._show(
                request, outcome.offer, message=outcome.refusal, appointment=outcome.offer.appointment, status=status
            )
        return self._show(
            request, outcome.offer, message="Booked: the appointment is yours.", appointment=outcome.appointment
        )


class _AppointmentLinkView(_PatientPageView):
    """A patient page behind one of an appointment's signed links: a message, the appointment's local time and,
    when `ask`, what the page asks of the patient (`_asking`)."""

    def _asking(self, appointment, ask: bool) -> dict:
        return {}

    def _show(self, request, *, message: str, appointment=None, status=200, ask=False):
        return self._render(
            request,
            message=message,
            status=status,
            appointment=appointment,
            when=local_time_text(appointment.start, appointment.location) if appointment else "",
            ask=ask,
            **self._asking(appointment, ask),
        )


class AppointmentLinkView(_AppointmentLinkView):
    action = "confirm"
    template = "portal/appointment_link.html"

    @property
    def title(self) -> str:
        return TEXTS[self.action]["title"]

    def _asking(self, appointment, ask: bool) -> dict:
        return {"button": TEXTS[self.action]["button"]}

    def get(self, request, token: str):
        try:
            appointment = links.appointment_from_link(token=token, action=self.action)
        except DomainError as exc:
            return self._show(request, message=exc.detail, status=exc.status_code)
        refusal = links.link_refusal(appointment, action=self.action)
        if refusal:
            return self._show(request, message=refusal, appointment=appointment, status=409)
        return self._show(request, message=TEXTS[self.action]["ask"], appointment=appointment, ask=True)

    def post(self, request, token: str):
        try:
            appointment = TEXTS[self.action]["service"](token=token)
        except DomainError as exc:
            return self._show(request, message=exc.detail, status=exc.status_code)
        return self._show(request, message=TEXTS[self.action]["done"], appointment=appointment)


class RescheduleLinkView(_AppointmentLinkView):
    """Move an appointment to one of the listed alternatives, or join the waitlist for something earlier."""

    title = "Change your appointment"
    template = "portal/reschedule.html"

    def _asking(self, appointment, ask: bool) -> dict:
        slots = self_service.reschedule_alternatives(appointment) if ask else []
        return {
            "choices": [(slot.start.isoformat(), local_time_text(slot.start, appointment.location)) for slot in slots],
            "zone": appointment.location.zone if appointment else None,
        }

    def get(self, request, token: str):
        try:
            appointment = links.appointment_from_link(token=token, action="reschedule")
        except DomainError as exc:
            return self._show(request, message=exc.detail, status=exc.status_code)
        refusal = links.link_refusal(appointment, action="reschedule")
        if refusal:
            return self._show(request, message=refusal, appointment=appointment, status=409)
        return self._show(
            request, message="Choose a new time, or ask for something earlier.", appointment=appointment, ask=True
        )

    def post(self, request, token: str):
        # The link first: a bad or old link says so whatever the form holds; then the form.
        try:
            appointment = links.appointment_from_link(token=token, action="reschedule")
        except DomainError as exc:
            return self._show(request, message=exc.detail, status=exc.status_code)
        try:
            if request.POST.get("answer") == "earlier":
                entry = self_service.waitlist_join_earlier_by_link(token=token)
                appointment = entry.appointment
                message = (
                    "You are on the waiting list for an earlier time. Your appointment stays as it is until you "
                    "accept an offer we email you."
                )
                return self._show(request, message=message, appointment=appointment)
            start = form_instant(request.POST.get("start"))
            if start is None:
                return self._show(
                    request,
                    message="Please choose one of the times listed.",
                    appointment=appointment,
                    ask=True,
                    status=400,
                )
            appointment = self_service.appointment_reschedule_by_link(token=token, start=start)
        except DomainError as exc:
            return self._show(request, message=exc.detail, status=exc.status_code)
        return self._show(
            request,
            message="Your appointment has moved. We have sent you an email with the new time.",
            appointment=appointment,
        )


class QuestionnaireLinkView(_AppointmentLinkView):
    """The pre-visit health questionnaire: a plain HTML form, sent once per appointment."""

    title = "Before your visit: a few health questions"
    template = "portal/questionnaire.html"

    def _asking(self, appointment, ask: bool) -> dict:
        return {
            "questions": questionnaire.questionnaire_choices() if ask else [],
            "pregnancy": Condition.objects.filter(code=questionnaire.PREGNANCY_CODE).first() if ask else None,
        }

    def get(self, request, token: str):
        try:
            appointment = links.appointment_from_link(token=token, action="questionnaire")
        except DomainError as exc:
            return self._show(request, message=exc.detail, status=exc.status_code)
        if appointment.status != AppointmentStatus.BOOKED:
            message = f"This appointment is {appointment.get_status_display().lower()}; nothing to fill in."
            return self._show(request, message=message, appointment=appointment, status=409)
        if QuestionnaireAnswer.objects.filter(appointment=appointment).exists():
            message = "You have already sent your answers. If something has changed, please call the clinic."
            return self._show(request, message=message, appointment=appointment, status=409)
        return self._show(
            request,
            message="Please tick everything that applies to you. If nothing applies, just send the form.",
            appointment=appointment,
            ask=True,
        )

    def post(self, request, token: str):
        # The link first, then the form: ticked boxes are ids (ASCII digits), the free text has a length.
        try:
            appointment = links.appointment_from_link(token=token, action="questionnaire")
        except DomainError as exc:
            return self._show(request, message=exc.detail, status=exc.status_code)
        values = request.POST.getlist("condition")
        other = request.POST.get("other", "")
        if not all(value.isascii() and value.isdigit() and len(value) < 10 for value in values) or len(other) > 2000:
            message = "Some answers could not be read. Please tick the boxes again (and keep the note short)."
            return self._show(request, message=message, appointment=appointment, ask=True, status=400)
        ids = [int(value) for value in values]
        try:
            outcome = questionnaire.questionnaire_submit_by_link(token=token, condition_ids=ids, other=other)
        except DomainError as exc:
            return self._show(request, message=exc.detail, status=exc.status_code)
        message = "Thank you: we have your answers."
        if outcome.clinic_will_contact:
            message += " The clinic will contact you before your appointment."
        return self._show(request, message=message, appointment=outcome.answer.appointment)
