"""PostgreSQL: a database built by the raw-SQL migrations moves to the rules declared in the models without losing
a row, and the declared rules refuse what the raw ones refused (overlaps per resource, appointments over 12 hours).
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from scheduling.booking import refusing_overlap
from scheduling.models import Appointment
from tests.migrating import at_migration, migrate_to_latest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RAW = [("scheduling", "0003_appointment_at_most_12_hours"), ("patients", "0003_patient_search_text_trigram")]
CONSTRAINTS = {
    "appointment_no_practitioner_overlap",
    "appointment_no_room_overlap",
    "appointment_no_device_overlap",
    "appointment_no_patient_overlap",
    "appointment_at_most_12_hours",
}
INDEXES = {
    "patient_search_text_trgm",
    "patient_first_name_trgm",
    "patient_last_name_trgm",
    "patient_email_trgm",
    "patient_phone_trgm",
}
# patients 0007: patient search reads the folded text (accents and case ignored) from an index of its own.
LATEST_INDEXES = INDEXES - {"patient_search_text_trgm"} | {"patient_search_folded_trgm"}
# Far from any real date: nothing else in the test database is near it.
TEN = datetime(2031, 3, 3, 10, tzinfo=UTC)


def database_rules() -> tuple[set, set]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'scheduling_appointment'::regclass AND conname = ANY(%s)",
            [list(CONSTRAINTS)],
        )
        constraints = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'patients_patient' AND indexname = ANY(%s)",
            [list(INDEXES | LATEST_INDEXES)],
        )
        indexes = {row[0] for row in cursor.fetchall()}
    return constraints, indexes


def small_clinic(apps) -> dict:
    """A clinic written with the models as they were at that migration (today's may have more columns)."""
    user = apps.get_model("auth", "User").objects.create(username="dr-raw")
    location = apps.get_model("scheduling", "Location").objects.create(name="Raw clinic", time_zone="Europe/London")
    therapy = apps.get_model("treatments", "TherapyType").objects.create(code="raw-prp", name="PRP", session_minutes=60)
    practitioner = apps.get_model("scheduling", "Practitioner").objects.create(user=user, display_name="Dr Raw")
    room_model = apps.get_model("scheduling", "Room")
    patient_model = apps.get_model("patients", "Patient")
    return dict(
        location=location,
        therapy_type=therapy,
        practitioner=practitioner,
        rooms=[room_model.objects.create(location=location, name=f"Room {n}") for n in (1, 2)],
        device=apps.get_model("scheduling", "Device").objects.create(location=location, name="C1", kind="centrifuge"),
        patients=[
            patient_model.objects.create(first_name="Zoë", last_name=name, date_of_birth=date(1980, 1, 1))
            for name in ("Ng", "Okafor", "Rossi")
        ],
    )


def refused_by(constraint: str, **fields) -> None:
    with pytest.raises(IntegrityError, match=constraint) as refusal, transaction.atomic():
        Appointment.objects.create(**fields)
    # The booking service turns exactly the overlap refusals into 409 slot_unavailable.
    assert refusing_overlap(refusal.value) == constraint.endswith("_overlap")


def test_rows_survive_and_the_declared_rules_refuse_what_the_raw_ones_did():
    with at_migration(RAW) as old:
        assert database_rules() == (CONSTRAINTS, INDEXES)  # the raw-SQL objects
        clinic = small_clinic(old)
        appointment = old.get_model("scheduling", "Appointment")
        shared = dict(location=clinic["location"], therapy_type=clinic["therapy_type"])
        kept = appointment.objects.create(
            **shared,
            practitioner=clinic["practitioner"],
            room=clinic["rooms"][0],
            device=clinic["device"],
            patient=clinic["patients"][0],
            start=TEN,
            end=TEN + timedelta(hours=1),
        )
        # A cancelled appointment at the same time holds nothing, before and after.
        cancelled = appointment.objects.create(
            **shared,
            practitioner=clinic["practitioner"],
            room=clinic["rooms"][0],
            patient=clinic["patients"][1],
            start=TEN,
            end=TEN + timedelta(hours=1),
            status="cancelled",
        )
        with pytest.raises(IntegrityError, match="appointment_no_practitioner_overlap"), transaction.atomic():
            appointment.objects.create(
                **shared,
                practitioner=clinic["practitioner"],
                room=clinic["rooms"][1],
                patient=clinic["patients"][2],
                start=TEN + timedelta(minutes=30),
                end=TEN + timedelta(minutes=90),
            )
        before = list(Appointment.objects.order_by("id").values_list("id", "start", "end", "status"))

        migrate_to_latest()

        assert database_rules() == (CONSTRAINTS, LATEST_INDEXES)  # now the declared ones, same names
        assert list(Appointment.objects.order_by("id").values_list("id", "start", "end", "status")) == before
        assert {kept.pk, cancelled.pk} == {row[0] for row in before}

    ids = {name: row.pk for name, row in (("practitioner", clinic["practitioner"]), ("device", clinic["device"]))}
    half_past = dict(start=TEN + timedelta(minutes=30), end=TEN + timedelta(minutes=90))
    base = dict(location_id=clinic["location"].pk, therapy_type_id=clinic["therapy_type"].pk)
    other = dict(room_id=clinic["rooms"][1].pk, patient_id=clinic["patients"][2].pk)
    refused_by("appointment_no_practitioner_overlap", **base, **other, practitioner_id=ids["practitioner"], **half_past)
    second_user = type(clinic["practitioner"].user).objects.create(username="dr-two")
    second = type(clinic["practitioner"]).objects.create(user=second_user, display_name="Dr Two")
    refused_by(
        "appointment_no_room_overlap",
        **base,
        practitioner_id=second.pk,
        room_id=clinic["rooms"][0].pk,
        patient_id=clinic["patients"][2].pk,
        **half_past,
    )
    refused_by(
        "appointment_no_device_overlap",
        **base,
        **other,
        practitioner_id=second.pk,
        device_id=ids["device"],
        **half_past,
    )
    refused_by(
        "appointment_no_patient_overlap",
        **base,
        practitioner_id=second.pk,
        room_id=clinic["rooms"][1].pk,
        patient_id=clinic["patients"][0].pk,
        **half_past,
    )
    refused_by(
        "appointment_at_most_12_hours",
        **base,
        **other,
        practitioner_id=second.pk,
        start=TEN + timedelta(days=1),
        end=TEN + timedelta(days=1, hours=13),
    )
    # Back to back is not an overlap.
    Appointment.objects.create(
        **base,
        **other,
        practitioner_id=ids["practitioner"],
        start=TEN + timedelta(hours=1),
        end=TEN + timedelta(hours=2),
    )
