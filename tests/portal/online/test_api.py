"""The public online-booking API end to end, anonymously: catalog, slots, questions, a request, its link."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from patients.models import Patient, PatientCondition
from portal.online.models import BookingRequest
from scheduling.models import Appointment, SlotHold
from tests import factories
from tests.portal.online.conftest import link_from_email, request_body, send_emails

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor():
    return APIClient()


def test_the_catalog_lists_only_what_is_bookable_online(online, visitor):
    factories.LocationFactory(name="Satellite")  # not open to online booking
    body = visitor.get("/api/v1/public/catalog/").json()
    assert body["locations"] == [{"id": online.location.pk, "name": "Main clinic", "time_zone": "Europe/London"}]
    codes = {therapy["code"]: therapy for therapy in body["therapy_types"]}
    assert set(codes) == {"prp", "exosome"}
    assert {p["name"] for p in codes["exosome"]["products"]} == {"Plant exosomes", "Fish exosomes"}
    assert set(codes["prp"]) == {"id", "code", "name", "session_minutes", "products"}


def test_slots_name_the_practitioner_only(online, visitor):
    response = visitor.get(
        "/api/v1/public/slots/",
        {"therapy_type": online.prp.pk, "location": online.location.pk, "date": online.day.isoformat(), "days": 2},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["slots"] and body["more"] is False
    first = body["slots"][0]
    assert set(first) == {"start", "end", "practitioner"}
    assert set(first["practitioner"]) == {"id", "display_name"}
    assert first["start"].startswith(online.day.isoformat() + "T09:00")


@pytest.mark.parametrize(
    "query",
    [{"days": 15}, {"days": 0}, {"date": "tomorrow"}, {"therapy_type": 999999}, {"therapy_type": "1.5"}],
)
def test_bad_slot_queries_are_400s(online, visitor, query):
    params = {"therapy_type": online.prp.pk, "location": online.location.pk, "date": online.day.isoformat()}
    params.update(query)
    response = visitor.get("/api/v1/public/slots/", params)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_questions_follow_the_rules(online, visitor):
    body = visitor.get("/api/v1/public/questions/", {"therapy_type": online.prp.pk}).json()
    assert [q["code"] for q in body["questions"]] == ["anticoagulant-therapy", "pregnancy"]
    assert all("rule" not in q["text"].lower() for q in body["questions"])
    infection = factories.ConditionFactory(code="active-skin-infection", name="Active skin infection")
    factories.ContraindicationFactory(condition=infection, therapy_type=online.prp)
    codes = [
        q["code"] for q in visitor.get("/api/v1/public/questions/", {"therapy_type": online.prp.pk}).json()["questions"]
    ]
    assert "active-skin-infection" in codes  # a new rule adds a question


def test_a_request_holds_the_slot_and_its_link_books_it(online, visitor, client):
    response = visitor.post("/api/v1/public/booking-requests/", request_body(online), format="json")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending"
    hold = SlotHold.objects.get()
    assert hold.start == online.nine and hold.status == "held"

    # Held: nobody else is offered it; the desk cannot book it.
    slots = visitor.get(
        "/api/v1/public/slots/",
        {"therapy_type": online.prp.pk, "location": online.location.pk, "date": online.day.isoformat()},
    ).json()["slots"]
    assert all(slot["start"] != online.nine.isoformat().replace("+00:00", "Z") for slot in slots)
    assert not any(s["start"].endswith("09:00:00Z") for s in slots)
    again = visitor.post(
        "/api/v1/public/booking-requests/", request_body(online, email="other@example.com"), format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "slot_unavailable"

    [message] = send_emails()
    assert message.to == ["grace@example.com"]
    link = link_from_email(message)
    page = client.get(link)
    assert page.status_code == 200 and b"Confirm my booking" in page.content
    done = client.post(link)
    assert done.status_code == 200 and b"Your appointment is booked" in done.content
    appointment = Appointment.objects.get()
    assert appointment.start == online.nine and appointment.patient.source == "online"
    assert appointment.patient.phone == "+447700900123"
    hold.refresh_from_db()
    assert hold.status == "booked"
    request = BookingRequest.objects.get()
    assert request.status == "booked" and request.appointment == appointment
    # A second click changes nothing.
    assert b"Your appointment is booked" in client.post(link).content
    assert Appointment.objects.count() == 1


def test_a_returning_patient_is_matched_by_email_and_date_of_birth(online, visitor, client):
    known = factories.PatientFactory(
        first_name="Grace", last_name="Hopper", email="Grace@Example.com", date_of_birth="1985-12-09"
    )
    visitor.post("/api/v1/public/booking-requests/", request_body(online), format="json")
    client.post(link_from_email(send_emails()[0]))
    assert Appointment.objects.get().patient == known
    assert Patient.objects.count() == 1
    assert BookingRequest.objects.get().possible_duplicate is False


def test_same_name_and_birthday_with_another_email_is_a_possible_duplicate(online, visitor, client):
    other = factories.PatientFactory(
        first_name="Grace", last_name="Hopper", email="gh@work.example", date_of_birth="1985-12-09"
    )
    visitor.post("/api/v1/public/booking-requests/", request_body(online), format="json")
    client.post(link_from_email(send_emails()[0]))
    request = BookingRequest.objects.get()
    assert request.possible_duplicate and request.duplicate_of == [other.pk]
    assert request.patient != other and request.status == "booked"


def test_a_relative_finding_books_on_hold(online, visitor, client):
    visitor.post(
        "/api/v1/public/booking-requests/",
        request_body(online, answers={"anticoagulant-therapy": False, "pregnancy": True}),
        format="json",
    )
    page = client.post(link_from_email(send_emails()[0]))
    assert b"will confirm" in page.content and b"regnan" not in page.content
    appointment = Appointment.objects.get()
    assert appointment.on_hold
    declared = PatientCondition.objects.get(patient=appointment.patient)
    assert declared.condition == online.pregnancy and declared.source == "patient" and declared.verified is False
    assert BookingRequest.objects.get().status == "on_hold"


def test_an_absolute_finding_books_nothing_and_asks_for_a_call_back(
    online, visitor, client, front_desk_api, practitioner_api
):
    visitor.post(
        "/api/v1/public/booking-requests/",
        request_body(online, answers={"anticoagulant-therapy": True, "pregnancy": False}),
        format="json",
    )
    page = client.post(link_from_email(send_emails()[0]))
    assert b"will call you" in page.content and b"nticoagulant" not in page.content
    assert not Appointment.objects.exists()
    assert SlotHold.objects.get().status == "released"
    request = BookingRequest.objects.get()
    assert request.status == "call_back" and request.call_back

    desk = front_desk_api.get("/api/v1/online-requests/", {"needs_attention": "true"}).json()
    assert [item["attention_reason"] for item in desk["results"]] == ["Call back about an online request."]
    assert "answers" not in desk["results"][0]
    clinical = practitioner_api.get("/api/v1/online-requests/", {"needs_attention": "true"}).json()
    assert "Anticoagulant therapy (absolute)" in clinical["results"][0]["attention_reason"]
    assert clinical["results"][0]["answers"] == {"anticoagulant-therapy": True, "pregnancy": False}


def test_at_most_two_pending_requests_per_email(online, visitor):
    for hour in (9, 11):
        start = factories.local_time(online.day, hour).isoformat()
        assert (
            visitor.post(
                "/api/v1/public/booking-requests/", request_body(online, start=start), format="json"
            ).status_code
            == 202
        )
    third = visitor.post(
        "/api/v1/public/booking-requests/",
        request_body(online, start=factories.local_time(online.day, 14).isoformat(), email="GRACE@example.com"),
        format="json",
    )
    assert third.status_code == 429 and third.json()["code"] == "throttled"
    assert int(third["Retry-After"]) > 0
    assert SlotHold.objects.count() == 2


def test_the_honeypot_is_answered_alike_and_does_nothing(online, visitor):
    response = visitor.post(
        "/api/v1/public/booking-requests/", request_body(online, website="http://spam.example"), format="json"
    )
    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert not SlotHold.objects.exists() and not BookingRequest.objects.exists()
    assert not send_emails()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"answers": {"pregnancy": False}}, "answers"),
        ({"answers": {"anticoagulant-therapy": False, "pregnancy": False, "made-up": True}}, "answers"),
        ({"answers": {"anticoagulant-therapy": "no", "pregnancy": False}}, "answers"),
        ({"phone": "call me"}, "phone"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"start": "2030-01-09T09:00:00"}, "start"),
        ({"email": "not-an-email"}, "email"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_bad_requests_are_400s_naming_the_field(online, visitor, change, field):
    response = visitor.post("/api/v1/public/booking-requests/", request_body(online, **change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not SlotHold.objects.exists()


def test_too_soon_or_too_far_is_refused(online, visitor):
    now = factories.clock.now()
    for start in (now + timedelta(hours=1), now + timedelta(days=61)):
        body = request_body(online, start=start.replace(minute=0, second=0, microsecond=0).isoformat())
        response = visitor.post("/api/v1/public/booking-requests/", body, format="json")
        assert response.status_code == 400 and "start" in response.json()["errors"]


def test_known_and_unknown_emails_get_the_same_answer_emails_and_queries(online, visitor):
    factories.PatientFactory(first_name="Ada", last_name="Known", email="known@example.com", date_of_birth="1985-12-09")
    answers, queries, bodies = [], [], []
    for hour, email in ((9, "known@example.com"), (11, "unknown@example.com")):
        body = request_body(online, email=email, start=factories.local_time(online.day, hour).isoformat())
        with CaptureQueriesContext(connection) as captured:
            response = visitor.post("/api/v1/public/booking-requests/", body, format="json")
        answers.append((response.status_code, sorted(response.json())))
        queries.append(len(captured))
    mail.outbox.clear()
    emails = send_emails()
    for message in emails:
        bodies.append(message.body.split("/book/requests/")[0].replace(message.to[0], "EMAIL"))
    assert answers[0] == answers[1] == (202, ["expires_at", "status"])
    assert queries[0] == queries[1]
    assert [m.subject for m in emails][0] == [m.subject for m in emails][1]
    assert bodies[0].replace("09:00", "T").replace("11:00", "T") == bodies[1].replace("09:00", "T").replace(
        "11:00", "T"
    )


def test_the_desk_is_neither_offered_nor_allowed_a_held_slot(online, visitor, front_desk_api):
    practitioner = online.clinic.practitioners[0]
    visitor.post("/api/v1/public/booking-requests/", request_body(online, practitioner=practitioner.pk), format="json")
    end = online.nine + timedelta(hours=1)
    offered = front_desk_api.get(
        "/api/v1/availability/",
        {
            "therapy_type": online.prp.pk,
            "location": online.location.pk,
            "start": online.nine.isoformat(),
            "end": end.isoformat(),
        },
    ).json()["slots"]
    assert offered == []  # one centrifuge, and it is held
    patient = factories.PatientFactory()
    refused = front_desk_api.post(
        "/api/v1/appointments/",
        {
            "patient": patient.pk,
            "therapy_type": online.prp.pk,
            "practitioner": practitioner.pk,
            "start": online.nine.isoformat(),
        },
        format="json",
    )
    assert refused.status_code == 409 and refused.json()["code"] == "slot_unavailable"
    pending = front_desk_api.get("/api/v1/online-requests/", {"status": "pending"}).json()["results"]
    assert [(item["start"][:16], item["practitioner"]) for item in pending] == [
        (online.nine.isoformat()[:16], practitioner.pk)
    ]


def test_the_public_api_is_throttled_per_address(online, visitor, settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], public="2/hour")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    answers = [
        visitor.post(
            "/api/v1/public/booking-requests/",
            request_body(
                online, email=f"v{hour}@example.com", start=factories.local_time(online.day, hour).isoformat()
            ),
            format="json",
        )
        for hour in (9, 11, 14)
    ]
    assert [answer.status_code for answer in answers] == [202, 202, 429]
    assert answers[2].json()["code"] == "throttled" and int(answers[2]["Retry-After"]) > 0


def test_the_staff_list_of_online_requests_costs_the_same_for_many(online, visitor, front_desk_api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert front_desk_api.get("/api/v1/online-requests/").status_code == 200
        return len(captured)

    visitor.post("/api/v1/public/booking-requests/", request_body(online), format="json")
    one = count()
    for hour in (11, 14):
        visitor.post(
            "/api/v1/public/booking-requests/",
            request_body(
                online, email=f"v{hour}@example.com", start=factories.local_time(online.day, hour).isoformat()
            ),
            format="json",
        )
    assert count() == one


def at(online, hour: int) -> str:
    return factories.local_time(online.day, hour).isoformat()
