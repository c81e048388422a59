"""Database invariants: every range starts before it ends; on PostgreSQL no resource is double-booked."""

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from clinic.db import PostgresCheckConstraint, PostgresExclusionConstraint
from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment
from tests.factories import (
    AppointmentFactory,
    ContraindicationFactory,
    DeviceFactory,
    PatientFactory,
    PractitionerFactory,
    RoomFactory,
    TimeOffFactory,
    TreatmentPlanFactory,
    TreatmentSessionFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db


def refused(factory, **kwargs) -> bool:
    try:
        with transaction.atomic():
            factory(**kwargs)
    except IntegrityError:
        return True
    return False


def test_appointment_must_start_before_it_ends():
    first = AppointmentFactory()
    assert refused(AppointmentFactory, start=first.start, end=first.start)
    assert refused(AppointmentFactory, start=first.start, end=first.start - timedelta(minutes=5))


def test_working_hours_and_time_off_must_start_before_they_end():
    assert refused(WorkingHoursFactory, start_time=time(17), end_time=time(9))
    off = TimeOffFactory()
    assert refused(TimeOffFactory, start=off.end, end=off.start)


def test_session_window_must_be_ordered_and_unique_per_plan():
    session = TreatmentSessionFactory()
    assert refused(
        TreatmentSessionFactory,
        plan=session.plan,
        sequence=2,
        window_start=session.window_end,
        window_end=session.window_start - timedelta(days=1),
    )
    assert refused(TreatmentSessionFactory, plan=session.plan, sequence=1)


def test_plan_interval_minimum_cannot_exceed_maximum():
    assert refused(TreatmentPlanFactory, min_interval_days=50, max_interval_days=40)


def test_contraindication_targets_exactly_one_of_therapy_or_source():
    assert refused(ContraindicationFactory, product_source="fish")  # both set
    assert refused(ContraindicationFactory, therapy_type=None, product_source="")  # neither
    assert not refused(ContraindicationFactory, therapy_type=None, product_source="fish")


def test_a_therapy_session_lasts_at_most_twelve_hours():
    from tests.factories import TherapyTypeFactory

    assert refused(TherapyTypeFactory, session_minutes=12 * 60 + 1)
    assert not refused(TherapyTypeFactory, code="long", session_minutes=12 * 60)


@pytest.mark.postgres
def test_postgres_refuses_an_appointment_longer_than_twelve_hours():
    first = AppointmentFactory()
    assert refused(AppointmentFactory, start=first.start, end=first.start + timedelta(hours=12, minutes=1))
    assert not refused(AppointmentFactory, start=first.start, end=first.start + timedelta(hours=12))


def test_session_appointment_records_its_plan():
    session = TreatmentSessionFactory()
    assert refused(AppointmentFactory, session=session, plan=None)
    assert not refused(AppointmentFactory, session=session, plan=session.plan)


def _overlapping(resource: str, first, **changes):
    """A second appointment 30 minutes into the first that shares only `resource` with it."""
    shared = {resource: getattr(first, resource)}
    if resource != "room":
        shared["room"] = RoomFactory(location=first.location)
    return AppointmentFactory(
        location=first.location,
        start=first.start + timedelta(minutes=30),
        end=first.end + timedelta(minutes=30),
        **shared,
        **changes,
    )


@pytest.mark.postgres
@pytest.mark.parametrize("resource", ["practitioner", "room", "device", "patient"])
def test_postgres_refuses_overlapping_active_appointments_per_resource(resource):
    first = AppointmentFactory(device=DeviceFactory())
    with pytest.raises(IntegrityError, match=f"appointment_no_{resource}_overlap"), transaction.atomic():
        _overlapping(resource, first)


@pytest.mark.postgres
def test_postgres_allows_back_to_back_appointments():
    first = AppointmentFactory(device=DeviceFactory())
    AppointmentFactory(
        practitioner=first.practitioner,
        room=first.room,
        device=first.device,
        patient=first.patient,
        location=first.location,
        start=first.end,
        end=first.end + timedelta(hours=1),
    )
    assert first.practitioner.appointments.count() == 2


@pytest.mark.postgres
@pytest.mark.parametrize(
    "status", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW, AppointmentStatus.COMPLETED]
)
def test_postgres_inactive_appointments_do_not_block(status):
    first = AppointmentFactory(status=status)
    AppointmentFactory(
        practitioner=first.practitioner,
        room=first.room,
        patient=first.patient,
        location=first.location,
        start=first.start,
        end=first.end,
    )
    assert first.practitioner.appointments.count() == 2


@pytest.mark.postgres
def test_postgres_refuses_reactivating_a_cancelled_appointment_into_a_taken_slot():
    first = AppointmentFactory(status=AppointmentStatus.CANCELLED)
    AppointmentFactory(practitioner=first.practitioner, location=first.location, start=first.start, end=first.end)
    first.status = AppointmentStatus.BOOKED
    with pytest.raises(IntegrityError), transaction.atomic():
        first.save()


def test_different_resources_may_share_a_time():
    first = AppointmentFactory()
    other = AppointmentFactory(
        practitioner=PractitionerFactory(),
        patient=PatientFactory(),
        location=first.location,
        start=first.start,
        end=first.end,
    )
    assert other.pk != first.pk


def test_model_validation_sees_the_overlap_rules_on_postgres_and_queries_nothing_for_them_on_sqlite(
    django_assert_num_queries,
):
    """The rules are in the model state: full_clean() checks them where the database holds them (PostgreSQL) and
    leaves them to the booking service's transaction on SQLite, without failing there."""
    first = AppointmentFactory()
    overlapping = AppointmentFactory.build(
        practitioner=first.practitioner,
        location=first.location,
        room=first.room,
        patient=first.patient,
        therapy_type=first.therapy_type,
        start=first.start + timedelta(minutes=30),
        end=first.end + timedelta(minutes=30),
    )
    if connection.vendor == "postgresql":
        with pytest.raises(ValidationError, match="already has an appointment at that time"):
            overlapping.full_clean(exclude=["created_by"])
    else:
        postgres_only = [
            constraint
            for constraint in Appointment._meta.constraints
            if isinstance(constraint, PostgresExclusionConstraint | PostgresCheckConstraint)
        ]
        assert len(postgres_only) == 5
        with django_assert_num_queries(0):  # no query for a rule SQLite does not hold, and no error
            for constraint in postgres_only:
                constraint.validate(Appointment, overlapping)
        overlapping.full_clean(exclude=["created_by"])
