"""The clinical record of a visit outside its completion: the consent a visit is given under.

Completion itself (notes, lot, who, when) is a step of the appointment's life cycle: care.booking.
"""

from typing import Unpack

from django.db import transaction

from clinic.exceptions import InvalidTransition
from scheduling.booking import treatment_day
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES
from scheduling.models import Appointment
from treatments.consent import ConsentDetails, consent_record, visit_consent_record
from treatments.models import Consent


def appointment_consent_record(*, appointment: Appointment, **details: Unpack[ConsentDetails]) -> Consent:
    """Record the patient's consent for an appointment still to be given (booked or checked in).

    Guarantees: a one-off gets a consent of its own, linked to the appointment in the same transaction (a later
    consent replaces the link, the earlier row stays as history); a plan session's consent is the plan's (it is
    recorded on the plan: treatments.consent.consent_record). A visit already given, cancelled or missed is
    refused (InvalidTransition).
    """
    with transaction.atomic():
        row = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("patient", "therapy_type", "product", "location", "plan")
            .get(pk=appointment.pk)
        )
        if row.status not in ACTIVE_APPOINTMENT_STATUSES:
            raise InvalidTransition(
                f"Consent is recorded before a visit; this one is {row.get_status_display().lower()}.",
                current=row.status,
            )
        if row.plan_id is not None:
            return consent_record(plan=row.plan, **details)
        product = f" with {row.product.name}" if row.product_id else ""
        one_visit = f"{row.therapy_type.name}{product}, one visit on {treatment_day(row)}"
        agreed = details.pop("consented_to", "") or one_visit
        consent = visit_consent_record(patient=row.patient, consented_to=agreed, **details)
        row.consent = consent
        row.save(update_fields=["consent", "updated_at"])
    appointment.consent = consent
    return consent
