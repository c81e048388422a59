"""GET /api/v1/schedule/: what the desk shades (contract v1.2): per practitioner the working intervals, time off and
the location's closures over at most 31 local days, in the location's zone across DST."""

from datetime import date

import pytest

from scheduling.models import LocationClosure
from tests.factories import PractitionerFactory, TimeOffFactory, WorkingHoursFactory, local_time

pytestmark = pytest.mark.django_db

URL = "/api/v1/schedule/"
MONDAY = date(2030, 3, 25)  # the week London's clocks go forward (Sunday 31 March 2030)


def week(front_desk_api, clinic, first=MONDAY, days=7):
    last = date.fromordinal(first.toordinal() + days - 1)
    return front_desk_api.get(
        URL, {"location": clinic.location.pk, "date_from": first.isoformat(), "date_to": last.isoformat()}
    )


def test_a_week_of_working_hours_time_off_and_closures(front_desk_api, clinic):
    first, second = clinic.practitioners
    TimeOffFactory(practitioner=first, start=local_time(date(2030, 3, 26), 9), end=local_time(date(2030, 3, 26), 12))
    LocationClosure.objects.create(location=clinic.location, date=date(2030, 3, 29), name="Good Friday")

    answer = week(front_desk_api, clinic)

    assert answer.status_code == 200
    body = answer.json()
    assert body["time_zone"] == "Europe/London"
    assert body["closures"] == [{"date": "2030-03-29", "name": "Good Friday"}]
    by_id = {row["id"]: row for row in body["practitioners"]}
    assert set(by_id) == {first.pk, second.pk}
    working = by_id[first.pk]["working"]
    # Monday to Thursday 09:00-17:00 (GMT that week); Friday is closed, the weekend is not worked.
    assert [row["start"] for row in working] == [f"2030-03-{day}T09:00:00Z" for day in (25, 26, 27, 28)]
    assert working[0]["end"] == "2030-03-25T17:00:00Z"
    assert by_id[first.pk]["time_off"] == [{"start": "2030-03-26T09:00:00Z", "end": "2030-03-26T12:00:00Z"}]
    assert by_id[second.pk]["time_off"] == []


def test_working_hours_keep_their_local_time_after_the_clocks_change(front_desk_api, clinic):
    answer = week(front_desk_api, clinic, first=date(2030, 4, 1), days=1)
    starts = {row["start"] for row in answer.json()["practitioners"][0]["working"]}
    assert starts == {"2030-04-01T08:00:00Z"}  # 09:00 BST


def test_an_inactive_practitioner_or_one_of_another_location_is_left_out(front_desk_api, clinic):
    clinic.practitioners[1].active = False
    clinic.practitioners[1].save()
    elsewhere = PractitionerFactory()
    WorkingHoursFactory(practitioner=elsewhere, weekday=0)
    answer = week(front_desk_api, clinic)
    assert [row["id"] for row in answer.json()["practitioners"]] == [clinic.practitioners[0].pk]


@pytest.mark.parametrize(
    "params,field",
    [
        ({"date_from": "2030-03-01", "date_to": "2030-04-01"}, "date_to"),
        ({"date_from": "2030-03-02", "date_to": "2030-03-01"}, "date_to"),
        ({"date_from": "2030-03-01"}, "date_to"),
        ({"date_from": "yesterday", "date_to": "2030-03-01"}, "date_from"),
    ],
)
def test_a_bad_range_is_a_400_naming_the_field(front_desk_api, clinic, params, field):
    answer = front_desk_api.get(URL, {"location": clinic.location.pk, **params})
    assert answer.status_code == 400
    assert answer.json()["code"] == "validation_error"
    assert field in answer.json()["errors"]


def test_a_month_is_the_same_four_queries(front_desk_api, clinic, django_assert_max_num_queries):
    for _ in range(3):
        extra = PractitionerFactory(locations=[clinic.location])
        WorkingHoursFactory(practitioner=extra, location=clinic.location, weekday=2)
        TimeOffFactory(practitioner=extra, start=local_time(MONDAY, 9), end=local_time(MONDAY, 10))
    with django_assert_max_num_queries(8):  # 4 + authentication and the token's bookkeeping
        answer = week(front_desk_api, clinic, days=31)
    assert answer.status_code == 200
    assert len(answer.json()["practitioners"]) == 5


def test_the_schedule_needs_a_signed_in_staff_member(api_client, clinic):
    answer = api_client.get(URL, {"location": clinic.location.pk, "date_from": "2030-03-25", "date_to": "2030-03-25"})
    assert answer.status_code == 401
