"""appointment_book and the life cycle: what the front desk may do and what it is refused."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from care.booking import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_no_show,
    appointment_reschedule,
)
from care.records import appointment_consent_record
from clinic.celery import app as celery_app
from clinic.exceptions import (
    ConsentMissing,
    Contraindicated,
    DomainValidationError,
    InvalidTransition,
    OutsidePlanWindow,
    SlotUnavailable,
)
from scheduling import placement
from scheduling.booking import APPOINTMENT_TRANSITIONS
from scheduling.choices import AppointmentStatus, ReminderStatus
from scheduling.models import Appointment
from tests.factories import (
    ContraindicationFactory,
    DeviceFactory,
    LocationFactory,
    PatientConditionFactory,
    PatientFactory,
    PractitionerFactory,
    RoomFactory,
    TherapyTypeFactory,
    TimeOffFactory,
    WorkingHoursFactory,
    future_weekday,
    local_time,
    practitioner_user,
)
from treatments.choices import Indication, SessionStatus, Severity
from treatments.consent import consent_record
from treatments.plans import plan_create

pytestmark = pytest.mark.django_db

MONDAY = 0


@pytest.fixture
def monday():
    return future_weekday(MONDAY)


def book(clinic, start, *, practitioner=None, therapy=None, patient=None, **kwargs):
    therapy = therapy or clinic.prp
    if therapy.requires_product and "session" not in kwargs:
        kwargs.setdefault("product", clinic.plant_product)
    return appointment_book(
        patient=patient or PatientFactory(),
        therapy_type=therapy,
        practitioner=practitioner or clinic.practitioners[0],
        start=start,
        **kwargs,
    )


def refused(exception, function, **kwargs):
    """Call a service expecting a refusal; returns the exception after checking nothing was written."""
    before = Appointment.objects.count()
    with pytest.raises(exception) as info:
        function(**kwargs)
    assert Appointment.objects.count() == before
    return info.value


def prp_plan(clinic, patient, start_date, **kwargs):
    return plan_create(
        patient=patient,
        therapy_type=clinic.prp,
        indication=Indication.ANDROGENETIC_ALOPECIA,
        by=practitioner_user(),
        start_date=start_date,
        **kwargs,
    )


# --- booking ---------------------------------------------------------------------------------------------


def test_booking_picks_a_room_and_the_centrifuge_and_writes_its_reminders(clinic, monday):
    appointment = book(clinic, local_time(monday, 10))
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.end - appointment.start == timedelta(minutes=60)
    assert appointment.location == clinic.location
    assert appointment.room == clinic.rooms[0] and appointment.device == clinic.centrifuge
    assert appointment.reminders.filter(kind="confirmation", status=ReminderStatus.PENDING).exists()


def test_exosome_needs_no_device_and_refuses_one(clinic, monday):
    assert book(clinic, local_time(monday, 10), therapy=clinic.exosome).device is None
    error = refused(
        DomainValidationError,
        book,
        clinic=clinic,
        start=local_time(monday, 12),
        therapy=clinic.exosome,
        device=clinic.centrifuge,
    )
    assert "device" in error.errors


def test_the_same_practitioner_cannot_be_double_booked(clinic, monday):
    book(clinic, local_time(monday, 10))
    refused(SlotUnavailable, book, clinic=clinic, start=local_time(monday, 10, 30), therapy=clinic.exosome)


def test_a_patient_cannot_be_in_two_places_at_once(clinic, monday):
    patient = PatientFactory()
    book(clinic, local_time(monday, 10), therapy=clinic.exosome, patient=patient)
    refused(
        SlotUnavailable,
        book,
        clinic=clinic,
        start=local_time(monday, 10),
        practitioner=clinic.practitioners[1],
        therapy=clinic.exosome,
        patient=patient,
    )


def test_the_centrifuge_cannot_be_double_booked(clinic, monday):
    RoomFactory(location=clinic.location)  # rooms are not what runs out here
    book(clinic, local_time(monday, 10))
    error = refused(
        SlotUnavailable, book, clinic=clinic, start=local_time(monday, 10), practitioner=clinic.practitioners[1]
    )
    assert "centrifuge" in error.detail
    # A second centrifuge is picked when there is one.
    second = DeviceFactory(location=clinic.location, name="Centrifuge 2")
    assert book(clinic, local_time(monday, 10), practitioner=clinic.practitioners[1]).device == second


def test_a_named_room_that_is_taken_is_refused_and_a_free_one_is_used(clinic, monday):
    first = book(clinic, local_time(monday, 10), therapy=clinic.exosome)
    refused(
        SlotUnavailable,
        book,
        clinic=clinic,
        start=local_time(monday, 10),
        practitioner=clinic.practitioners[1],
        therapy=clinic.exosome,
        room=first.room,
    )
    second = book(clinic, local_time(monday, 10), practitioner=clinic.practitioners[1], therapy=clinic.exosome)
    assert second.room != first.room


def test_a_long_session_blocks_the_practitioner_to_its_end(clinic, monday):
    """The overlap queries bound `start` from below by the longest session: a 12-hour one still blocks."""
    day = TherapyTypeFactory(code="day-course", name="Day course", session_minutes=12 * 60, device_kind="")
    practitioner = clinic.practitioners[1]
    practitioner.therapy_types.add(day)
    practitioner.working_hours.filter(weekday=MONDAY).update(start_time="07:00", end_time="21:00")
    book(clinic, local_time(monday, 7), practitioner=practitioner, therapy=day)
    refused(
        SlotUnavailable,
        book,
        clinic=clinic,
        start=local_time(monday, 18, 30),
        practitioner=practitioner,
        therapy=clinic.exosome,
    )
    assert book(clinic, local_time(monday, 19, 30), practitioner=practitioner, therapy=clinic.exosome)


def test_buffers_are_honoured_and_back_to_back_is_allowed(clinic, monday):
    book(clinic, local_time(monday, 10))  # PRP 10:00-11:00 plus 15 minutes
    refused(SlotUnavailable, book, clinic=clinic, start=local_time(monday, 11, 10))
    refused(SlotUnavailable, book, clinic=clinic, start=local_time(monday, 9))  # its own buffer would reach 10:15
    assert book(clinic, local_time(monday, 11, 15)).start == local_time(monday, 11, 15)
    quick = TherapyTypeFactory(code="consult", name="Consultation", buffer_minutes=0, device_kind="")
    clinic.practitioners[1].therapy_types.add(quick)
    for hour in (9, 10, 11):
        book(clinic, local_time(monday, hour), practitioner=clinic.practitioners[1], therapy=quick)
    assert clinic.practitioners[1].appointments.count() == 3


def test_working_hours_time_off_and_days_off_are_respected(clinic, monday):
    refused(SlotUnavailable, book, clinic=clinic, start=local_time(monday, 8, 30))
    refused(SlotUnavailable, book, clinic=clinic, start=local_time(monday, 16, 30))  # would end at 17:30
    refused(SlotUnavailable, book, clinic=clinic, start=local_time(monday + timedelta(days=5), 10))  # Saturday
    practitioner = clinic.practitioners[0]
    TimeOffFactory(practitioner=practitioner, start=local_time(monday, 13), end=local_time(monday, 15))
    refused(SlotUnavailable, book, clinic=clinic, start=local_time(monday, 12, 30))
    assert book(clinic, local_time(monday, 16)).start == local_time(monday, 16)  # ends as the day ends


def test_practitioner_must_give_the_therapy_and_work_at_the_location(clinic, monday):
    exosome_only = PractitionerFactory(therapy_types=[clinic.exosome], locations=[clinic.location])
    WorkingHoursFactory(practitioner=exosome_only, location=clinic.location, weekday=MONDAY)
    error = refused(DomainValidationError, book, clinic=clinic, start=local_time(monday, 10), practitioner=exosome_only)
    assert "practitioner" in error.errors
    elsewhere = LocationFactory(name="Second clinic")
    error = refused(DomainValidationError, book, clinic=clinic, start=local_time(monday, 10), location=elsewhere)
    assert "practitioner" in error.errors


def test_the_location_follows_the_practitioners_hours(clinic, monday):
    elsewhere = LocationFactory(name="Second clinic")
    RoomFactory(location=elsewhere)
    practitioner = clinic.practitioners[0]
    practitioner.locations.add(elsewhere)
    practitioner.working_hours.filter(weekday=MONDAY).delete()
    WorkingHoursFactory(practitioner=practitioner, location=elsewhere, weekday=MONDAY)
    error = refused(
        DomainValidationError,
        book,
        clinic=clinic,
        start=local_time(monday, 10),
        therapy=clinic.exosome,
        room=clinic.rooms[0],
    )
    assert "room" in error.errors
    appointment = book(clinic, local_time(monday, 10), therapy=clinic.exosome)
    assert appointment.location == elsewhere and appointment.room.location == elsewhere


def test_times_too_soon_or_past_are_refused(clinic, settings):
    from django.utils import timezone

    error = refused(DomainValidationError, book, clinic=clinic, start=timezone.now() + timedelta(minutes=30))
    assert "start" in error.errors
    error = refused(DomainValidationError, book, clinic=clinic, start=timezone.now() - timedelta(days=1))
    assert "start" in error.errors


# --- screening and plans -------------------------------------------------------------------------------


def test_an_absolute_contraindication_refuses_the_booking_with_its_findings(clinic, monday):
    rule = ContraindicationFactory(therapy_type=clinic.prp, severity=Severity.ABSOLUTE)
    patient = PatientConditionFactory(condition=rule.condition).patient
    error = refused(Contraindicated, book, clinic=clinic, start=local_time(monday, 10), patient=patient)
    assert [finding["rule_id"] for finding in error.extra["blocking"]] == [rule.pk]
    assert error.extra["warnings"] == []
    assert book(clinic, local_time(monday, 10), therapy=clinic.exosome, patient=patient)  # PRP only


def test_a_relative_contraindication_refuses_a_booking_without_a_plan(clinic, monday):
    rule = ContraindicationFactory(therapy_type=clinic.prp, severity=Severity.RELATIVE)
    patient = PatientConditionFactory(condition=rule.condition).patient
    error = refused(Contraindicated, book, clinic=clinic, start=local_time(monday, 10), patient=patient)
    assert error.extra["blocking"] == [] and [f["rule_id"] for f in error.extra["warnings"]] == [rule.pk]
    # A plan whose practitioner recorded why accepts the same finding.
    plan = prp_plan(clinic, patient, monday, override_reason="Stable on review; cardiology letter on file.")
    session = plan.sessions.get(sequence=1)
    appointment = book(clinic, local_time(monday, 10), patient=patient, session=session)
    assert appointment.plan == plan


def test_a_condition_recorded_after_the_plan_opened_refuses_the_next_session(clinic, monday):
    patient = PatientFactory()
    plan = prp_plan(clinic, patient, monday)
    rule = ContraindicationFactory(therapy_type=clinic.prp, severity=Severity.ABSOLUTE)
    PatientConditionFactory(patient=patient, condition=rule.condition)  # e.g. started warfarin
    refused(
        Contraindicated,
        book,
        clinic=clinic,
        start=local_time(monday, 10),
        patient=patient,
        session=plan.sessions.get(sequence=1),
    )
    assert plan.sessions.get(sequence=1).status == SessionStatus.PLANNED


def test_a_session_is_booked_only_inside_its_window(clinic, monday):
    patient = PatientFactory()
    plan = prp_plan(clinic, patient, monday)
    first = plan.sessions.get(sequence=1)
    error = refused(
        OutsidePlanWindow,
        book,
        clinic=clinic,
        start=local_time(first.window_end + timedelta(days=3), 10),
        patient=patient,
        session=first,
    )
    assert "start" in error.errors
    book(clinic, local_time(monday, 10), patient=patient, session=first)
    first.refresh_from_db()
    assert first.status == SessionStatus.BOOKED
    second = plan.sessions.get(sequence=2)
    assert second.window_start == monday + timedelta(days=plan.min_interval_days)


def test_booking_a_session_costs_three_statements_per_later_session_of_the_course(clinic, monday):
    """Booking session 1 moves every later window (each an UPDATE and its history row) and checks each later
    session's appointment: three statements per later session, none asking the database to re-check a row the
    booking holds locked (the session's plan, its sequence, the windows' CHECK, which the UPDATE enforces)."""
    statements = {}
    wednesday = monday + timedelta(days=2)  # two days into the first window: every later window moves
    for sessions in (3, 6):
        patient = PatientFactory()
        plan = prp_plan(clinic, patient, monday, sessions_planned=sessions)
        first = plan.sessions.get(sequence=1)
        with CaptureQueriesContext(connection) as queries:
            book(clinic, local_time(wednesday, 9 + sessions), patient=patient, session=first)
        assert not [query for query in queries if "_check" in query["sql"]]
        statements[sessions] = len(queries)
        windows = list(plan.sessions.order_by("sequence").values_list("window_start", flat=True))
        assert windows == [plan.start_date] + [
            wednesday + timedelta(days=plan.min_interval_days * k) for k in range(1, sessions)
        ]
    assert statements[6] - statements[3] == 3 * 3


def test_a_session_must_be_the_patients_own_and_not_booked_twice(clinic, monday):
    patient = PatientFactory()
    session = prp_plan(clinic, patient, monday).sessions.get(sequence=1)
    error = refused(DomainValidationError, book, clinic=clinic, start=local_time(monday, 10), session=session)
    assert "session" in error.errors
    book(clinic, local_time(monday, 10), patient=patient, session=session)
    refused(InvalidTransition, book, clinic=clinic, start=local_time(monday, 14), patient=patient, session=session)


# --- life cycle ------------------------------------------------------------------------------------------


def test_the_transition_table_is_the_one_of_the_design():
    assert APPOINTMENT_TRANSITIONS[AppointmentStatus.BOOKED] == {
        AppointmentStatus.CHECKED_IN,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.NO_SHOW,
    }
    assert APPOINTMENT_TRANSITIONS[AppointmentStatus.CHECKED_IN] == {AppointmentStatus.COMPLETED}
    for final in (AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
        assert APPOINTMENT_TRANSITIONS[final] == set()


def test_cancel_keeps_the_reason_frees_the_slot_and_cancels_reminders(clinic, monday):
    appointment = book(clinic, local_time(monday, 10))
    cancelled = appointment_cancel(appointment=appointment, reason="  Patient has a cold  ")
    assert cancelled.status == AppointmentStatus.CANCELLED
    assert cancelled.cancel_reason == "Patient has a cold" and cancelled.cancelled_at
    pending = cancelled.reminders.filter(status=ReminderStatus.PENDING)
    assert list(pending.values_list("kind", flat=True)) == ["cancellation"]  # only the email saying so
    assert book(clinic, local_time(monday, 10)).device == clinic.centrifuge
    with pytest.raises(InvalidTransition):
        appointment_cancel(appointment=cancelled)


def test_cancelling_a_session_puts_it_back_to_planned(clinic, monday):
    patient = PatientFactory()
    session = prp_plan(clinic, patient, monday).sessions.get(sequence=1)
    appointment = book(clinic, local_time(monday, 10), patient=patient, session=session)
    appointment_cancel(appointment=appointment, reason="Travelling")
    session.refresh_from_db()
    assert session.status == SessionStatus.PLANNED
    assert book(clinic, local_time(monday, 14), patient=patient, session=session).session == session


def test_check_in_then_complete_and_nothing_else(clinic, monday):
    appointment = book(clinic, local_time(monday, 10))
    with time_machine.travel(local_time(monday, 10, 5), tick=False):
        with pytest.raises(InvalidTransition):
            appointment_complete(appointment=appointment, by=practitioner_user())
        checked_in = appointment_check_in(appointment=appointment)
        assert checked_in.status == AppointmentStatus.CHECKED_IN and checked_in.checked_in_at
        with pytest.raises(InvalidTransition):
            appointment_no_show(appointment=checked_in)
        with pytest.raises(InvalidTransition):
            appointment_cancel(appointment=checked_in)
        with pytest.raises(InvalidTransition):
            appointment_reschedule(appointment=checked_in, start=local_time(monday, 14))
        appointment_consent_record(appointment=checked_in, method="verbal", text_version="v1", by=practitioner_user())
        done = appointment_complete(appointment=checked_in, by=practitioner_user())
    assert done.status == AppointmentStatus.COMPLETED and done.completed_at
    # The slot of a completed appointment no longer counts.
    assert book(clinic, local_time(monday, 10), patient=PatientFactory()).start == local_time(monday, 10)


def test_completing_a_session_needs_consent_and_records_it(clinic, monday):
    patient = PatientFactory()
    plan = prp_plan(clinic, patient, monday)
    session = plan.sessions.get(sequence=1)
    appointment = book(clinic, local_time(monday, 10), patient=patient, session=session)
    by = practitioner_user()
    with time_machine.travel(local_time(monday, 10, 5), tick=False):
        appointment = appointment_check_in(appointment=appointment)
        with pytest.raises(ConsentMissing):
            appointment_complete(appointment=appointment, by=by, notes="Scalp, 4 ml")
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.CHECKED_IN
        consent_record(plan=plan, method="written", text_version="v1", by=by)
        done = appointment_complete(appointment=appointment, by=by, notes="Scalp, 4 ml")
    session.refresh_from_db()
    assert done.status == AppointmentStatus.COMPLETED
    assert session.status == SessionStatus.COMPLETED and session.notes == "Scalp, 4 ml"


def test_completing_a_session_queues_the_next_booking_after_commit(
    clinic, monday, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(celery_app, "send_task", lambda name, args, **kwargs: queued.append((name, args)))
    patient = PatientFactory()
    plan = prp_plan(clinic, patient, monday)
    by = practitioner_user()
    consent_record(plan=plan, method="written", text_version="v1", by=by)
    session = plan.sessions.get(sequence=1)
    appointment = book(clinic, local_time(monday, 10), patient=patient, session=session)
    with time_machine.travel(local_time(monday, 10, 5), tick=False):
        appointment = appointment_check_in(appointment=appointment)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            appointment_complete(appointment=appointment, by=by)
            assert queued == []  # nothing leaves before the commit
    assert len(callbacks) >= 1 and ("scheduling.tasks.book_next_session", [session.pk]) in queued


def test_no_show_frees_the_slot_and_counts_against_the_patient(clinic, monday):
    patient = PatientFactory()
    for hour in (10, 13):
        appointment = book(clinic, local_time(monday, hour), patient=patient)
        with time_machine.travel(local_time(monday, hour, 20), tick=False):
            appointment_no_show(appointment=appointment)
    assert patient.appointments.filter(status=AppointmentStatus.NO_SHOW).count() == 2
    assert book(clinic, local_time(monday, 10)).start == local_time(monday, 10)


def test_reschedule_moves_atomically_and_keeps_the_room(clinic, monday):
    appointment = book(clinic, local_time(monday, 10))
    moved = appointment_reschedule(appointment=appointment, start=local_time(monday, 14))
    assert (moved.start, moved.room, moved.device, moved.sequence) == (
        local_time(monday, 14),
        appointment.room,
        appointment.device,
        1,
    )
    assert moved.reminders.filter(kind="rescheduled").exists()
    # Overlapping its own old time is fine; the old time is free for someone else.
    assert appointment_reschedule(appointment=moved, start=local_time(monday, 14, 30)).sequence == 2
    assert book(clinic, local_time(monday, 10), practitioner=clinic.practitioners[1]).start == local_time(monday, 10)


def test_reschedule_into_a_taken_slot_changes_nothing(clinic, monday):
    other = book(clinic, local_time(monday, 14), therapy=clinic.exosome)
    appointment = book(clinic, local_time(monday, 10), therapy=clinic.exosome)
    with pytest.raises(SlotUnavailable):
        appointment_reschedule(appointment=appointment, start=other.start)
    appointment.refresh_from_db()
    assert appointment.start == local_time(monday, 10) and appointment.sequence == 0
    moved = appointment_reschedule(appointment=appointment, start=other.start, practitioner=clinic.practitioners[1])
    assert moved.practitioner == clinic.practitioners[1] and moved.room != other.room


def test_the_day_list_holds_the_local_day_only(clinic, monday, front_desk_api):
    booked = [book(clinic, local_time(monday, hour), therapy=clinic.exosome).pk for hour in (9, 11, 14)]
    book(clinic, local_time(monday + timedelta(days=1), 9), therapy=clinic.exosome)
    day = front_desk_api.get("/api/v1/appointments/", {"date": monday.isoformat(), "location": clinic.location.pk})
    assert [row["id"] for row in day.json()["results"]] == booked


@pytest.mark.postgres
def test_postgres_constraint_backs_up_the_service_check_as_slot_unavailable(clinic, monday, monkeypatch):
    first = book(clinic, local_time(monday, 10), therapy=clinic.exosome)
    monkeypatch.setattr(placement, "_buffered_conflicts", lambda **kwargs: [])  # a service check that missed it
    error = refused(
        SlotUnavailable, book, clinic=clinic, start=local_time(monday, 10, 15), therapy=clinic.exosome, room=first.room
    )
    assert error.code == "slot_unavailable"
