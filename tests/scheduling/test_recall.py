"""Lot status and recall: every recipient of a lot, plan session or one-off, page by page."""

from datetime import timedelta

import pytest
import time_machine

from care.booking import appointment_book, appointment_check_in, appointment_complete
from care.records import appointment_consent_record
from clinic.api.filters import Pagination
from scheduling.selectors import lot_recipients
from tests.factories import PatientFactory, ProductLotFactory, future_weekday, local_time, open_plan, practitioner_user
from treatments.choices import LotStatus

pytestmark = pytest.mark.django_db


def given(appointment, lot, by):
    with time_machine.travel(appointment.start + timedelta(minutes=5), tick=False):
        return appointment_complete(appointment=appointment_check_in(appointment=appointment), by=by, product_lot=lot)


@pytest.fixture
def recipients_of_lot(clinic):
    """Two plan sessions and one one-off given the lot, one one-off given another lot and one booked, not given."""
    practitioner = practitioner_user()
    lot = ProductLotFactory(product=clinic.plant_product, lot_number="EXO-RECALL")
    other = ProductLotFactory(product=clinic.plant_product, lot_number="EXO-FINE")
    monday = future_weekday(0)
    plan = open_plan(patient=PatientFactory(first_name="Ada"), product=clinic.plant_product, by=practitioner)
    first = appointment_book(
        patient=plan.patient,
        therapy_type=clinic.exosome,
        practitioner=clinic.practitioners[0],
        start=local_time(monday, 9),
        session=plan.sessions.get(sequence=1),
    )
    expected = [given(first, lot, practitioner)]
    for hour, name, its_lot in ((11, "Bob", lot), (12, "Cy", other), (13, "Dee", None)):
        visit = appointment_book(
            patient=PatientFactory(first_name=name),
            therapy_type=clinic.exosome,
            practitioner=clinic.practitioners[1],
            start=local_time(monday, hour),
            product=clinic.plant_product,
        )
        appointment_consent_record(appointment=visit, method="written", text_version="v1", by=practitioner)
        if its_lot is not None:
            done = given(visit, its_lot, practitioner)
            if its_lot == lot:
                expected.append(done)
    second_day = plan.sessions.get(sequence=2).window_start
    while second_day.weekday() >= 5:
        second_day += timedelta(days=1)
    second = appointment_book(
        patient=plan.patient,
        therapy_type=clinic.exosome,
        practitioner=clinic.practitioners[0],
        start=local_time(second_day, 10),
        session=plan.sessions.get(sequence=2),
    )
    expected.append(given(second, lot, practitioner))
    return lot, expected


def test_recipients_are_every_visit_given_the_lot_plan_or_one_off(recipients_of_lot, django_assert_num_queries):
    lot, expected = recipients_of_lot
    with django_assert_num_queries(1):
        rows = [(visit.pk, visit.patient.first_name, visit.session_id is not None) for visit in lot_recipients(lot)]
    assert rows == [(visit.pk, visit.patient.first_name, visit.session_id is not None) for visit in expected]
    assert [name for _, name, _ in rows] == ["Ada", "Bob", "Ada"]


def test_recall_marks_the_lot_and_answers_every_recipient(recipients_of_lot, practitioner_api, front_desk_api):
    lot, expected = recipients_of_lot
    assert (
        front_desk_api.post(f"/api/v1/product-lots/{lot.pk}/recall/", {"reason": "x"}, format="json").status_code == 403
    )
    no_reason = practitioner_api.post(f"/api/v1/product-lots/{lot.pk}/recall/", {}, format="json")
    assert no_reason.status_code == 400
    answer = practitioner_api.post(
        f"/api/v1/product-lots/{lot.pk}/recall/", {"reason": "Sterility failure"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["recipients_count"] == 3 and body["status"] == LotStatus.RECALLED
    assert [row["appointment"] for row in body["recipients"]] == [visit.pk for visit in expected]
    assert {row["patient_email"] for row in body["recipients"]} == {visit.patient.email for visit in expected}
    assert [row["sequence"] for row in body["recipients"]] == [1, None, 2]
    lot.refresh_from_db()
    assert (lot.status, lot.status_reason) == (LotStatus.RECALLED, "Sterility failure")
    assert practitioner_api.get(f"/api/v1/product-lots/{lot.pk}/").json()["status"] == "recalled"
    again = practitioner_api.post(f"/api/v1/product-lots/{lot.pk}/recall/", {"reason": "again"}, format="json")
    assert again.status_code == 409


def test_the_recipients_list_is_paginated_with_contact_details(
    recipients_of_lot, practitioner_api, front_desk_api, monkeypatch
):
    lot, expected = recipients_of_lot
    assert front_desk_api.get(f"/api/v1/product-lots/{lot.pk}/recipients/").status_code == 403
    monkeypatch.setattr(Pagination, "page_size", 2)
    first = practitioner_api.get(f"/api/v1/product-lots/{lot.pk}/recipients/").json()
    second = practitioner_api.get(first["next"]).json()
    assert first["count"] == 3 and len(first["results"]) == 2 and second["next"] is None
    rows = first["results"] + second["results"]
    assert [row["appointment"] for row in rows] == [visit.pk for visit in expected]
    assert set(rows[0]) >= {"patient", "patient_name", "patient_email", "patient_phone", "start", "treatment_date"}
    assert rows[0]["treatment_date"] == str(expected[0].start.date())
