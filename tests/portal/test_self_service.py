"""Patient pages behind signed links: rescheduling to an offered alternative, joining the waitlist for something
earlier, and the pre-visit health questionnaire."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from care import booking
from messaging import reminders
from messaging.emails import appointment_link_url
from patients.choices import ConditionSource
from patients.models import AccessLog, PatientCondition
from scheduling.choices import ReminderStatus, WaitlistStatus
from scheduling.models import WaitlistEntry
from tests.factories import ConditionFactory, ContraindicationFactory, PatientFactory, future_weekday, local_time

pytestmark = pytest.mark.django_db
MONDAY = 0


@pytest.fixture
def appointment(clinic):
    return booking.appointment_book(
        patient=PatientFactory(),
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[0],
        start=local_time(future_weekday(MONDAY, after_days=3), 10),
    )


def test_the_confirmation_links_to_rescheduling_and_for_prp_to_the_questionnaire(appointment):
    reminders.reminders_dispatch_due()
    body = mail.outbox[0].body
    assert "/appointments/reschedule/" in body
    assert "/appointments/questionnaire/" in body


@pytest.fixture
def friday_evening(clock):
    """The page offers the first free times: from a Friday evening those are Monday's, more than 48 hours ahead."""
    clock.move_to(datetime(2030, 1, 11, 18, tzinfo=UTC))


def test_rescheduling_by_link_moves_the_appointment_and_its_reminders(friday_evening, appointment, client):
    url = appointment_link_url(appointment, action="reschedule")
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and 'type="radio"' in text
    offered = re.findall(r'name="start" value="([^"]+)"', text)
    assert offered
    new_start = datetime.fromisoformat(offered[-1])

    moved = client.post(url, {"start": new_start.isoformat()})
    assert moved.status_code == 200 and "has moved" in moved.content.decode()
    appointment.refresh_from_db()
    assert appointment.start == new_start and appointment.sequence == 1
    reminder = appointment.reminders.get(kind="reminder_48h")
    assert reminder.due_at == new_start - timedelta(hours=48)
    assert appointment.reminders.get(kind="rescheduled").status == ReminderStatus.PENDING
    # The old link is now outdated: it changes nothing and says so.
    again = client.post(url, {"start": new_start.isoformat()})
    assert again.status_code == 400 and "moved since" in again.content.decode()


def test_a_time_not_offered_is_refused(appointment, client):
    url = appointment_link_url(appointment, action="reschedule")
    before_opening = local_time(appointment.start.astimezone(appointment.location.zone).date(), 8)
    answer = client.post(url, {"start": before_opening.isoformat()})
    assert answer.status_code == 409
    appointment.refresh_from_db()
    assert appointment.sequence == 0


def test_put_me_on_the_waitlist_for_something_earlier(appointment, client):
    url = appointment_link_url(appointment, action="reschedule")
    answer = client.post(url, {"answer": "earlier"})
    assert answer.status_code == 200 and "waiting list" in answer.content.decode()
    entry = WaitlistEntry.objects.get()
    assert (entry.appointment, entry.practitioner, entry.status) == (
        appointment,
        appointment.practitioner,
        WaitlistStatus.WAITING,
    )
    client.post(url, {"answer": "earlier"})
    assert WaitlistEntry.objects.count() == 1


def test_a_declared_blood_thinner_becomes_an_unverified_patient_condition(clinic, appointment, client):
    thinner = ConditionFactory(code="anticoagulant-therapy", name="Anticoagulant therapy", kind="medication")
    ContraindicationFactory(condition=thinner, therapy_type=clinic.prp)
    url = appointment_link_url(appointment, action="questionnaire")
    form = client.get(url).content.decode()
    assert "Anticoagulant therapy" in form and "<script" not in form

    answer = client.post(url, {"condition": [str(thinner.pk)], "other": ""})
    text = answer.content.decode()
    assert answer.status_code == 200 and "The clinic will contact you" in text
    assert "contraindication" not in text.lower() and "absolute" not in text.lower()
    record = PatientCondition.objects.get(patient=appointment.patient, condition=thinner)
    assert (record.source, record.verified, record.active) == (ConditionSource.PATIENT, False, True)

    used = client.post(url, {"condition": []})
    assert used.status_code == 409 and "already sent" in used.content.decode()


def test_practitioner_verifies_or_rejects_a_declared_condition(appointment, practitioner_api, front_desk_api):
    record = PatientCondition.objects.create(
        patient=appointment.patient, condition=ConditionFactory(), source="patient", verified=False
    )
    url = f"/api/v1/patients/{record.patient_id}/conditions/{record.pk}/verify/"
    assert front_desk_api.post(url, {"verified": True}, format="json").status_code == 403
    assert practitioner_api.post(url, {"verified": "maybe"}, format="json").status_code == 400
    answer = practitioner_api.post(url, {"verified": True}, format="json")
    assert answer.status_code == 200
    assert answer.json()["verified"] is True and answer.json()["source"] == "patient"
    rejected = practitioner_api.post(url, {"verified": False}, format="json").json()
    assert (rejected["verified"], rejected["active"]) == (False, False)
    record.refresh_from_db()
    assert record.verified_by == practitioner_api.user
    assert AccessLog.objects.filter(patient=record.patient, endpoint=url, user=practitioner_api.user).count() == 2


def test_a_tampered_questionnaire_link_changes_nothing(appointment, client):
    url = appointment_link_url(appointment, action="questionnaire")
    answer = client.post(re.sub(r"/([^/]+)/$", lambda m: "/" + m.group(1)[:-2] + "zz/", url), {"condition": []})
    assert answer.status_code == 400 and "not valid" in answer.content.decode()
