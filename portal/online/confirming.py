"""The patient used the link of their online request: who they are, what they declared, screening, booking.

One use case in one transaction, built on the clinic's own services: registration (patients.services), declared
conditions (care.questionnaire), the one screening call (treatments.screening.screen, for the visit's local
date) and the one booking function (care.booking.appointment_book, which uses the request's slot hold).
"""

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from care.booking import appointment_book
from care.holds import patient_screening_changed
from care.questionnaire import condition_declare
from clinic.clock import clinic_today, local_date
from clinic.exceptions import DomainError, ErrorCode, SlotUnavailable
from clinic.transitions import transition_check
from patients.choices import PatientSource
from patients.models import Condition, Patient
from patients.services import patient_possible_duplicates, patient_register
from portal.online.choices import BOOKING_REQUEST_TRANSITIONS, BookingRequestStatus
from portal.online.models import BookingRequest
from portal.online.requests import booking_request_expire
from scheduling.choices import SlotHoldStatus
from scheduling.slot_holds import slot_hold_end
from treatments.screening import findings_as_dicts, screen

DECLARED_ONLINE = "Declared by the patient when booking online."

# What the front desk reads about a request that needs a person; clinical roles read the findings too.
CALL_BACK_REASON = "Call back about an online request"
DUPLICATE_REASON = "Possible duplicate: an online booking registered a patient who may already be on file"


class RequestNotFound(DomainError):
    code = ErrorCode.NOT_FOUND
    status_code = 404
    default_detail = "There is no booking request at this address."


def request_by_secret(secret: str) -> BookingRequest:
    """The request the link names (RequestNotFound otherwise)."""
    request = (
        BookingRequest.objects.select_related("therapy_type", "product", "location", "practitioner")
        .filter(secret=secret)
        .first()
    )
    if request is None or not secret:
        raise RequestNotFound()
    return request


def _patient_for(request: BookingRequest) -> tuple[Patient, list[int]]:
    """The patient with the request's email and date of birth together (the oldest record), or a new one
    (`source="online"`) with the ids of registered patients who may be the same person."""
    known = (
        Patient.objects.alias(email_lower=Lower("email"))  # patient_email_idx
        .filter(email_lower=request.email_key, date_of_birth=request.date_of_birth, active=True)
        .order_by("pk")
        .first()
    )
    if known is not None:
        return known, []
    patient = patient_register(
        first_name=request.first_name,
        last_name=request.last_name,
        date_of_birth=request.date_of_birth,
        email=request.email,
        phone=request.phone,
        allow_duplicate=True,
        source=PatientSource.ONLINE,
    )
    matches = patient_possible_duplicates(
        first_name=request.first_name,
        last_name=request.last_name,
        date_of_birth=request.date_of_birth,
        email=request.email,
        phone=request.phone,
        exclude_id=patient.pk,
    )
    return patient, [match.pk for match, _ in matches]


def _declare_answers(request: BookingRequest, patient: Patient) -> None:
    declared = [code for code, yes in request.answers.items() if yes]
    today = clinic_today(request.location.zone)
    for condition in Condition.objects.filter(code__in=declared).order_by("pk"):
        condition_declare(patient=patient, condition=condition, today=today, note=DECLARED_ONLINE)
    if declared:
        patient_screening_changed(patient=patient, by=None)


def _finish(request: BookingRequest, status: str) -> None:
    transition_check(BOOKING_REQUEST_TRANSITIONS, current=request.status, new=status, what="request")
    request.status = status
    request.confirmed_at = timezone.now()
    request.save()


def booking_request_confirm(*, secret: str) -> BookingRequest:
    """Act on the link of a pending request, once; returns the request with what became of it (`status`).

    Guarantees, in one transaction: a request no longer pending changes nothing; one whose time ran out is
    `expired` (its slot offered to the waitlist). Otherwise the patient is the one with that email and date of
    birth, or a new one (`source="online"`, `possible_duplicate` on the attention list when a name and date of
    birth, the email or the phone match someone else); the answers become their conditions (`source="patient"`,
    `verified=False`); screening for the visit's local date decides: an absolute finding books nothing and puts a
    call-back item on the attention list (`call_back`); otherwise the one booking function books the held slot
    (`booked`, the usual confirmation email), on hold for a practitioner's review when a finding is relative
    (`on_hold`). A slot the booking refuses (the patient has another appointment then) is `unavailable`.
    """
    with transaction.atomic():
        found = request_by_secret(secret)
        request = (
            BookingRequest.objects.select_for_update(of=("self",))
            .select_related("therapy_type", "product", "location", "practitioner", "slot_hold")
            .get(pk=found.pk)
        )
        if request.status != BookingRequestStatus.PENDING:
            return request
        if request.expires_at <= timezone.now():
            booking_request_expire(request=request)
            request.refresh_from_db()
            return request
        patient, duplicates = _patient_for(request)
        request.patient = patient
        request.possible_duplicate = bool(duplicates)
        request.duplicate_of = duplicates
        _declare_answers(request, patient)
        result = screen(
            patient, request.therapy_type, request.product, on=local_date(request.start, request.location.zone)
        )
        request.findings = findings_as_dicts(result.blocking + result.warnings)
        if result.blocking:
            request.call_back = True
            slot_hold_end(hold=request.slot_hold, status=SlotHoldStatus.RELEASED)
            _finish(request, BookingRequestStatus.CALL_BACK)
            return request
        try:
            appointment = appointment_book(
                patient=patient,
                therapy_type=request.therapy_type,
                practitioner=request.practitioner,
                start=request.start,
                location=request.location,
                product=request.product,
                slot_hold=request.slot_hold,
                hold_relative=True,
            )
        except SlotUnavailable:
            slot_hold_end(hold=request.slot_hold, status=SlotHoldStatus.RELEASED)
            _finish(request, BookingRequestStatus.UNAVAILABLE)
            return request
        except DomainError:
            # Anything else the booking refuses (a deactivated record, ...) needs a person, not a retry.
            request.call_back = True
            slot_hold_end(hold=request.slot_hold, status=SlotHoldStatus.RELEASED)
            _finish(request, BookingRequestStatus.CALL_BACK)
            return request
        request.appointment = appointment
        _finish(request, BookingRequestStatus.ON_HOLD if appointment.on_hold else BookingRequestStatus.BOOKED)
    return request


def booking_request_resolve(*, request: BookingRequest, by) -> BookingRequest:
    """A person dealt with the request's attention item (called back, merged or kept the record): it leaves the
    attention list; who and when are kept."""
    with transaction.atomic():
        locked = BookingRequest.objects.select_for_update().get(pk=request.pk)
        if locked.attention_resolved_at is None:
            locked.attention_resolved_at = timezone.now()
            locked.attention_resolved_by = by
            locked.save(update_fields=["attention_resolved_at", "attention_resolved_by", "updated_at"])
    return locked


def attention_reason(request: BookingRequest, *, clinical: bool) -> str:
    """Why the request needs a person: for the front desk a neutral sentence, for clinical roles the findings."""
    reasons = []
    if request.call_back:
        reason = CALL_BACK_REASON
        if clinical and request.findings:
            names = ", ".join(f"{item['condition_name']} ({item['severity']})" for item in request.findings)
            reason += f": {names}"
        reasons.append(reason)
    if request.possible_duplicate:
        reasons.append(DUPLICATE_REASON)
    return "; ".join(reasons) + ("." if reasons else "")
