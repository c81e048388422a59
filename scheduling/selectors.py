"""Reads for the front desk: a day's appointments, a patient's no-show count and the attention list."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils import timezone

from patients.models import Patient
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES, AppointmentStatus
from scheduling.holds import HOLD_REASON
from scheduling.models import Appointment, Location, Practitioner
from treatments.choices import PlanStatus


def patient_no_show_count(patient: Patient) -> int:
    """How many appointments the patient missed (one query)."""
    return Appointment.objects.filter(patient=patient, status=AppointmentStatus.NO_SHOW).count()


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants (in UTC) a local calendar day starts and ends at; 23 or 25 hours apart on DST changes."""
    first = datetime.combine(day, time(0), tzinfo=zone)
    last = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return first.astimezone(UTC), last.astimezone(UTC)


def appointment_list() -> QuerySet[Appointment]:
    """Appointments with everything a list shows joined in: one query for any length of list."""
    return Appointment.objects.select_related(
        "patient", "practitioner", "location", "room", "device", "therapy_type", "session"
    )


def appointments_on_day(
    *,
    day: date,
    location: Location | None = None,
    practitioner: Practitioner | None = None,
    statuses: list[str] | None = None,
) -> QuerySet[Appointment]:
    """The appointments starting on a local day (the location's zone, else the clinic's), in time order."""
    zone = location.zone if location is not None else ZoneInfo(settings.CLINIC_DEFAULT_TIME_ZONE)
    first, last = day_bounds(day, zone)
    appointments = appointment_list().filter(start__gte=first, start__lt=last)
    if location is not None:
        appointments = appointments.filter(location=location)
    if practitioner is not None:
        appointments = appointments.filter(practitioner=practitioner)
    if statuses:
        appointments = appointments.filter(status__in=statuses)
    return appointments.order_by("start", "id")


# --- the attention list ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttentionRule:
    """One reason a future appointment needs a person: `condition()` is a filter on Appointment, `sentence` what
    every role reads (never clinical detail: the front desk reads it)."""

    name: str
    condition: Callable[[], Q]
    sentence: str


def _missed_earlier_session() -> Q:
    missed = Appointment.objects.filter(
        plan=OuterRef("plan"), status=AppointmentStatus.NO_SHOW, start__lt=OuterRef("start")
    )
    return Q(plan__isnull=False, plan__status=PlanStatus.ACTIVE) & Q(Exists(missed))


# The reasons, in the order their sentences are read. Location closures (deskapi) add their rule here, e.g.
# AttentionRule("location_closed", lambda: Q(Exists(closures on the appointment's local day)), "The clinic is
# closed that day: move or cancel it.").
ATTENTION_RULES: list[AttentionRule] = [
    AttentionRule("on_hold", lambda: Q(on_hold=True), HOLD_REASON),
    AttentionRule(
        "practitioner_inactive",
        lambda: Q(practitioner__active=False),
        "The practitioner no longer takes appointments: move it to another practitioner or cancel it.",
    ),
    AttentionRule(
        "missed_session",
        _missed_earlier_session,
        "An earlier session of this course was missed: check the plan with the patient.",
    ),
]


def _still_ahead() -> Q:
    return Q(status__in=ACTIVE_APPOINTMENT_STATUSES, end__gt=timezone.now())


def appointments_with_attention(queryset: QuerySet[Appointment] | None = None) -> QuerySet[Appointment]:
    """Appointments annotated `attention_<rule>` (bool) for every ATTENTION_RULES rule: only a future active
    appointment needs attention. Serialisers read the annotations: no query per row."""
    queryset = Appointment.objects.all() if queryset is None else queryset
    ahead = _still_ahead()
    return queryset.annotate(
        **{
            f"attention_{rule.name}": ExpressionWrapper(ahead & rule.condition(), output_field=BooleanField())
            for rule in ATTENTION_RULES
        }
    )


def appointments_needing_attention(queryset: QuerySet[Appointment] | None = None) -> QuerySet[Appointment]:
    """The attention list: future active appointments with at least one reason, soonest first."""
    reasons = Q()
    for rule in ATTENTION_RULES:
        reasons |= rule.condition()
    return appointments_with_attention(queryset).filter(_still_ahead() & reasons).order_by("start", "pk")


def appointment_attention_reasons(appointment: Appointment) -> list[str]:
    """The sentences that apply to the appointment, from its annotations (one query when it has none)."""
    if not hasattr(appointment, f"attention_{ATTENTION_RULES[0].name}"):
        appointment = appointments_with_attention().get(pk=appointment.pk)
    return [rule.sentence for rule in ATTENTION_RULES if getattr(appointment, f"attention_{rule.name}")]
