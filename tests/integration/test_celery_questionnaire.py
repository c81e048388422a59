"""The pre-visit questionnaire with real parts: a PRP booking's confirmation goes out through a Celery worker on
Redis to an SMTP server, the patient follows its questionnaire link and declares a blood thinner, the appointment
goes on hold at once; a practitioner rejecting the declaration lifts the hold through the same re-screen."""

import re

import pytest

from care import booking
from patients.models import PatientCondition
from scheduling.models import Appointment
from tests.factories import ConditionFactory, ContraindicationFactory, PatientFactory, future_weekday, local_time
from tests.integration.celery_harness import wait_for

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
QUESTIONNAIRE = re.compile(r"http://\S+/appointments/questionnaire/\S+/")


def body_of(message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


def test_a_blood_thinner_declared_in_the_questionnaire_holds_the_prp_visit_until_rejected(
    clinic, workers, smtp, client, practitioner_api
):
    thinner = ConditionFactory(code="anticoagulant-therapy", name="Anticoagulant therapy", kind="medication")
    ContraindicationFactory(condition=thinner, therapy_type=clinic.prp)
    workers.start(smtp.url)
    patient = PatientFactory()
    appointment = booking.appointment_book(
        patient=patient,
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[0],
        start=local_time(future_weekday(0, after_days=3), 10),
    )
    assert not Appointment.objects.get(pk=appointment.pk).on_hold

    confirmation = wait_for(
        lambda: next((m for m in smtp.received() if QUESTIONNAIRE.search(body_of(m))), None),
        timeout=30,
        what=f"the confirmation with its questionnaire link\n{workers.logs()}",
    )
    assert confirmation["To"] == patient.email
    url = QUESTIONNAIRE.search(body_of(confirmation)).group(0)

    form = client.get(url)
    assert form.status_code == 200 and "Anticoagulant therapy" in form.content.decode()
    answered = client.post(url, {"condition": [str(thinner.pk)], "other": ""})
    assert answered.status_code == 200 and "The clinic will contact you" in answered.content.decode()

    held = practitioner_api.get(f"/api/v1/appointments/{appointment.pk}/").json()
    assert held["on_hold"] is True and held["needs_attention"] is True
    declared = PatientCondition.objects.get(patient=patient, condition=thinner)
    assert (declared.source, declared.verified, declared.active) == ("patient", False, True)

    rejected = practitioner_api.post(
        f"/api/v1/patients/{patient.pk}/conditions/{declared.pk}/verify/", {"verified": False}, format="json"
    )
    assert rejected.status_code == 200 and rejected.json()["active"] is False
    assert practitioner_api.get(f"/api/v1/appointments/{appointment.pk}/").json()["on_hold"] is False
