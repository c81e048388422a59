"""Screening an appointment on its treatment date (its local date at its location), and the refusal to check in
or complete one on hold. The holds themselves (putting an appointment on hold, lifting it) are care.holds."""

from datetime import date, datetime

from clinic.clock import local_date
from scheduling.models import Appointment
from treatments.screening import ScreeningResult, contraindicated, covered_rule_ids, names, screen_covered

# What the front desk reads about a held appointment: never the condition (practitioners see `hold_findings`).
HOLD_REASON = "Needs a practitioner's review before treatment."


def appointment_treatment_date(appointment: Appointment) -> date:
    """The day the treatment is given: the appointment's local date at its location."""
    return local_date(appointment.start, appointment.location.zone)


def appointment_screen(appointment: Appointment, *, start: datetime | None = None) -> ScreeningResult:
    """Screen the appointment's patient for its therapy (and product) on its treatment date (or on the local day
    of `start`, for a move). Relative findings block unless the plan's or the appointment's override covers them."""
    plan = appointment.plan
    product = plan.product if plan is not None else getattr(appointment, "product", None)
    day = local_date(start, appointment.location.zone) if start else appointment_treatment_date(appointment)
    covered = covered_rule_ids(plan.overridden_findings if plan else None, appointment.overridden_findings)
    return screen_covered(appointment.patient, appointment.therapy_type, product, on=day, covered=covered)


def appointment_refuse_if_held(appointment: Appointment, *, action: str) -> None:
    """Refuse (Contraindicated) to check in or complete an appointment on hold or whose patient screening blocks
    on its treatment date. The front desk's answer names the findings only (clinic.api.errors)."""
    result = appointment_screen(appointment)
    if appointment.on_hold or result.blocking:
        found = f": {names(result.blocking)}" if result.blocking else ""
        raise contraindicated(
            result, detail=f"The appointment is on hold and cannot be {action}{found}. A practitioner must review it."
        )
