"""The appointment list reads its rows as plain values (scheduling.api.serializers.AppointmentRows) instead of
serialising model instances: every row must still be exactly the appointment as its own page shows it, for the
front desk (no clinical detail) and for clinical roles (the record, holds and overrides), in every state."""

from datetime import timedelta

import pytest

from scheduling.choices import AppointmentStatus
from scheduling.models import LocationClosure
from tests import clock, factories

pytestmark = pytest.mark.django_db


def visit(clinic, day, hour, **fields):
    start = factories.local_time(day, hour)
    return factories.AppointmentFactory(
        practitioner=fields.pop("practitioner", clinic.practitioners[0]),
        location=clinic.location,
        room=clinic.rooms[0],
        therapy_type=fields.pop("therapy_type", clinic.exosome),
        start=start,
        end=start + timedelta(minutes=60),
        **fields,
    )


@pytest.fixture
def week_of_every_state(clinic):
    """A week holding an appointment in each state the desk sees, plus the rows that make each attention reason."""
    practitioner = factories.practitioner_user()
    monday = factories.future_weekday(0, after_days=14)
    plan = factories.TreatmentPlanFactory(therapy_type=clinic.exosome, product=clinic.plant_product)
    first = factories.TreatmentSessionFactory(plan=plan, sequence=1)
    second = factories.TreatmentSessionFactory(plan=plan, sequence=2)
    one_off_consent = factories.ConsentFactory(plan=None, patient=factories.PatientFactory())
    inactive = factories.PractitionerFactory(
        therapy_types=[clinic.exosome], locations=[clinic.location], active=False, display_name="Dr Gone"
    )
    now = clock.now()
    rows = [
        visit(clinic, monday, 9),
        visit(
            clinic,
            monday,
            11,
            on_hold=True,
            held_at=now,
            hold_findings=[{"condition": "pregnancy", "severity": "absolute"}],
        ),
        visit(clinic, monday, 13, practitioner=inactive, patient_confirmed_at=now),
        visit(clinic, monday, 15, patient=plan.patient, plan=plan, session=first, status=AppointmentStatus.NO_SHOW),
        visit(clinic, monday + timedelta(days=1), 9, patient=plan.patient, plan=plan, session=second),
        visit(
            clinic,
            monday + timedelta(days=1),
            11,
            status=AppointmentStatus.CANCELLED,
            cancel_reason="Patient asked",
            late_cancellation=True,
        ),
        visit(
            clinic,
            monday + timedelta(days=1),
            13,
            patient=one_off_consent.patient,
            status=AppointmentStatus.COMPLETED,
            product=clinic.plant_product,
            product_lot=clinic.plant_lot,
            consent=one_off_consent,
            notes="Tolerated well.",
            completed_by=practitioner,
            completed_at=now,
            checked_in_at=now - timedelta(minutes=50),
            override_reason="Reviewed the allergy.",
            override_by=practitioner,
            override_at=now,
            overridden_findings=[{"condition": "fish-allergy", "severity": "relative"}],
        ),
        visit(clinic, monday + timedelta(days=2), 10, status=AppointmentStatus.CHECKED_IN, checked_in_at=now),
        # Two reasons at once: held, and on a day the clinic is closed.
        visit(
            clinic,
            monday + timedelta(days=3),
            10,
            device=clinic.centrifuge,
            therapy_type=clinic.prp,
            on_hold=True,
            held_at=now,
            hold_findings=[{"condition": "anticoagulants", "severity": "relative"}],
        ),
    ]
    LocationClosure.objects.create(location=clinic.location, date=monday + timedelta(days=3), name="Boiler repair")
    return monday, rows


@pytest.mark.parametrize("role", ["front_desk_api", "practitioner_api", "clinic_admin_api"])
def test_every_row_of_the_week_is_the_appointment_as_its_own_page_shows_it(request, role, week_of_every_state, clinic):
    client = request.getfixturevalue(role)
    monday, rows = week_of_every_state
    listed = client.get(
        "/api/v1/appointments/",
        {"date_from": monday, "date_to": monday + timedelta(days=6), "location": clinic.location.pk},
    )
    assert listed.status_code == 200, listed.content
    results = listed.json()["results"]
    assert [row["id"] for row in results] == [appointment.pk for appointment in rows]
    for row in results:
        detail = client.get(f"/api/v1/appointments/{row['id']}/")
        assert detail.status_code == 200
        assert list(row.items()) == list(detail.json().items())  # same fields, same order, same values
    # The states are really there: each attention reason, a hold, a late cancellation, a record.
    by_id = {row["id"]: row for row in results}
    reasons = [by_id[appointment.pk]["attention_reason"] for appointment in rows]
    assert [bool(reason) for reason in reasons] == [False, True, True, False, True, False, False, False, True]
    assert "missed" in reasons[4] and "no longer" in reasons[2]
    assert len(reasons[8].splitlines()) == 2 and "closed" in reasons[8].splitlines()[1]
    assert by_id[rows[5].pk]["late_cancellation"] is True
    assert by_id[rows[5].pk]["patient_late_cancellation_count"] == 1
    course = by_id[rows[4].pk]
    assert (course["session_sequence"], course["sessions_planned"], course["patient_no_show_count"]) == (2, 3, 1)
    record = by_id[rows[6].pk]["record"]
    if role == "front_desk_api":
        assert record is None and "hold_findings" not in by_id[rows[1].pk]
    else:
        assert record["notes"] == "Tolerated well." and record["product_lot"] == clinic.plant_lot.pk
        assert by_id[rows[1].pk]["hold_findings"] == [{"condition": "pregnancy", "severity": "absolute"}]


def test_a_patients_history_and_the_attention_list_read_the_same_rows(front_desk_api, week_of_every_state):
    """The list's other filters (patient, needs_attention, ordering) answer plain rows too."""
    monday, rows = week_of_every_state
    patient = rows[3].patient
    history = front_desk_api.get("/api/v1/appointments/", {"patient": patient.pk, "ordering": "-start"}).json()
    assert [row["id"] for row in history["results"]] == [rows[4].pk, rows[3].pk]
    assert history["results"][0] == front_desk_api.get(f"/api/v1/appointments/{rows[4].pk}/").json()
    attention = front_desk_api.get("/api/v1/appointments/", {"needs_attention": "true"}).json()
    assert [row["id"] for row in attention["results"]] == [rows[1].pk, rows[2].pk, rows[4].pk, rows[8].pk]
    assert all(row["needs_attention"] for row in attention["results"])
