"""GET /api/v1/availability/days/: the free starts of each day, the desk's day strip (issue 23, item 4)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients.choices import ConditionKind
from patients.models import AccessLog
from scheduling.models import LocationClosure
from tests import factories
from tests.api.test_errors import assert_error

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
URL = "/api/v1/availability/days/"


def midnight(day: date) -> str:
    return datetime.combine(day, time(0), LONDON).isoformat()


def query(clinic, monday: date, days: int = 7, **params) -> dict:
    return {
        "therapy_type": clinic.prp.pk,
        "location": clinic.location.pk,
        "start": midnight(monday),
        "end": midnight(monday + timedelta(days=days)),
        **params,
    }


def test_each_day_of_the_range_with_its_free_starts_closed_days_included(front_desk_api, clinic):
    monday = factories.future_weekday(0, after_days=7)
    LocationClosure.objects.create(location=clinic.location, date=monday + timedelta(days=2), name="Staff training")
    response = front_desk_api.get(URL, query(clinic, monday))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "days": [
            {"date": (monday + timedelta(days=n)).isoformat(), "free_starts": free}
            for n, free in enumerate([29, 29, 0, 29, 29, 0, 0])
        ]
    }


def test_the_count_of_a_day_is_the_distinct_starts_that_days_availability_offers(front_desk_api, clinic):
    monday = factories.future_weekday(0, after_days=7)
    factories.AppointmentFactory(
        practitioner=clinic.practitioners[0],
        location=clinic.location,
        room=clinic.rooms[0],
        device=clinic.centrifuge,
        therapy_type=clinic.prp,
        start=datetime.combine(monday, time(14), LONDON),
        end=datetime.combine(monday, time(15), LONDON),
    )
    days = front_desk_api.get(URL, query(clinic, monday, days=1)).json()["days"]
    slots = front_desk_api.get("/api/v1/availability/", {**query(clinic, monday, days=1), "limit": 200}).json()
    assert slots["more"] is False
    assert days == [{"date": monday.isoformat(), "free_starts": len({slot["start"] for slot in slots["slots"]})}]
    assert days[0]["free_starts"] < 29


def test_a_patient_who_cannot_have_the_therapy_is_409_with_names_only_for_the_desk(front_desk_api, clinic):
    monday = factories.future_weekday(0, after_days=7)
    condition = factories.ConditionFactory(
        code="anticoagulant-therapy", name="Anticoagulant therapy", kind=ConditionKind.MEDICATION
    )
    factories.ContraindicationFactory(condition=condition, therapy_type=clinic.prp, severity="absolute")
    patient = factories.PatientFactory()
    factories.PatientConditionFactory(patient=patient, condition=condition)
    body = assert_error(front_desk_api.get(URL, query(clinic, monday, patient=patient.pk)), 409, "contraindicated")
    assert body["blocking"] == [{"condition_name": "Anticoagulant therapy"}]
    other = factories.PatientFactory()
    assert front_desk_api.get(URL, query(clinic, monday, patient=other.pk)).status_code == 200
    assert set(AccessLog.objects.values_list("patient_id", flat=True)) == {other.pk}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"therapy_type": None}, "therapy_type"),
        ({"location": 10**6}, "location"),
        ({"start": "2030-01-07T00:00:00"}, "start"),
        ({"end": "2029-01-01T00:00:00+00:00"}, "end"),
        ({"end": "2031-01-01T00:00:00+00:00"}, "end"),
        ({"limit": 10}, "limit"),
    ],
    ids=["no therapy", "unknown location", "naive start", "end before start", "over 62 days", "no limit here"],
)
def test_a_malformed_query_is_a_400_naming_the_field(front_desk_api, clinic, change, field):
    params = query(clinic, date(2030, 1, 7)) | change
    params = {key: value for key, value in params.items() if value is not None}
    body = assert_error(front_desk_api.get(URL, params), 400, "validation_error")
    assert field in body["errors"]


def test_queries_do_not_grow_with_the_days(front_desk_api, clinic):
    monday = factories.future_weekday(0, after_days=7)
    patient = factories.PatientFactory()

    def queries(days: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert front_desk_api.get(URL, query(clinic, monday, days=days, patient=patient.pk)).status_code == 200
        return len(captured)

    assert queries(1) == queries(62)
