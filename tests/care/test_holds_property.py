"""A property of the life cycle: no appointment is ever checked in or completed while its patient is blocked for
its therapy on its treatment date, and a future appointment is on hold exactly when its patient is blocked then.

Hypothesis draws sequences of book / record condition / end condition / check-in / complete / cancel / release on
two patients of one clinic, and the side doors: the patient declaring the blood thinner in the questionnaire (over
no row, an ended one or an inactive one), the clinic admin ending, restarting or adding it through the admin's
own form (Django's test client posting it), and the admin changing the exosome product's source (fish <-> plant;
patient 0 is allergic to fish). The oracle is written from the rules themselves (an active blood thinner whose
dates cover the day rules PRP out; an active fish allergy rules a fish-sourced product out), not from the code.
"""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from care import booking, holds, questionnaire
from clinic.clock import clinic_today
from clinic.exceptions import DomainError
from messaging.emails import appointment_link_token
from patients.models import PatientCondition
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES
from scheduling.models import Appointment
from tests import factories
from tests.factories import future_weekday, local_time
from treatments.choices import ProductSource, Severity

pytestmark = pytest.mark.django_db

ACTIONS = (
    "book",
    "record",
    "end",
    "check_in",
    "complete",
    "cancel",
    "release",
    "declare",
    "admin_condition",
    "book_exosome",
    "admin_product",
)
STEPS = st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 1), st.integers(0, 2)), min_size=3, max_size=14)


@pytest.fixture
def world():
    clinic = factories.build_clinic()
    thinner = factories.ConditionFactory(code="anticoagulant-therapy", name="Anticoagulant therapy")
    factories.ContraindicationFactory(condition=thinner, therapy_type=clinic.prp, severity=Severity.ABSOLUTE)
    fish_allergy = factories.ConditionFactory(code="fish-allergy", name="Fish allergy", kind="allergy")
    factories.ContraindicationFactory(
        condition=fish_allergy, therapy_type=None, product_source=ProductSource.FISH, severity=Severity.ABSOLUTE
    )
    patients = [factories.PatientFactory() for _ in range(2)]
    PatientCondition.objects.create(patient=patients[0], condition=fish_allergy)
    admin = Client()
    admin.force_login(factories.clinic_admin_user(username="lead"))
    clinic.admin = admin
    clinic.fish_allergic = patients[0].pk
    return clinic, thinner, patients, factories.practitioner_user(), factories.front_desk_user()


def blocked(clinic, patient, day: date, appointment=None) -> bool:
    """The rules themselves, on the test's own record of what each step said (clinic.expected), not the rows:
    an active blood thinner from its start (if any) to its end (if any) rules PRP out; patient 0's fish allergy
    rules out a visit with a fish-sourced product."""
    if appointment is not None and appointment.product_id is not None:
        return clinic.source == ProductSource.FISH and patient.pk == clinic.fish_allergic
    state = clinic.expected[patient.pk]
    if state is None:
        return False
    active, since, until = state
    return active and (since is None or since <= day) and (until is None or day <= until)


def declared(state, today: date):
    """What a declaration today makes of the thinner: active from today with no end, whatever came before; a
    course already running today keeps its start."""
    if state is None:
        return (True, None, None)
    active, since, until = state
    running = active and (since is None or since <= today) and (until is None or today <= until)
    return (True, since if running else today, None)


def treatment_date(appointment) -> date:
    return timezone.localtime(appointment.start, appointment.location.zone).date()


def run(step, *, clinic, thinner, patients, doctor, desk, first_day):
    action, who, which = step
    patient = patients[who]
    mine = list(Appointment.objects.filter(patient=patient).order_by("pk"))
    appointment = mine[which % len(mine)] if mine else None
    if action == "book":
        # Each patient has their own hour; `which` picks the week, so bookings rarely collide.
        booking.appointment_book(
            patient=patient,
            therapy_type=clinic.prp,
            practitioner=clinic.practitioners[0],
            start=local_time(first_day + timedelta(weeks=which), 10 + 2 * who),
            by=desk,
        )
    elif action == "record":
        existing = PatientCondition.objects.filter(patient=patient, condition=thinner).first()
        if existing is None:
            holds.patient_condition_record(patient=patient, condition=thinner, by=doctor)
            clinic.expected[patient.pk] = (True, None, None)
        else:
            holds.patient_condition_update(patient_condition=existing, by=doctor, active=True, until=None)
            clinic.expected[patient.pk] = (True, existing.since, None)
    elif action == "end":
        existing = PatientCondition.objects.filter(patient=patient, condition=thinner).first()
        if existing is not None:
            # Ended today (a later visit is clear), or stopped altogether.
            change = {"until": timezone.localdate()} if which % 2 else {"active": False}
            holds.patient_condition_update(patient_condition=existing, by=doctor, **change)
            active, since, until = clinic.expected[patient.pk]
            clinic.expected[patient.pk] = (active and which % 2 == 1, since, change.get("until", until))
    elif action == "book_exosome":
        booking.appointment_book(
            patient=patient,
            therapy_type=clinic.exosome,
            practitioner=clinic.practitioners[1],
            product=clinic.fish_product,
            start=local_time(first_day + timedelta(weeks=which, days=1), 10 + 2 * who),
            by=desk,
        )
    elif action == "admin_product":
        _admin_product_source(clinic, ProductSource.PLANT if which % 2 else ProductSource.FISH)
    elif action == "admin_condition":
        _admin_condition(clinic, patient, thinner, which)
    elif appointment is None:
        return
    elif action == "declare":
        token = appointment_link_token(appointment, action="questionnaire")
        questionnaire.questionnaire_submit_by_link(token=token, condition_ids=[thinner.pk] if which else [])
        if which:
            local_today = clinic_today(appointment.location.zone)
            clinic.expected[patient.pk] = declared(clinic.expected[patient.pk], local_today)
    elif action in ("check_in", "complete"):
        was_blocked = blocked(clinic, patient, treatment_date(appointment), appointment)
        with time_machine.travel(appointment.start + timedelta(minutes=5), tick=False):
            if action == "check_in":
                done = booking.appointment_check_in(appointment=appointment, by=desk)
            else:
                done = booking.appointment_complete(appointment=appointment, by=doctor)
        assert not was_blocked, f"{action} went through for a blocked patient: {done}"
    elif action == "cancel":
        booking.appointment_cancel(appointment=appointment, by=desk, reason="test")
    elif action == "release":
        holds.appointment_release(appointment=appointment, by=doctor)


