"""Reads across visits: who received a lot (recall), the attention list (future appointments a person must act on,
and why), how each listed appointment's patient attends, and whether a visit's row holds clinical data (what the
access log records for every door: REST, FHIR)."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES, AppointmentStatus
from scheduling.closures import on_closed_days
from scheduling.models import Appointment, QuestionnaireAnswer
from scheduling.screening import HOLD_REASON
from treatments.choices import PlanStatus
from treatments.models import ProductLot

# The columns that hold a visit's clinical data: its notes, the lot given, hold findings, an override, and a cancel
# reason with whether a clinician wrote it. A queryset that defers any of them reads as "no clinical data".
CLINICAL_DATA_COLUMNS = (
    "notes",
    "product_lot_id",
    "hold_findings",
    "override_reason",
    "overridden_findings",
    "cancel_reason",
    "cancel_reason_clinical",
)


def carries_clinical_data(values: Mapping) -> bool:
    """Whether an appointment's columns (a `.values()` row, or an instance's `vars()`) hold clinical data a clinical
    reader is shown: any of CLINICAL_DATA_COLUMNS set, a cancel reason only when a clinician wrote it."""
    if values.get("cancel_reason") and values.get("cancel_reason_clinical"):
        return True
    return any(values.get(column) for column in CLINICAL_DATA_COLUMNS if not column.startswith("cancel_reason"))


def lot_recipients(lot: ProductLot) -> QuerySet[Appointment]:
    """A recall: every completed visit, plan session or one-off, that recorded the lot, with its patient, oldest
    first (one query for any length of list)."""
    return (
        Appointment.objects.filter(product_lot=lot, status=AppointmentStatus.COMPLETED)
        .select_related("patient", "location", "session")
        .order_by("start", "pk")
    )


# --- the attention list ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttentionRule:
    """One reason a future appointment needs a person: `condition()` is a filter on Appointment, `sentence` what
    every role reads (never clinical detail: the front desk reads it)."""

    name: str
    condition: Callable[[], Q]
    sentence: str
    # The same test on a loaded appointment, when it needs no query (None: ask the database).
    check: Callable[[Appointment], bool | None] = lambda appointment: None


def _missed_earlier_session() -> Q:
    missed = Appointment.objects.filter(
        plan=OuterRef("plan"), status=AppointmentStatus.NO_SHOW, start__lt=OuterRef("start")
    )
    return Q(plan__isnull=False, plan__status=PlanStatus.ACTIVE) & Q(Exists(missed))


# What every role reads about an appointment whose patient wrote something in the questionnaire: never the words.
QUESTIONNAIRE_REVIEW_REASON = "Needs a practitioner's review of the questionnaire answers."


def _questionnaire_unread() -> Q:
    # A subquery, not two outer joins: the list's statement plans in half the time (bench/growth.py's day list).
    unread = QuestionnaireAnswer.objects.filter(
        appointment=OuterRef("pk"), note__isnull=False, note__read_at__isnull=True
    )
    return Q(Exists(unread))


def _questionnaire_unread_loaded(appointment: Appointment) -> bool | None:
    """A booking's own answer (placed just now, never moved) has no questionnaire yet; otherwise None: ask."""
    return False if getattr(appointment, "placed_on_open_day", False) and appointment.sequence == 0 else None


# The reasons, in the order their sentences are read; a new reason is one more row.
ATTENTION_RULES: list[AttentionRule] = [
    AttentionRule("on_hold", lambda: Q(on_hold=True), HOLD_REASON, check=lambda a: a.on_hold),
    AttentionRule(
        "practitioner_inactive",
        lambda: Q(practitioner__active=False),
        "The practitioner no longer takes appointments: move it to another practitioner or cancel it.",
        check=lambda a: not a.practitioner.active,
    ),
    AttentionRule(
        "patient_inactive",
        lambda: Q(patient__active=False),
        "The patient is inactive: move it, cancel it, or reactivate the patient.",
        check=lambda a: not a.patient.active,
    ),
    AttentionRule(
        "missed_session",
        _missed_earlier_session,
        "An earlier session of this course was missed: check the plan with the patient.",
        check=lambda a: False if a.plan_id is None else None,
    ),
    AttentionRule(
        "location_closed",
        on_closed_days,
        "The clinic is closed that day: move it to another day or cancel it.",
        # Booking and moving refuse a closed day: an appointment they just placed says so (`placed_on_open_day`).
        check=lambda a: False if getattr(a, "placed_on_open_day", False) else None,
    ),
    AttentionRule(
        "questionnaire_unread", _questionnaire_unread, QUESTIONNAIRE_REVIEW_REASON, check=_questionnaire_unread_loaded
    ),
]
# The annotations appointments_with_attention() adds: whether the appointment is still ahead (only a future active
# appointment needs attention), then each rule's condition, in the rules' order.
ATTENTION_AHEAD = "attention_ahead"
ATTENTION_COLUMNS = [ATTENTION_AHEAD, *(f"attention_{rule.name}" for rule in ATTENTION_RULES)]


