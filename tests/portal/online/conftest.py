from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core import mail

from clinic.celery import app as celery_app
from portal.online.requests import booking_request_email_send
from tests import factories
from treatments.choices import Severity


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Tasks queued after commit are recorded instead of published; tests run what they need themselves."""
    queued = []
    monkeypatch.setattr(celery_app, "send_task", lambda name, args=None, **kwargs: queued.append((name, args)))
    return queued


@pytest.fixture
def online(db):
    """The test clinic open to online booking, with PRP rules: anticoagulants absolute, pregnancy relative."""
    clinic = factories.build_clinic()
    clinic.location.online_booking = True
    clinic.location.save()
    for therapy in (clinic.prp, clinic.exosome):
        therapy.online_booking = True
        therapy.save()
    anticoagulant = factories.ConditionFactory(
        code="anticoagulant-therapy", name="Anticoagulant therapy", kind="medication"
    )
    pregnancy = factories.ConditionFactory(code="pregnancy", name="Pregnancy")
    factories.ContraindicationFactory(condition=anticoagulant, therapy_type=clinic.prp, severity=Severity.ABSOLUTE)
    factories.ContraindicationFactory(condition=pregnancy, therapy_type=clinic.prp, severity=Severity.RELATIVE)
    day = factories.future_weekday(2, after_days=3)  # a Wednesday, past the 24 hours' notice
    return SimpleNamespace(
        clinic=clinic,
        location=clinic.location,
        prp=clinic.prp,
        exosome=clinic.exosome,
        day=day,
        nine=factories.local_time(day, 9),
        anticoagulant=anticoagulant,
        pregnancy=pregnancy,
    )


def request_body(online, **overrides) -> dict:
    body = {
        "therapy_type": online.prp.pk,
        "location": online.location.pk,
        "start": online.nine.isoformat(),
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@example.com",
        "phone": "07700 900123",
        "date_of_birth": "1985-12-09",
        "answers": {"anticoagulant-therapy": False, "pregnancy": False},
    }
    body.update(overrides)
    return body


def link_from_email(message) -> str:
    line = next(line for line in message.body.splitlines() if "/book/requests/" in line)
    return line.strip()[line.strip().index("/book/") :]


def send_emails():
    from portal.online.models import BookingRequest

    for pk in BookingRequest.objects.filter(email_sent_at__isnull=True).values_list("pk", flat=True):
        booking_request_email_send(request_id=pk)
    return mail.outbox


__all__ = ["request_body", "link_from_email", "send_emails", "timedelta"]
