"""Celery tasks of the care use cases: thin wrappers that take ids and call services. The task names are kept from
before the apps were split (beat schedules them and services queue them by name)."""

from celery import shared_task

from care import holds, planning


@shared_task(name="scheduling.tasks.book_next_session")
def book_next_session(session_id: int) -> int | None:
    """Book the plan's next session after `session_id` was completed; idempotent. Returns the appointment id."""
    appointment = planning.session_book_next(session_id=session_id)
    return appointment.pk if appointment else None


@shared_task(name="scheduling.tasks.flag_plans_with_closing_windows")
def flag_plans_with_closing_windows() -> int:
    """Nightly: flag plans whose next window closes within 7 days with nothing booked; returns how many."""
    return planning.plans_flag_closing_windows()


@shared_task(name="scheduling.tasks.rescreen_at_local_midnight")
def rescreen_at_local_midnight() -> int:
    """Beat, every 15 minutes: where a new local day has just begun, re-screen patients with dated conditions so
    holds appear and lift with the dates. Returns how many holds changed."""
    return holds.holds_rescreen_at_midnight(locations=holds.locations_at_midnight())
