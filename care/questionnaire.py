"""The pre-visit health questionnaire: a short form behind a signed link in the confirmation email of a first
visit and of every session that needs a blood draw (PRP). The patient's answers become their conditions with
`source="patient"` and `verified=False`; a declared condition that blocks the therapy puts the appointment on hold
at once (care.holds re-screens the patient's plans and appointments). The patient is told only that the
clinic will contact them.
"""

from dataclasses import dataclass

from django.db import transaction

from care.holds import patient_screening_changed
from clinic.clock import clinic_today
from clinic.exceptions import InvalidTransition
from messaging import links
from patients.choices import ConditionKind
from patients.conditions import patient_condition_write_declared
from patients.models import Condition
from patients.notes import MAX_NOTE_CHARS, patient_note_declare, patient_note_mark_read
from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment, QuestionnaireAnswer
from scheduling.screening import appointment_screen

PREGNANCY_CODE = "pregnancy"
DECLARED_NOTE = "Declared by the patient in the pre-visit questionnaire."
MAX_OTHER_CHARS = MAX_NOTE_CHARS

QUESTIONS = (
    (ConditionKind.MEDICATION, "Do you take any of these medicines?"),
    (ConditionKind.CONDITION, "Do you have any of these health conditions?"),
    (ConditionKind.ALLERGY, "Are you allergic to any of these?"),
)


def questionnaire_choices() -> list[tuple[str, list[Condition]]]:
    """The catalog as questions: (question, conditions) in the form's order; pregnancy is asked on its own."""
    catalog = list(Condition.objects.exclude(code=PREGNANCY_CODE).order_by("name"))
    return [(question, [c for c in catalog if c.kind == kind]) for kind, question in QUESTIONS]


@dataclass
class QuestionnaireOutcome:
    answer: QuestionnaireAnswer
    clinic_will_contact: bool


def _declare(appointment: Appointment, condition: Condition) -> None:
    patient_condition_write_declared(
        patient=appointment.patient,
        condition=condition,
        today=clinic_today(appointment.location.zone),
        note=DECLARED_NOTE,
    )


def questionnaire_submit_by_link(*, token: str, condition_ids: list[int], other: str = "") -> QuestionnaireOutcome:
    """Record the patient's answers for the appointment the link names, once.

    Guarantees, in one transaction: each declared catalog entry is an active condition of the patient from their
    local today with no end, whatever was recorded before (patients.conditions.patient_condition_write_declared:
    a row it changes is `source="patient"`, `verified=False`); the answers are kept; the patient's appointments
    are re-screened, so a blocking declaration puts this appointment on hold before the answer is shown; what the
    patient wrote in their own words is kept as an unread patient note, which puts the appointment on the
    attention list until a practitioner reads it (questionnaire_mark_read). A second submission, a cancelled
    appointment or an old link changes nothing (InvalidTransition / DomainValidationError).
    """
    appointment = links.appointment_from_link(token=token, action="questionnaire")
    conditions = list(Condition.objects.filter(pk__in=condition_ids))
    with transaction.atomic():
        locked = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("patient", "therapy_type", "location")
            .get(pk=appointment.pk)
        )
        if locked.status != AppointmentStatus.BOOKED:
            raise InvalidTransition(f"This appointment is {locked.get_status_display().lower()}; nothing was changed.")
        if QuestionnaireAnswer.objects.filter(appointment=locked).exists():
            raise InvalidTransition(
                "You have already sent your answers for this appointment. Nothing was changed; "
                "if something has changed, please call the clinic."
            )
        for condition in conditions:
            _declare(locked, condition)
        answer = QuestionnaireAnswer.objects.create(
            appointment=locked,
            answers={"conditions": sorted(c.code for c in conditions), "other": (other or "")[:MAX_OTHER_CHARS]},
            note=patient_note_declare(patient=locked.patient, text=other),
        )
        patient_screening_changed(patient=locked.patient, by=None)
        result = appointment_screen(locked)
    return QuestionnaireOutcome(
        answer=answer, clinic_will_contact=bool(result.blocking or result.warnings or other.strip())
    )


def questionnaire_mark_read(*, appointment: Appointment, by) -> Appointment:
    """A practitioner has read what the patient wrote in the appointment's questionnaire: the note is marked read
    (who, when) and the appointment leaves the attention list for it. An answer without free text, or one already
    read, changes nothing; no answer at all is refused (InvalidTransition); only a practitioner or clinic admin
    may (DomainValidationError)."""
    answer = QuestionnaireAnswer.objects.filter(appointment=appointment).select_related("note").first()
    if answer is None:
        raise InvalidTransition("The patient has not answered the questionnaire for this appointment.")
    if answer.note is not None:
        patient_note_mark_read(note=answer.note, by=by)
    return appointment
