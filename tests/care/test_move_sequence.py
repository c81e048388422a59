"""A move carries the appointment's `sequence` as the client read it: a move made meanwhile (the patient's link, a
colleague) is `409 conflict`, never silently overridden."""

import pytest

from tests import factories
from tests.conftest import api_client_for
from tests.factories import future_weekday, local_time

pytestmark = pytest.mark.django_db


def test_a_stale_move_is_a_conflict_and_changes_nothing(clinic):
    desk = api_client_for(factories.front_desk_user())
    colleague = api_client_for(factories.front_desk_user())
    day = future_weekday(2, after_days=3)
    booked = desk.post(
        "/api/v1/appointments/",
        {
            "patient": factories.PatientFactory().pk,
            "therapy_type": clinic.exosome.pk,
            "product": clinic.plant_product.pk,
            "practitioner": clinic.practitioners[0].pk,
            "start": local_time(day, 10).isoformat(),
        },
        format="json",
    ).json()
    assert booked["sequence"] == 0
    moved = colleague.post(
        f"/api/v1/appointments/{booked['id']}/reschedule/",
        {"start": local_time(day, 11).isoformat(), "sequence": 0},
        format="json",
    )
    assert moved.status_code == 200 and moved.json()["sequence"] == 1

    stale = desk.post(
        f"/api/v1/appointments/{booked['id']}/reschedule/",
        {"start": local_time(day, 14).isoformat(), "sequence": booked["sequence"]},
        format="json",
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict", stale.content
    now = desk.get(f"/api/v1/appointments/{booked['id']}/").json()
    assert (now["start"], now["sequence"]) == (moved.json()["start"], 1)

    fresh = desk.post(
        f"/api/v1/appointments/{booked['id']}/reschedule/",
        {"start": local_time(day, 14).isoformat(), "sequence": now["sequence"]},
        format="json",
    )
    assert fresh.status_code == 200 and fresh.json()["sequence"] == 2
    listed = desk.get(f"/api/v1/appointments/?date={day}").json()["results"]
    assert [row["sequence"] for row in listed] == [2]
