"""What the front desk's week view asks in one request: a location's appointments over local days
(`date_from`/`date_to`, at most 31 days), the closures on those days, and availability that says when it left slots
out (`more`)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling.models import LocationClosure
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def appointment(clinic, start: datetime, *, minutes=60, practitioner=0, room=0, location=None):
    return factories.AppointmentFactory(
        practitioner=clinic.practitioners[practitioner],
        location=location or clinic.location,
        room=clinic.rooms[room] if location is None else factories.RoomFactory(location=location),
        therapy_type=clinic.exosome,
        start=start,
        end=start + timedelta(minutes=minutes),
    )


def listed(client, **params) -> list[int]:
    response = client.get("/api/v1/appointments/", params)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def week(monday: date) -> dict:
    return {"date_from": monday.isoformat(), "date_to": (monday + timedelta(days=6)).isoformat()}


def test_a_week_of_one_location_in_one_request_by_local_days(front_desk_api, clinic):
    monday = factories.future_weekday(0, after_days=14)
    inside = [appointment(clinic, datetime.combine(monday + timedelta(days=n), time(10), LONDON)) for n in range(7)]
    # 23:30 on the Sunday before and 00:00 on the Monday after, local time: outside the week.
    appointment(clinic, datetime.combine(monday - timedelta(days=1), time(23, 0), LONDON), minutes=30)
    appointment(clinic, datetime.combine(monday + timedelta(days=7), time(0, 0), LONDON), minutes=30)
    elsewhere = factories.LocationFactory(name="Second clinic")
    appointment(clinic, datetime.combine(monday, time(12), LONDON), location=elsewhere, practitioner=1)
    body = front_desk_api.get("/api/v1/appointments/", {**week(monday), "location": clinic.location.pk}).json()
    assert [row["id"] for row in body["results"]] == [a.pk for a in inside]
    assert body["count"] == 7 and body["next"] is None
    assert body["closures"] == []


def test_the_range_is_read_in_the_locations_time_zone(front_desk_api, clinic):
    new_york = factories.LocationFactory(name="NY clinic", time_zone="America/New_York")
    monday = factories.future_weekday(0, after_days=14)
    # 21:00 Monday in New York is 02:00 Tuesday in London (UTC): Monday for New York.
    late = appointment(clinic, datetime.combine(monday, time(21), NEW_YORK), location=new_york)
    assert listed(front_desk_api, date_from=monday, date_to=monday, location=new_york.pk) == [late.pk]
    tuesday = monday + timedelta(days=1)
    assert listed(front_desk_api, date_from=tuesday, date_to=tuesday, location=new_york.pk) == []


def test_a_week_across_the_clocks_going_forward_keeps_its_local_edges(front_desk_api, clinic):
    # Europe/London springs forward on the last Sunday of March: 2031-03-30.
    monday, sunday = date(2031, 3, 24), date(2031, 3, 30)
    last_hour = appointment(clinic, datetime(2031, 3, 30, 23, 0, tzinfo=LONDON), minutes=30)  # 22:00 UTC
    first_hour = appointment(clinic, datetime(2031, 3, 24, 0, 0, tzinfo=LONDON), minutes=30)  # 00:00 UTC
    after = appointment(clinic, datetime(2031, 3, 31, 0, 0, tzinfo=LONDON), minutes=30)  # 23:00 UTC Sunday
    found = listed(front_desk_api, date_from=monday, date_to=sunday, location=clinic.location.pk)
    assert found == [first_hour.pk, last_hour.pk]
    assert after.pk not in found


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2030-01-01", "date_to": "2030-02-01"}, "date_to"),  # 32 days
        ({"date_from": "2030-01-10", "date_to": "2030-01-09"}, "date_to"),
        ({"date_from": "2030-01-10"}, "date_to"),
        ({"date_to": "2030-01-10"}, "date_from"),
        ({"date": "2030-01-10", "date_from": "2030-01-10", "date_to": "2030-01-11"}, "date"),
        ({"date_from": "9999-12-31", "date_to": "9999-12-31"}, "date_from"),
        ({"date_from": "2030-13-01", "date_to": "2030-01-11"}, "date_from"),
    ],
)
def test_a_range_beyond_the_limits_is_a_400_naming_the_field(front_desk_api, params, field):
    response = front_desk_api.get("/api/v1/appointments/", params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["errors"]


def test_thirty_one_days_is_allowed(front_desk_api, clinic):
    response = front_desk_api.get("/api/v1/appointments/", {"date_from": "2030-01-01", "date_to": "2030-01-31"})
    assert response.status_code == 200


def test_page_size_brings_a_busy_week_in_one_page(front_desk_api, clinic):
    monday = factories.future_weekday(0, after_days=14)
    for day in range(5):
        for hour in range(8, 20):
            for who in (0, 1):
                appointment(
                    clinic,
                    datetime.combine(monday + timedelta(days=day), time(hour), LONDON),
                    practitioner=who,
                    room=who,
                )
    params = {**week(monday), "location": clinic.location.pk}
    assert front_desk_api.get("/api/v1/appointments/", params).json()["next"] is not None  # 120 > the default 50
    body = front_desk_api.get("/api/v1/appointments/", {**params, "page_size": 500}).json()
    assert body["count"] == 120 and len(body["results"]) == 120 and body["next"] is None


def test_the_week_takes_the_same_queries_whatever_its_rows(front_desk_api, clinic):
    monday = factories.future_weekday(0, after_days=14)
    url_params = {**week(monday), "location": clinic.location.pk, "page_size": 500}

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert front_desk_api.get("/api/v1/appointments/", url_params).status_code == 200
        return len(captured)

    appointment(clinic, datetime.combine(monday, time(9), LONDON))
    few = queries()
    for day in range(5):
        for hour in range(10, 17):
            appointment(clinic, datetime.combine(monday + timedelta(days=day), time(hour), LONDON), practitioner=1)
    assert queries() == few


def test_the_day_list_and_the_week_answer_the_closures_on_their_days(front_desk_api, clinic):
    monday = factories.future_weekday(0, after_days=14)
    closed = LocationClosure.objects.create(location=clinic.location, date=monday + timedelta(days=2), name="Refit")
    other = factories.LocationFactory(name="Second clinic")
    LocationClosure.objects.create(location=other, date=monday + timedelta(days=2), name="Elsewhere")
    LocationClosure.objects.create(location=clinic.location, date=monday + timedelta(days=9), name="Next week")
    body = front_desk_api.get("/api/v1/appointments/", {**week(monday), "location": clinic.location.pk}).json()
    assert body["closures"] == [
        {"id": closed.pk, "location": clinic.location.pk, "date": closed.date.isoformat(), "name": "Refit"}
    ]
    day = front_desk_api.get("/api/v1/appointments/", {"date": closed.date, "location": clinic.location.pk}).json()
    assert [row["name"] for row in day["closures"]] == ["Refit"]
    assert "closures" not in front_desk_api.get("/api/v1/appointments/").json()


def test_the_location_closures_endpoint(front_desk_api, clinic):
    LocationClosure.objects.create(location=clinic.location, date=date(2030, 12, 25), name="Christmas Day")
    LocationClosure.objects.create(location=clinic.location, date=date(2030, 12, 26), name="Boxing Day")
    url = f"/api/v1/locations/{clinic.location.pk}/closures/"
    response = front_desk_api.get(url, {"date_from": "2030-12-25", "date_to": "2030-12-25"})
    assert response.status_code == 200
    assert [row["name"] for row in response.json()] == ["Christmas Day"]
    assert front_desk_api.get(url, {"date_from": "2030-12-26"}).status_code == 400


def test_a_patients_history_latest_first(front_desk_api, clinic):
    patient = factories.PatientFactory()
    first = appointment(clinic, datetime(2030, 1, 7, 10, tzinfo=LONDON))
    second = appointment(clinic, datetime(2030, 2, 7, 10, tzinfo=LONDON))
    first.patient = second.patient = patient
    first.save()
    second.save()
    assert listed(front_desk_api, patient=patient.pk, ordering="-start") == [second.pk, first.pk]
    assert listed(front_desk_api, patient=patient.pk) == [first.pk, second.pk]


# --- availability: nothing cut off silently ----------------------------------------------------------------


def availability(client, clinic, monday: date, **params):
    response = client.get(
        "/api/v1/availability/",
        {
            "therapy_type": clinic.exosome.pk,
            "location": clinic.location.pk,
            "start": datetime.combine(monday, time(0), LONDON).isoformat(),
            "end": datetime.combine(monday + timedelta(days=7), time(0), LONDON).isoformat(),
            **params,
        },
    )
    assert response.status_code == 200, response.content
    return response.json()


def local_days(body) -> list[date]:
    return sorted({datetime.fromisoformat(slot["start"]).astimezone(LONDON).date() for slot in body["slots"]})


def test_a_limit_that_cuts_says_more_and_spreads_the_slots_over_the_days(front_desk_api, clinic):
    monday = factories.future_weekday(0, after_days=14)
    body = availability(front_desk_api, clinic, monday, limit=40)
    assert body["more"] is True
    assert len(body["slots"]) == 40
    assert local_days(body) == [monday + timedelta(days=n) for n in range(5)]  # Monday to Friday, not Monday only
    starts = [slot["start"] for slot in body["slots"]]
    assert starts == sorted(starts)


def test_all_slots_within_the_limit_say_no_more(front_desk_api, clinic):
    monday = factories.future_weekday(0, after_days=14)
    everything = availability(front_desk_api, clinic, monday, limit=200)
    assert everything["more"] is True  # two practitioners, five days, ~30 starts a day each
    one_day = availability(
        front_desk_api,
        clinic,
        monday,
        end=datetime.combine(monday, time(10), LONDON).isoformat(),
        limit=200,
    )
    assert one_day["more"] is False
    assert len(one_day["slots"]) > 0


def test_exactly_the_limit_is_not_more(front_desk_api, clinic):
    monday = factories.future_weekday(0, after_days=14)
    end = datetime.combine(monday, time(10), LONDON).isoformat()
    total = len(availability(front_desk_api, clinic, monday, end=end, limit=200)["slots"])
    assert availability(front_desk_api, clinic, monday, end=end, limit=total)["more"] is False
    assert availability(front_desk_api, clinic, monday, end=end, limit=total - 1)["more"] is True


def test_availability_skips_a_closed_day(front_desk_api, clinic):
    monday = factories.future_weekday(0, after_days=14)
    LocationClosure.objects.create(location=clinic.location, date=monday + timedelta(days=1), name="Bank holiday")
    body = availability(front_desk_api, clinic, monday, limit=200)
    assert monday + timedelta(days=1) not in local_days(body)
    assert monday in local_days(body)