def _admin_condition(clinic, patient, thinner, which: int) -> None:
    """The clinic admin, through the admin's own form: add the thinner (ended a week ago), or on an existing row
    restart it (clear `until`), end it today, or make it inactive."""
    row = PatientCondition.objects.filter(patient=patient, condition=thinner).first()
    today = clinic_today()
    if row is None:
        form = {"patient": patient.pk, "condition": thinner.pk, "active": "on", "until": today - timedelta(days=7)}
        answer = clinic.admin.post(reverse("admin:patients_patientcondition_add"), form)
        after = (True, None, today - timedelta(days=7))
    else:
        change = [{"until": ""}, {"until": today}, {"active": ""}][which]
        form = {"active": "on" if row.active else "", "since": row.since or "", "until": row.until or "", **change}
        answer = clinic.admin.post(
            reverse("admin:patients_patientcondition_change", args=[row.pk]),
            {name: value for name, value in form.items() if value != ""},
        )
        active, since, until = clinic.expected[patient.pk]
        after = (active and "active" not in change, since, change["until"] or None if "until" in change else until)
    assert answer.status_code in (200, 302), answer.status_code
    if answer.status_code == 302:
        clinic.expected[patient.pk] = after


def _admin_product_source(clinic, source: str) -> None:
    product = clinic.fish_product
    product.refresh_from_db()
    form = {
        "name": product.name,
        "therapy_type": product.therapy_type_id,
        "source": source,
        "regulatory_status": product.regulatory_status,
        "jurisdiction": product.jurisdiction,
        "manufacturer": product.manufacturer,
        "active": "on" if product.active else "",
        "lots-TOTAL_FORMS": 0,
        "lots-INITIAL_FORMS": 0,
    }
    answer = clinic.admin.post(reverse("admin:treatments_product_change", args=[product.pk]), form)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    clinic.source = source


def rows_match_the_rules(clinic, thinner, patients):
    """Each patient's thinner row says what the steps said (an admin save or a declaration that changed less, or
    something else, is caught here), and a future PRP visit is on hold exactly when the rule blocks its day."""
    for patient in patients:
        row = PatientCondition.objects.filter(patient=patient, condition=thinner).first()
        assert (None if row is None else (row.active, row.since, row.until)) == clinic.expected[patient.pk]
    # PRP visits only: re-screening on a product's change of source is issue 21 item 7 (another change); until it
    # lands an exosome visit's hold may lag, and the check-in/complete oracle above still covers it (screened live).
    for appointment in Appointment.objects.filter(
        status__in=ACTIVE_APPOINTMENT_STATUSES, end__gt=timezone.now(), product__isnull=True
    ):
        expected = blocked(clinic, appointment.patient, treatment_date(appointment))
        assert appointment.on_hold == expected, appointment


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
# The paths that matter most, always tried: held then checked in; checked in, then held, then completed.
@example(steps=[("book", 0, 0), ("record", 0, 0), ("check_in", 0, 0)])
@example(steps=[("book", 1, 1), ("check_in", 1, 0), ("record", 1, 0), ("complete", 1, 0)])
@example(steps=[("book", 0, 0), ("record", 0, 0), ("release", 0, 0), ("end", 0, 1), ("check_in", 0, 0)])
# Issue 21 items 1 and 2: a declaration over an ended or inactive row; the admin restarting an ended medicine.
@example(steps=[("book", 0, 2), ("record", 0, 0), ("end", 0, 1), ("declare", 0, 1), ("check_in", 0, 0)])
@example(steps=[("book", 1, 2), ("record", 1, 0), ("end", 1, 0), ("declare", 1, 1), ("complete", 1, 0)])
@example(steps=[("book", 0, 1), ("admin_condition", 0, 0), ("admin_condition", 0, 0), ("check_in", 0, 0)])
@example(steps=[("admin_product", 0, 1), ("book_exosome", 0, 0), ("admin_product", 0, 0), ("check_in", 0, 0)])
def test_no_blocked_patient_is_ever_checked_in_or_treated(world, steps):
    clinic, thinner, patients, doctor, desk = world
    first_day = future_weekday(0, after_days=3)
    clinic.expected = {patient.pk: None for patient in patients}
    clinic.source = ProductSource.FISH
    with transaction.atomic():
        for step in steps:
            try:
                with transaction.atomic():
                    run(
                        step,
                        clinic=clinic,
                        thinner=thinner,
                        patients=patients,
                        doctor=doctor,
                        desk=desk,
                        first_day=first_day,
                    )
            except DomainError:
                pass  # a refusal is an allowed answer; what matters is that nothing unsafe went through
            rows_match_the_rules(clinic, thinner, patients)
        transaction.set_rollback(True)