def _still_ahead() -> Q:
    return Q(status__in=ACTIVE_APPOINTMENT_STATUSES, end__gt=timezone.now())


def appointments_with_attention(queryset: QuerySet[Appointment] | None = None) -> QuerySet[Appointment]:
    """Appointments annotated `attention_ahead` and `attention_<rule>` (bool) for every ATTENTION_RULES rule; read
    them with attention_sentences(). Serialisers read the annotations: no query per row. Still ahead is one column,
    not a part of every rule's: the list's statement builds and plans once for it."""
    queryset = Appointment.objects.all() if queryset is None else queryset
    conditions = [_still_ahead(), *(rule.condition() for rule in ATTENTION_RULES)]
    return queryset.annotate(
        **{
            column: ExpressionWrapper(condition, output_field=BooleanField())
            for column, condition in zip(ATTENTION_COLUMNS, conditions, strict=True)
        }
    )


def appointments_needing_attention(queryset: QuerySet[Appointment] | None = None) -> QuerySet[Appointment]:
    """The attention list: future active appointments with at least one reason, soonest first."""
    reasons = Q()
    for rule in ATTENTION_RULES:
        reasons |= rule.condition()
    return appointments_with_attention(queryset).filter(_still_ahead() & reasons).order_by("start", "pk")


def appointment_attention_reasons(appointment: Appointment) -> list[str]:
    """The sentences that apply to the appointment, from its annotations; without them from the loaded row where
    every rule can tell (a booking's answer), else with one query."""
    if not hasattr(appointment, ATTENTION_COLUMNS[0]):
        if appointment.status not in ACTIVE_APPOINTMENT_STATUSES or appointment.end <= timezone.now():
            return []
        answers = [rule.check(appointment) for rule in ATTENTION_RULES]
        if None not in answers:
            return [rule.sentence for rule, applies in zip(ATTENTION_RULES, answers, strict=True) if applies]
        appointment = appointments_with_attention().get(pk=appointment.pk)
    return attention_sentences({name: getattr(appointment, name) for name in ATTENTION_COLUMNS})


def attention_sentences(flags: Mapping[str, bool]) -> list[str]:
    """The sentences of the rules whose `attention_<rule>` flag is set in `flags` (a row of
    appointments_with_attention(), as an object's annotations or a `.values()` dict), in the rules' order; none for
    an appointment that is no longer ahead."""
    if not flags[ATTENTION_AHEAD]:
        return []
    return [rule.sentence for rule, column in zip(ATTENTION_RULES, ATTENTION_COLUMNS[1:], strict=True) if flags[column]]


def _patient_count(**conditions) -> Coalesce:
    counted = (
        Appointment.objects.filter(patient=OuterRef("patient"), **conditions)
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def patients_attendance(patient_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Per patient of `patient_ids`, (no-shows, late cancellations), counted in one grouped statement; a patient
    with neither is absent (read as (0, 0)). What a list page's cards show, for the page's patients only."""
    ids = set(patient_ids)
    if not ids:
        return {}
    no_show = Q(status=AppointmentStatus.NO_SHOW)
    late = Q(late_cancellation=True)
    rows = (
        Appointment.objects.filter(no_show | late, patient_id__in=ids)
        .order_by()
        .values("patient_id")
        .annotate(no_shows=Count("pk", filter=no_show), late_cancellations=Count("pk", filter=late))
    )
    return {row["patient_id"]: (row["no_shows"], row["late_cancellations"]) for row in rows}


def with_patient_attendance(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """Appointments with their patient's `patient_no_show_count` and `patient_late_cancellation_count` read in the
    list's one statement (a correlated subquery each), so the desk's cards need no request per patient."""
    return appointments.annotate(
        patient_no_show_count=_patient_count(status=AppointmentStatus.NO_SHOW),
        patient_late_cancellation_count=_patient_count(late_cancellation=True),
    )
