"""Upgrading a clinic from the previous release (a727d13: clinic 0004, patients 0010, treatments 0005, scheduling
0011; no messaging, portal or exchange tables yet) keeps its data: every row and every value the clinic reads, the
new columns at their documented defaults, and a calendar that still refuses to double-book a practitioner (the
booking service on both databases; on PostgreSQL the exclusion constraint too).
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.apps import apps as current
from django.db import IntegrityError, connection, transaction

from care.booking import appointment_book
from clinic.exceptions import SlotUnavailable
from clinic.redaction import CANCELLED_BY_CLINIC, shown_text
from scheduling.models import Appointment, Location, Practitioner, WaitlistEntry
from tests.migrating import at_migration, migrate_to_latest
from treatments.models import TherapyType

pytestmark = pytest.mark.django_db(transaction=True)

PREVIOUS_RELEASE = [
    ("clinic", "0004_api_tokens"),
    ("patients", "0010_access_log_survives_the_patient"),
    ("treatments", "0005_contraindication_washout_days"),
    ("scheduling", "0011_appointment_link_secret"),
    # Apps whose first migration came after the release: back to nothing.
    ("messaging", None),
    ("portal", None),
    ("exchange", None),
]
# The test clock's now is Monday 7 January 2030, 08:00 UTC (Europe/London is on UTC in winter).
LAST_MONTH = datetime(2029, 12, 10, 10, tzinfo=UTC)
WEDNESDAY_TEN = datetime(2030, 1, 9, 10, tzinfo=UTC)
HOUR = timedelta(hours=1)
SKIPPED = "Session skipped: bruising after the first session, wait a week."

# What a clinic reads, model by model: the same rows with the same values before and after the upgrade (only
# fields the previous release had).
KEPT = {
    "auth.User": ("username", "email"),
    "scheduling.Location": ("name", "time_zone", "address", "phone"),
    "scheduling.Practitioner": ("display_name", "user__username", "active"),
    "scheduling.Practitioner_locations": ("practitioner_id", "location_id"),
    "scheduling.Practitioner_therapy_types": ("practitioner_id", "therapytype_id"),
    "scheduling.WorkingHours": ("practitioner_id", "location_id", "weekday", "start_time", "end_time"),
    "scheduling.Room": ("name", "kind", "location_id", "active"),
    "scheduling.Device": ("name", "kind", "location_id", "active"),
    "treatments.TherapyType": ("code", "name", "session_minutes", "device_kind", "requires_product"),
    "treatments.Product": ("name", "source", "regulatory_status", "therapy_type_id"),
    "treatments.ProductLot": ("product_id", "lot_number", "expires_on", "status"),
    "patients.Patient": ("first_name", "last_name", "date_of_birth", "email", "phone", "email_reminders", "active"),
    "patients.Condition": ("code", "name", "kind"),
    "patients.PatientCondition": ("patient_id", "condition_id", "active", "since", "note", "source", "verified"),
    "treatments.Consent": ("patient_id", "plan_id", "consented_to", "text_version", "method", "consented_at"),
    "treatments.TreatmentPlan": (
        *("patient_id", "therapy_type_id", "product_id", "indication", "sessions_planned", "start_date", "status"),
        "prescriber__username",
    ),
    "treatments.TreatmentSession": (
        *("plan_id", "sequence", "status", "window_start", "window_end", "scheduled_date", "product_lot_id"),
        "completed_at",
    ),
    "scheduling.Appointment": (
        *("patient_id", "practitioner_id", "location_id", "room_id", "device_id", "therapy_type_id", "start", "end"),
        *("status", "plan_id", "session_id", "product_id", "product_lot_id", "consent_id", "completed_by_id"),
        *("completed_at", "notes", "cancel_reason", "cancelled_at", "late_cancellation", "link_secret"),
    ),
    "scheduling.Reminder": ("appointment_id", "kind", "due_at", "status", "sent_at"),
    "scheduling.QuestionnaireAnswer": ("appointment_id", "answers"),
    "scheduling.WaitlistEntry": (
        *("patient_id", "location_id", "therapy_type_id", "product_id", "practitioner_id", "earliest", "latest"),
        *("weekday_mask", "status", "note"),
    ),
    "scheduling.WaitlistOffer": ("entry_id", "practitioner_id", "start", "end", "status", "delivery", "expires_at"),
    "scheduling.FreedTime": ("location_id", "practitioner_id", "start", "end", "reason"),
    "patients.AccessLog": ("user__username", "patient_id", "endpoint", "method", "at"),
}


def snapshot(apps) -> dict[str, list[tuple]]:
    return {
        label: list(apps.get_model(label).objects.order_by("pk").values_list("pk", *fields))
        for label, fields in KEPT.items()
    }


def clinic_as_it_was(old) -> None:
    """A small clinic written with the models of the previous release."""

    def model(label):
        return old.get_model(*label.split("."))

    user = model("auth.User").objects
    doctor = user.create(username="dr-okafor", email="okafor@clinic.example")
    desk = user.create(username="desk-mia")
    location = model("scheduling.Location").objects.create(
        name="Harley Street", time_zone="Europe/London", address="10 Harley St, London", phone="+442071234567"
    )
    therapy = model("treatments.TherapyType").objects
    prp = therapy.create(code="prp", name="PRP", session_minutes=60, requires_blood_draw=True, device_kind="centrifuge")
    pn = therapy.create(
        code="pn", name="Polynucleotides", session_minutes=60, requires_product=True, default_sessions=3
    )
    practitioner = model("scheduling.Practitioner").objects.create(user=doctor, display_name="Dr Okafor")
    practitioner.locations.add(location)
    practitioner.therapy_types.add(prp, pn)
    for weekday in range(5):
        model("scheduling.WorkingHours").objects.create(
            practitioner=practitioner, location=location, weekday=weekday, start_time=time(9), end_time=time(17)
        )
    room_1, _ = (model("scheduling.Room").objects.create(location=location, name=f"Room {n}") for n in (1, 2))
    centrifuge = model("scheduling.Device").objects.create(location=location, name="C1", kind="centrifuge")
    product = model("treatments.Product").objects.create(
        name="Plinest", source="fish", regulatory_status="cleared", manufacturer="Mastelli", therapy_type=pn
    )
    lot = model("treatments.ProductLot").objects.create(
        product=product, lot_number="PN-2291", expires_on=date(2031, 6, 30), received_on=date(2029, 11, 1)
    )

    patient = model("patients.Patient").objects
    ada = patient.create(
        first_name="Ada",
        last_name="Morgan",
        date_of_birth=date(1979, 4, 2),
        email="ada@example.com",
        phone="+447700900001",
    )
    ben = patient.create(first_name="Ben", last_name="Patel", date_of_birth=date(1985, 8, 19), email_reminders=False)
    cleo = patient.create(first_name="Cléo", last_name="Rossi", date_of_birth=date(1990, 1, 5), phone="+447700900003")
    condition = model("patients.Condition").objects
    diagnosed = model("patients.PatientCondition").objects
    for code, name, kind, note in (
        ("eczema", "Eczema", "condition", "Mild, on the hands"),
        ("warfarin", "Warfarin", "medication", "5 mg daily"),
        ("fish-allergy", "Fish allergy", "allergy", "Hives"),
    ):
        found = condition.create(code=code, name=name, kind=kind)
        diagnosed.create(patient=ada, condition=found, since=date(2020, 1, 1), note=note, recorded_by=doctor)
    diagnosed.create(
        patient=ben, condition=condition.get(code="eczema"), source="patient", verified=False, note="Self-declared"
    )

    plan = model("treatments.TreatmentPlan").objects.create(
        patient=ada,
        therapy_type=pn,
        product=product,
        indication="fine_lines_wrinkles",
        sessions_planned=3,
        min_interval_days=14,
        max_interval_days=42,
        start_date=LAST_MONTH.date(),
        prescriber=doctor,
    )
    consent = model("treatments.Consent").objects.create(
        patient=ada,
        plan=plan,
        consented_to="A course of 3 polynucleotide injections",
        text_version="pn-v2",
        method="written",
        consented_at=LAST_MONTH - HOUR,
        recorded_by=doctor,
    )
    session = model("treatments.TreatmentSession").objects
    first, second, third = (
        session.create(
            plan=plan,
            sequence=n,
            status=status,
            window_start=LAST_MONTH.date() + timedelta(days=28 * (n - 1)),
            window_end=LAST_MONTH.date() + timedelta(days=28 * (n - 1) + 14),
        )
        for n, status in ((1, "completed"), (2, "booked"), (3, "planned"))
    )
    session.filter(pk=first.pk).update(product_lot=lot, completed_at=LAST_MONTH + HOUR, completed_by=doctor)

    visit = model("scheduling.Appointment").objects
    at_desk = dict(location=location, practitioner=practitioner, created_by=desk)
    completed = visit.create(
        **at_desk,
        patient=ada,
        room=room_1,
        therapy_type=pn,
        plan=plan,
        session=first,
        product=product,
        product_lot=lot,
        consent=consent,
        start=LAST_MONTH,
        end=LAST_MONTH + HOUR,
        status="completed",
        completed_at=LAST_MONTH + HOUR,
        completed_by=doctor,
        notes="2 ml, periorbital; no reaction",
    )
    booked = visit.create(
        **at_desk,
        patient=ada,
        room=room_1,
        therapy_type=pn,
        plan=plan,
        session=second,
        product=product,
        consent=consent,
        start=WEDNESDAY_TEN,
        end=WEDNESDAY_TEN + HOUR,
    )
    # A patient's late cancellation right after it, and a session a clinician skipped (the reason is theirs).
    patients_cancel = visit.create(
        **at_desk,
        patient=ben,
        room=room_1,
        device=centrifuge,
        therapy_type=prp,
        start=WEDNESDAY_TEN + HOUR,
        end=WEDNESDAY_TEN + 2 * HOUR,
        status="cancelled",
        cancel_reason="Has a cold",
        cancelled_at=WEDNESDAY_TEN - timedelta(hours=20),
        late_cancellation=True,
    )
    visit.create(
        **at_desk,
        patient=ada,
        room=room_1,
        therapy_type=pn,
        plan=plan,
        session=third,
        product=product,
        start=WEDNESDAY_TEN + timedelta(days=21),
        end=WEDNESDAY_TEN + timedelta(days=21, hours=1),
        status="cancelled",
        cancel_reason=SKIPPED,
        cancelled_at=LAST_MONTH + HOUR,
    )
    reminder = model("scheduling.Reminder").objects
    for appointment, kind, status, due in (
        (completed, "confirmation", "sent", LAST_MONTH - timedelta(days=7)),
        (completed, "reminder_24h", "sent", LAST_MONTH - timedelta(days=1)),
        (booked, "confirmation", "sent", WEDNESDAY_TEN - timedelta(days=20)),
        (booked, "reminder_24h", "pending", WEDNESDAY_TEN - timedelta(days=1)),
        (patients_cancel, "reminder_24h", "cancelled", WEDNESDAY_TEN),
        (patients_cancel, "cancellation", "sent", WEDNESDAY_TEN - timedelta(hours=20)),
    ):
        reminder.create(
            appointment=appointment, kind=kind, status=status, due_at=due, sent_at=due if status == "sent" else None
        )
    model("scheduling.QuestionnaireAnswer").objects.create(
        appointment=booked, answers={"pregnant": False, "anticoagulants": True}
    )

    # Cleo waits for PRP; the cancelled hour was offered to her.
    freed = model("scheduling.FreedTime").objects.create(
        location=location,
        practitioner=practitioner,
        start=patients_cancel.start,
        end=patients_cancel.end,
        reason="cancelled",
    )
    entry = model("scheduling.WaitlistEntry").objects.create(
        patient=cleo,
        location=location,
        therapy_type=prp,
        practitioner=practitioner,
        earliest=date(2030, 1, 7),
        latest=date(2030, 2, 28),
        weekday_mask=0b00111,
        status="offered",
        note="Mornings only",
        created_by=desk,
    )
    model("scheduling.WaitlistOffer").objects.create(
        entry=entry, practitioner=practitioner, start=freed.start, end=freed.end, expires_at=WEDNESDAY_TEN - HOUR * 10
    )

    access = model("patients.AccessLog").objects
    access.create(user=doctor, patient=ada, endpoint=f"/api/v1/patients/{ada.pk}/", method="GET")
    access.create(user=doctor, patient=ada, endpoint=f"/api/v1/patients/{ada.pk}/conditions/", method="GET")
    access.create(user=desk, patient=cleo, endpoint=f"/api/v1/patients/{cleo.pk}/export/", method="GET")


def test_the_previous_release_upgrades_without_losing_anything():
    with at_migration(PREVIOUS_RELEASE) as old:
        assert not {"messaging", "portal", "exchange"} & {model._meta.app_label for model in old.get_models()}
        clinic_as_it_was(old)
        before = snapshot(old)
        assert all(before.values()), [label for label, rows in before.items() if not rows]  # a row of each kind

        migrate_to_latest()

        after = snapshot(current)
        assert {label: len(rows) for label, rows in after.items()} == {label: len(r) for label, r in before.items()}
        for label in KEPT:
            assert after[label] == before[label], label

    # The links a clinic follows, read through today's models.
    completed = Appointment.objects.get(status="completed")
    assert (completed.product_lot.lot_number, completed.product_lot.product.name) == ("PN-2291", "Plinest")
    assert completed.session.product_lot == completed.product_lot and completed.session.plan == completed.plan
    assert completed.consent.text_version == "pn-v2" and completed.completed_by.username == "dr-okafor"
    booked = Appointment.objects.get(status="booked")
    assert (booked.patient.last_name, booked.start, booked.session.sequence) == ("Morgan", WEDNESDAY_TEN, 2)
    assert booked.session.status == "booked" and booked.plan.sessions.count() == 3
    assert booked.questionnaire.answers == {"pregnant": False, "anticoagulants": True}
    assert booked.reminders.get(kind="reminder_24h").status == "pending"  # the email still goes out
    assert sorted(booked.patient.conditions.values_list("condition__kind", flat=True)) == [
        "allergy",
        "condition",
        "medication",
    ]

    # New columns at their documented defaults; the skip's reason is marked a clinician's (scheduling 0015).
    assert set(current.get_model("patients", "Patient").objects.values_list("source", flat=True)) == {"clinic"}
    assert not TherapyType.objects.filter(online_booking=True).exists()
    assert not Location.objects.filter(online_booking=True).exists()
    assert list(WaitlistEntry.objects.values_list("needs_attention", "attention_reason")) == [(False, "")]
    assert booked.questionnaire.note is None
    cancelled = {row.cancel_reason: row for row in Appointment.objects.filter(status="cancelled")}
    assert {row.cancelled_by for row in Appointment.objects.all()} == {""}
    assert not cancelled["Has a cold"].cancel_reason_clinical and cancelled["Has a cold"].late_cancellation
    assert cancelled[SKIPPED].cancel_reason_clinical
    # ...so the front desk reads a neutral sentence, not the clinician's words.
    assert shown_text(SKIPPED, clinical_text=True, clinical_reader=False) == CANCELLED_BY_CLINIC

    # The calendar still refuses a second appointment for the practitioner at that time (through the booking
    # service), and takes the hour after it, which only a cancelled appointment held.
    practitioner = Practitioner.objects.get()
    prp = TherapyType.objects.get(code="prp")
    cleo = current.get_model("patients", "Patient").objects.get(last_name="Rossi")
    count = Appointment.objects.count()
    with pytest.raises(SlotUnavailable, match="Dr Okafor already has an appointment at that time"):
        appointment_book(patient=cleo, therapy_type=prp, practitioner=practitioner, start=WEDNESDAY_TEN + HOUR / 2)
    assert Appointment.objects.count() == count
    taken = appointment_book(patient=cleo, therapy_type=prp, practitioner=practitioner, start=WEDNESDAY_TEN + HOUR)
    assert (taken.status, taken.room.name, taken.device.name) == ("booked", "Room 1", "C1")
    if connection.vendor == "postgresql":
        # And the database itself refuses what gets past the service (the exclusion constraint survived).
        with pytest.raises(IntegrityError, match="appointment_no_practitioner_overlap"), transaction.atomic():
            Appointment.objects.create(
                patient=current.get_model("patients", "Patient").objects.get(last_name="Patel"),
                practitioner=practitioner,
                location=booked.location,
                room=booked.location.rooms.get(name="Room 2"),
                therapy_type=prp,
                start=WEDNESDAY_TEN + HOUR / 2,
                end=WEDNESDAY_TEN + HOUR * 3 / 2,
            )
    # A completed visit that used a product keeps its lot: the database refuses to drop it, on both databases.
    with pytest.raises(IntegrityError, match="appointment_completed_product_has_lot"), transaction.atomic():
        Appointment.objects.filter(pk=completed.pk).update(product_lot=None)
