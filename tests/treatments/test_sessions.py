"""Session windows, booking marks and completion: the course keeps its rhythm and every session is accounted for."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.exceptions import (
    ConsentMissing,
    DomainValidationError,
    InvalidTransition,
    OutsidePlanWindow,
)
from tests import factories
from tests.treatments.conftest import START
from treatments.choices import SESSION_TRANSITIONS, Indication, PlanStatus, SessionStatus
from treatments.plans import plan_cancel, plan_create
from treatments.sessions import (
    session_complete,
    session_mark_booked,
    session_mark_unbooked,
    session_skip,
    session_window_recompute,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
d = timedelta


def at(day: date, hour: int = 10, zone=LONDON) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone)


def session(plan, sequence):
    return plan.sessions.get(sequence=sequence)


def window(plan, sequence):
    s = session(plan, sequence)
    return (s.window_start, s.window_end)


def test_three_session_prp_windows_follow_bookings_and_moves(prp_plan):
    """PRP, 3 sessions, 28-42 days: each window counts from the day the session before is booked for."""
    first = START + d(3)
    session_mark_booked(session=session(prp_plan, 1), start=at(first))
    assert window(prp_plan, 1) == (START, START + d(42))
    assert window(prp_plan, 2) == (first + d(28), first + d(42))
    assert window(prp_plan, 3) == (first + d(56), first + d(70))  # session 2 not booked: counts from its window

    second = first + d(30)
    session_mark_booked(session=session(prp_plan, 2), start=at(second))
    assert window(prp_plan, 3) == (second + d(28), second + d(42))

    # Session 1 moves 5 days later: session 2's window follows; session 3 still counts from session 2's booked day.
    moved_first = first + d(5)
    session_mark_booked(session=session(prp_plan, 1), start=at(moved_first))
    assert session(prp_plan, 1).scheduled_date == moved_first
    assert window(prp_plan, 2) == (moved_first + d(28), moved_first + d(42))
    assert window(prp_plan, 3) == (second + d(28), second + d(42))

    # Session 2 moves to the end of its new window: session 3 follows.
    moved_second = moved_first + d(42)
    session_mark_booked(session=session(prp_plan, 2), start=at(moved_second))
    assert window(prp_plan, 3) == (moved_second + d(28), moved_second + d(42))
    assert [s.status for s in prp_plan.sessions.all()] == [SessionStatus.BOOKED] * 2 + [SessionStatus.PLANNED]


def test_booking_outside_the_window_is_refused_and_changes_nothing(prp_plan):
    second = session(prp_plan, 2)
    before = window(prp_plan, 2)

    for day in (START + d(27), START + d(43)):
        with pytest.raises(OutsidePlanWindow) as refused:
            session_mark_booked(session=second, start=at(day))
        assert "start" in refused.value.errors
        assert refused.value.extra["window_start"] == before[0].isoformat()

    second.refresh_from_db()
    assert (second.status, second.scheduled_date) == (SessionStatus.PLANNED, None)
    assert window(prp_plan, 3) == (START + d(56), START + d(70))


def test_the_window_is_checked_on_the_local_date(prp_plan):
    last_day = START + d(42)  # 13 April 2026: London is on summer time (UTC+1)
    late_utc = datetime(last_day.year, last_day.month, last_day.day, 23, 30, tzinfo=UTC)  # 00:30 next day in London

    with pytest.raises(OutsidePlanWindow):
        session_mark_booked(session=session(prp_plan, 1), start=late_utc)

    session_mark_booked(session=session(prp_plan, 1), start=late_utc, time_zone="America/New_York")
    assert session(prp_plan, 1).scheduled_date == last_day


def test_the_zone_of_the_sessions_appointment_location_is_used(prp_plan):
    first = session(prp_plan, 1)
    new_york = factories.LocationFactory(name="NY clinic", time_zone="America/New_York")
    start = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 9 March, 22:00 in New York
    factories.AppointmentFactory(
        patient=prp_plan.patient, therapy_type=prp_plan.therapy_type, session=first, plan=prp_plan,
        location=new_york, start=start,
    )  # fmt: skip

    session_mark_booked(session=first, start=start)

    assert session(prp_plan, 1).scheduled_date == date(2026, 3, 9)


def test_unbooking_puts_the_session_back_and_the_windows_back(prp_plan):
    first = session(prp_plan, 1)
    session_mark_booked(session=first, start=at(START + d(10)))
    assert first.status == SessionStatus.BOOKED  # the caller's object follows

    session_mark_unbooked(session=first)

    assert (first.status, first.scheduled_date) == (SessionStatus.PLANNED, None)
    assert window(prp_plan, 2) == (START + d(28), START + d(42))
    with pytest.raises(InvalidTransition):
        session_mark_unbooked(session=first)


def test_recompute_repairs_windows_from_the_sessions_before(prp_plan):
    prp_plan.sessions.filter(sequence=3).update(window_start=date(2030, 1, 1), window_end=date(2030, 1, 2))

    session_window_recompute(prp_plan)

    assert window(prp_plan, 3) == (START + d(56), START + d(70))


def test_a_session_of_a_cancelled_plan_or_a_done_session_cannot_be_booked(prp_plan, practitioner):
    first = session(prp_plan, 1)
    session_mark_booked(session=first, start=at(START))
    factories.ConsentFactory(plan=prp_plan)
    session_complete(session=first, by=practitioner, completed_at=at(START, 11))

    with pytest.raises(InvalidTransition):
        session_mark_booked(session=first, start=at(START + d(1)))

    plan_cancel(plan=prp_plan, by=practitioner)
    with pytest.raises(InvalidTransition):
        session_mark_booked(session=session(prp_plan, 2), start=at(START + d(30)))


def test_session_transitions_are_a_table():
    assert SESSION_TRANSITIONS[SessionStatus.PLANNED] == {
        SessionStatus.BOOKED,
        SessionStatus.CANCELLED,
        SessionStatus.SKIPPED,
    }
    assert {SessionStatus.COMPLETED, SessionStatus.CANCELLED, SessionStatus.SKIPPED} <= SESSION_TRANSITIONS[
        SessionStatus.BOOKED
    ]
    for final in (SessionStatus.COMPLETED, SessionStatus.CANCELLED, SessionStatus.SKIPPED):
        assert SESSION_TRANSITIONS[final] == set()


def test_no_session_is_completed_without_consent(prp_plan, practitioner):
    first = session(prp_plan, 1)
    session_mark_booked(session=first, start=at(START))

    with pytest.raises(ConsentMissing):
        session_complete(session=first, by=practitioner, completed_at=at(START, 11), notes="Done")

    first.refresh_from_db()
    assert (first.status, first.completed_at, first.notes) == (SessionStatus.BOOKED, None, "")


def test_completing_records_who_when_and_notes_and_the_last_one_completes_the_plan(prp_plan, practitioner):
    factories.ConsentFactory(plan=prp_plan)
    day = START
    for sequence in (1, 2, 3):
        current = session(prp_plan, sequence)
        day = current.window_start
        session_mark_booked(session=current, start=at(day))
        done = session_complete(session=current, by=practitioner, completed_at=at(day, 11), notes=f"Scalp {sequence}")
        assert (done.status, done.completed_by, done.notes) == (
            SessionStatus.COMPLETED,
            practitioner,
            f"Scalp {sequence}",
        )
        assert done.completed_at == at(day, 11)
        prp_plan.refresh_from_db()
        assert prp_plan.status == (PlanStatus.COMPLETED if sequence == 3 else PlanStatus.ACTIVE)
    assert window(prp_plan, 3) == (START + d(56), START + d(70))


def test_only_a_booked_session_is_completed(prp_plan, practitioner):
    factories.ConsentFactory(plan=prp_plan)
    with pytest.raises(InvalidTransition):
        session_complete(session=session(prp_plan, 1), by=practitioner, completed_at=at(START))


def test_a_session_is_not_completed_in_the_future(prp_plan, practitioner):
    factories.ConsentFactory(plan=prp_plan)
    first = session(prp_plan, 1)
    session_mark_booked(session=first, start=at(START))
    with pytest.raises(DomainValidationError) as refused:
        session_complete(session=first, by=practitioner, completed_at=datetime.now(UTC) + d(days=1))
    assert "completed_at" in refused.value.errors


@pytest.fixture
def exosome_plan(patient, exosome, plant_product, practitioner):
    plan = plan_create(
        patient=patient,
        therapy_type=exosome,
        product=plant_product,
        indication=Indication.PIGMENTATION,
        by=practitioner,
        start_date=START,
    )
    factories.ConsentFactory(plan=plan)
    first = session(plan, 1)
    session_mark_booked(session=first, start=at(START + d(7)))
    return plan


def test_a_product_session_records_an_unexpired_lot_of_the_plans_product(exosome_plan, plant_product, practitioner):
    lot = factories.ProductLotFactory(product=plant_product, expires_on=START + d(7))  # usable on its last day

    done = session_complete(
        session=session(exosome_plan, 1), by=practitioner, completed_at=at(START + d(7), 12), product_lot=lot.pk
    )

    assert done.product_lot == lot


@pytest.mark.parametrize("problem", ["expired", "other product", "missing", "unknown"])
def test_a_wrong_lot_is_refused_and_nothing_is_written(
    problem, exosome_plan, plant_product, fish_product, practitioner
):
    lot = {
        "expired": lambda: factories.ProductLotFactory(product=plant_product, expires_on=START + d(6)),
        "other product": lambda: factories.ProductLotFactory(product=fish_product),
        "missing": lambda: None,
        "unknown": lambda: 999_999,
    }[problem]()
    first = session(exosome_plan, 1)

    with pytest.raises(DomainValidationError) as refused:
        session_complete(session=first, by=practitioner, completed_at=at(START + d(7), 12), product_lot=lot)

    assert "product_lot" in refused.value.errors
    first.refresh_from_db()
    assert (first.status, first.product_lot) == (SessionStatus.BOOKED, None)


def test_a_therapy_without_product_takes_no_lot(prp_plan, plant_product, practitioner):
    factories.ConsentFactory(plan=prp_plan)
    first = session(prp_plan, 1)
    session_mark_booked(session=first, start=at(START))
    with pytest.raises(DomainValidationError) as refused:
        session_complete(
            session=first,
            by=practitioner,
            completed_at=at(START, 11),
            product_lot=factories.ProductLotFactory(product=plant_product),
        )
    assert "product_lot" in refused.value.errors


def test_a_skipped_session_is_passed_over_by_the_windows(prp_plan, practitioner, front_desk):
    second = session(prp_plan, 2)
    with pytest.raises(DomainValidationError):
        session_skip(session=second, by=front_desk)

    skipped = session_skip(session=second, by=practitioner, reason="Patient travelling")

    assert (skipped.status, skipped.notes) == (SessionStatus.SKIPPED, "Patient travelling")
    assert window(prp_plan, 3) == (START + d(28), START + d(42))  # counts from session 1, as session 2 did
    with pytest.raises(InvalidTransition):
        session_mark_booked(session=second, start=at(START + d(30)))


def test_a_booked_session_is_not_skipped_behind_its_appointment(prp_plan, practitioner):
    first = session(prp_plan, 1)
    session_mark_booked(session=first, start=at(START))

    with pytest.raises(InvalidTransition):
        session_skip(session=first, by=practitioner)

    assert session(prp_plan, 1).status == SessionStatus.BOOKED


def test_skipping_the_last_session_completes_a_course_that_was_given(prp_plan, practitioner):
    factories.ConsentFactory(plan=prp_plan)
    first = session(prp_plan, 1)
    session_mark_booked(session=first, start=at(START))
    session_complete(session=first, by=practitioner, completed_at=at(START, 11))
    session_skip(session=session(prp_plan, 2), by=practitioner)

    session_skip(session=session(prp_plan, 3), by=practitioner)

    prp_plan.refresh_from_db()
    assert prp_plan.status == PlanStatus.COMPLETED


def test_skipping_every_session_cancels_the_course(prp_plan, practitioner):
    for sequence in (1, 2, 3):
        session_skip(session=session(prp_plan, sequence), by=practitioner)

    prp_plan.refresh_from_db()
    assert prp_plan.status == PlanStatus.CANCELLED
