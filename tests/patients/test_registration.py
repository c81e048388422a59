"""Registering a patient: someone who may already be registered is a 409 possible_duplicate with the matches,
unless the desk says `allow_duplicate`; nothing is written on a refusal."""

from datetime import date

import pytest

from patients.models import Patient
from tests import factories

pytestmark = pytest.mark.django_db

ALICE = {
    "first_name": "Alice",
    "last_name": "Morgan",
    "date_of_birth": "1984-03-12",
    "email": "alice.morgan@example.com",
    "phone": "+447700900101",
}


@pytest.fixture
def alice():
    return factories.PatientFactory(
        first_name="Alice",
        last_name="Morgan",
        date_of_birth=date(1984, 3, 12),
        email="alice.morgan@example.com",
        phone="+447700900101",
    )


def test_registering_the_same_person_again_is_a_409_with_the_match(front_desk_api, alice):
    response = front_desk_api.post("/api/v1/patients/", ALICE, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "possible_duplicate"
    assert [match["id"] for match in body["matches"]] == [alice.pk]
    assert body["matches"][0]["matched_on"] == ["name_and_date_of_birth", "email", "phone"]
    assert body["matches"][0]["last_name"] == "Morgan"
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "matched_on"),
    [
        ({"first_name": "Alicé", "email": "", "phone": ""}, ["name_and_date_of_birth"]),
        ({"first_name": "Ali", "email": "", "phone": ""}, ["name_and_date_of_birth"]),
        ({"first_name": "Alice", "last_name": "Morgen", "email": "", "phone": ""}, ["name_and_date_of_birth"]),
        (
            {"first_name": "Bob", "date_of_birth": "1990-01-01", "email": "ALICE.MORGAN@example.com", "phone": ""},
            ["email"],
        ),
        ({"first_name": "Bob", "date_of_birth": "1990-01-01", "email": ""}, ["phone"]),
    ],
)
def test_a_similar_name_born_the_same_day_or_the_same_email_or_phone_is_a_match(
    front_desk_api, alice, change, matched_on
):
    response = front_desk_api.post("/api/v1/patients/", {**ALICE, **change}, format="json")
    assert response.status_code == 409
    assert response.json()["matches"][0]["matched_on"] == matched_on


def test_someone_else_is_registered_without_a_question(front_desk_api, alice):
    other = {**ALICE, "first_name": "Bob", "last_name": "Stone", "email": "bob@example.com", "phone": ""}
    assert front_desk_api.post("/api/v1/patients/", other, format="json").status_code == 201
    same_name_other_birthday = {**ALICE, "date_of_birth": "1990-05-05", "email": "", "phone": ""}
    assert front_desk_api.post("/api/v1/patients/", same_name_other_birthday, format="json").status_code == 201


def test_allow_duplicate_registers_anyway(front_desk_api, alice):
    response = front_desk_api.post("/api/v1/patients/", {**ALICE, "allow_duplicate": True}, format="json")
    assert response.status_code == 201
    assert "allow_duplicate" not in response.json()
    assert Patient.objects.filter(last_name="Morgan").count() == 2


def test_allow_duplicate_must_be_a_boolean(front_desk_api, alice):
    response = front_desk_api.post("/api/v1/patients/", {**ALICE, "allow_duplicate": "yes"}, format="json")
    assert response.status_code == 400
    assert "allow_duplicate" in response.json()["errors"]


NATIONAL_AND_INTERNATIONAL = ["07700 900199", "07700900199", "(07700) 900-199", "+44 7700 900199", "+447700900199"]


@pytest.mark.parametrize("typed", NATIONAL_AND_INTERNATIONAL)
def test_registration_takes_the_national_form_of_the_clinics_country_and_stores_e164(front_desk_api, settings, typed):
    settings.CLINIC_PHONE_REGION = "GB"
    body = {**ALICE, "email": "", "phone": typed}
    response = front_desk_api.post("/api/v1/patients/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["phone"] == "+447700900199"
    assert Patient.objects.get().phone == "+447700900199"
    found = front_desk_api.get("/api/v1/patients/", {"search": "07700 900199"}).json()["results"]
    assert [row["phone"] for row in found] == ["+447700900199"]


def test_the_country_setting_decides_how_a_national_number_is_stored(front_desk_api, settings):
    settings.CLINIC_PHONE_REGION = "FR"
    response = front_desk_api.post("/api/v1/patients/", {**ALICE, "phone": "06 12 34 56 78"}, format="json")
    assert response.status_code == 201
    assert response.json()["phone"] == "+33612345678"


NOT_NUMBERS = ["0770", "0770 0900", "call me", "07700 900199 or 07700 900198", "+44 7700 9001999999999"]


@pytest.mark.parametrize("typed", NOT_NUMBERS)
def test_what_is_not_a_phone_number_is_a_400_on_phone_and_nothing_is_written(front_desk_api, settings, typed):
    settings.CLINIC_PHONE_REGION = "GB"
    response = front_desk_api.post("/api/v1/patients/", {**ALICE, "phone": typed}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"phone"}
    assert "07700 900123" in response.json()["errors"]["phone"][0]
    assert not Patient.objects.exists()


def test_changing_a_phone_takes_the_national_form_too(front_desk_api, settings, alice):
    settings.CLINIC_PHONE_REGION = "GB"
    response = front_desk_api.patch(f"/api/v1/patients/{alice.pk}/", {"phone": "07700 900555"}, format="json")
    assert response.status_code == 200
    assert response.json()["phone"] == "+447700900555"
