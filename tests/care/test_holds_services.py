"""care.holds below the API: dated conditions and washouts, rule edits, held reminders, the midnight task."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from care import holds
from care.booking import appointment_book, appointment_cancel, appointment_reschedule
from messaging.reminders import reminders_dispatch_due
from patients.models import PatientCondition
from scheduling.choices import ReminderStatus
from tests import factories
from tests.factories import future_weekday, local_time, practitioner_user
from treatments.choices import Severity

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return factories.build_clinic()


@pytest.fixture
def thinner(clinic):
    condition = factories.ConditionFactory(code="anticoagulant-therapy", name="Anticoagulant therapy")
    rule = factories.ContraindicationFactory(condition=condition, therapy_type=clinic.prp, severity=Severity.ABSOLUTE)
    return condition, rule


@pytest.fixture
def day():
    return future_weekday(0, after_days=10)


def book(clinic, start, patient=None):
    return appointment_book(
        patient=patient or factories.PatientFactory(),
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[0],
        start=start,
    )


def statuses(appointment) -> dict[str, str]:
    return dict(appointment.reminders.values_list("kind", "status"))


def test_a_condition_blocks_until_its_end_plus_the_rules_washout(clinic, thinner, day):
    condition, rule = thinner
    visit = book(clinic, local_time(day, 10))
    doctor = practitioner_user()
    # The last dose three days before the visit; the rule's washout is two days: clear on the day.
    rule.washout_days = 2
    rule.save()
    holds.patient_condition_record(patient=visit.patient, condition=condition, by=doctor, until=day - timedelta(3))
    visit.refresh_from_db()
    assert not visit.on_hold

    # The medical lead lengthens the washout in the admin: the visit is held in that same save.
    admin = factories.clinic_admin_user()
    client = django_client_for(admin)
    change = reverse("admin:treatments_contraindication_change", args=[rule.pk])
    form = {"condition": condition.pk, "therapy_type": clinic.prp.pk, "severity": "absolute", "washout_days": 3}
    assert client.post(change, {**form, "rationale": "Bleeding"}).status_code == 302
    visit.refresh_from_db()
    assert visit.on_hold and visit.hold_findings[0]["condition_code"] == "anticoagulant-therapy"


def test_an_ended_condition_lifts_the_hold_and_a_reactivated_one_brings_it_back(clinic, thinner, day):
    condition, _ = thinner
    visit = book(clinic, local_time(day, 10))
    doctor = practitioner_user()
    record = holds.patient_condition_record(patient=visit.patient, condition=condition, by=doctor)
    visit.refresh_from_db()
    assert visit.on_hold

    holds.patient_condition_update(patient_condition=record, by=doctor, active=False)
    visit.refresh_from_db()
    assert not visit.on_hold and visit.hold_findings == []

    holds.patient_condition_update(patient_condition=record, by=doctor, active=True)
    visit.refresh_from_db()
    assert visit.on_hold


def test_each_appointment_is_screened_on_its_own_day(clinic, thinner, day):
    condition, _ = thinner
    patient = factories.PatientFactory()
    before = book(clinic, local_time(day, 10), patient)
    after = book(clinic, local_time(day + timedelta(days=7), 10), patient)
    holds.patient_condition_record(patient=patient, condition=condition, by=practitioner_user(), until=day)
    before.refresh_from_db()
    after.refresh_from_db()
    assert (before.on_hold, after.on_hold) == (True, False)

    # Moving the held visit past the end of the course lifts its hold; the front desk may move it.
    moved = appointment_reschedule(appointment=before, start=local_time(day + timedelta(days=1), 10))
    assert not moved.on_hold


def test_a_held_appointments_reminders_are_held_not_sent_and_recomputed_on_release(clinic, thinner, day, mailoutbox):
    condition, _ = thinner
    visit = book(clinic, local_time(day, 10))
    assert set(statuses(visit).values()) == {ReminderStatus.PENDING}
    record = holds.patient_condition_record(patient=visit.patient, condition=condition, by=practitioner_user())
    assert set(statuses(visit).values()) == {ReminderStatus.HELD}

    # Two days before: the 48-hour reminder is due but held; the sweep sends nothing.
    with time_machine.travel(visit.start - timedelta(hours=47), tick=False):
        reminders_dispatch_due()
        assert mailoutbox == []
        # The condition ends: the overdue 48-hour reminder is skipped, the 2-hour one is owed, the notice goes.
        holds.patient_condition_update(patient_condition=record, by=practitioner_user(), active=False)
        now = statuses(visit)
        assert now["reminder_48h"] == ReminderStatus.SKIPPED
        assert now["reminder_2h"] == ReminderStatus.PENDING and now["confirmation"] == ReminderStatus.PENDING
        reminders_dispatch_due()
    assert [message.to for message in mailoutbox] == [[visit.patient.email]]


def test_a_held_appointment_is_still_cancelled_with_the_ordinary_email(clinic, thinner, day, mailoutbox):
    condition, _ = thinner
    visit = book(clinic, local_time(day, 10))
    holds.patient_condition_record(patient=visit.patient, condition=condition, by=practitioner_user())
    appointment_cancel(appointment=visit, by=factories.front_desk_user(), reason="Patient asked")
    kinds = statuses(visit)
    assert kinds["cancellation"] == ReminderStatus.PENDING
    assert {kinds[k] for k in kinds if k != "cancellation"} == {ReminderStatus.CANCELLED}
    reminders_dispatch_due()
    assert len(mailoutbox) == 1 and "Anticoagulant" not in mailoutbox[0].body


def test_the_midnight_task_finds_the_locations_whose_day_just_began_and_rescreens(clinic, thinner, day):
    condition, _ = thinner
    visit = book(clinic, local_time(day, 10))
    # A condition written past the services (a data fix): only the nightly re-screen catches it.
    PatientCondition.objects.create(patient=visit.patient, condition=condition, since=day - timedelta(days=30))
    midnight = local_time(day - timedelta(days=1), 0, 5)
    assert holds.locations_at_midnight(now=midnight) == [clinic.location]
    assert holds.locations_at_midnight(now=midnight + timedelta(hours=1)) == []
    with time_machine.travel(midnight, tick=False):
        assert holds.holds_rescreen_at_midnight(locations=[clinic.location]) == 1
    visit.refresh_from_db()
    assert visit.on_hold


def django_client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
