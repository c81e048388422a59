"""Patient link pages check the link first, then read the form: bad input is a 400 page, never a 500, and changes
nothing; a bad link is refused as a bad link whatever the form holds."""

import re

import pytest

from care import booking
from messaging.emails import appointment_link_url
from patients.models import PatientCondition
from scheduling.models import QuestionnaireAnswer
from tests.factories import PatientFactory, future_weekday, local_time

pytestmark = pytest.mark.django_db


@pytest.fixture
def appointment(clinic):
    return booking.appointment_book(
        patient=PatientFactory(),
        therapy_type=clinic.prp,
        practitioner=clinic.practitioners[0],
        start=local_time(future_weekday(0, after_days=3), 10),
    )


def tampered(url: str) -> str:
    return re.sub(r"/([^/]+)/$", lambda m: "/" + m.group(1)[:-2] + "zz/", url)


BAD_STARTS = [
    "2026-13-45T10:00:00+00:00",
    "2027-03-01T25:00:00+00:00",
    "2027-03-01T10:00:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:00:00+00:00",
    "tomorrow",
    "２０２７-03-01T10:00:00+00:00",
    "",
]


@pytest.mark.parametrize("start", BAD_STARTS)
def test_a_reschedule_form_with_a_bad_time_is_a_400_page(appointment, client, start):
    url = appointment_link_url(appointment, action="reschedule")
    answer = client.post(url, {"start": start})
    assert answer.status_code == 400, answer.content[:300]
    assert "choose one of the times" in answer.content.decode()
    appointment.refresh_from_db()
    assert appointment.sequence == 0


@pytest.mark.parametrize("start", BAD_STARTS[:2])
def test_a_bad_reschedule_link_is_refused_before_the_form_is_read(appointment, client, start):
    answer = client.post(tampered(appointment_link_url(appointment, action="reschedule")), {"start": start})
    assert answer.status_code == 400 and "not valid" in answer.content.decode()
    assert "choose one of the times" not in answer.content.decode()


@pytest.mark.parametrize("condition", ["²", "１", "-1", "1.5", "x", "9" * 12])
def test_a_questionnaire_with_an_unreadable_answer_is_a_400_page_and_records_nothing(appointment, client, condition):
    url = appointment_link_url(appointment, action="questionnaire")
    answer = client.post(url, {"condition": [condition]})
    assert answer.status_code == 400, answer.content[:300]
    assert "could not be read" in answer.content.decode()
    assert not QuestionnaireAnswer.objects.exists() and not PatientCondition.objects.exists()
    assert client.post(url, {"condition": []}).status_code == 200  # the form can still be sent


def test_an_overlong_note_is_a_400_page(appointment, client):
    url = appointment_link_url(appointment, action="questionnaire")
    assert client.post(url, {"other": "x" * 2001}).status_code == 400
    assert not QuestionnaireAnswer.objects.exists()


def test_a_bad_questionnaire_link_is_refused_before_the_form_is_read(appointment, client):
    answer = client.post(tampered(appointment_link_url(appointment, action="questionnaire")), {"condition": ["²"]})
    assert answer.status_code == 400 and "not valid" in answer.content.decode()
    assert "could not be read" not in answer.content.decode()
