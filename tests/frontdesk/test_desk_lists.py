"""The API filter behind the desk's "patients with no email" list (a call list for the front desk)."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_patients_without_an_email_are_listed_for_the_desk(front_desk_api, django_assert_max_num_queries):
    factories.PatientFactory(first_name="Has", last_name="Email")
    no_email = [factories.PatientFactory(email="", last_name=f"Phone{n}") for n in range(3)]

    with django_assert_max_num_queries(6):
        response = front_desk_api.get("/api/v1/patients/", {"has_email": "false"})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [p.id for p in no_email]


def test_has_email_true_lists_only_patients_the_clinic_can_email(front_desk_api):
    reachable = factories.PatientFactory()
    factories.PatientFactory(email="")

    response = front_desk_api.get("/api/v1/patients/", {"has_email": "true"})

    assert [row["id"] for row in response.json()["results"]] == [reachable.id]
