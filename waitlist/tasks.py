"""Celery tasks of the waitlist: thin wrappers that take ids and call services. The task names are kept from before
the apps were split (beat schedules them; scheduling.freed and the offers queue them by name)."""

from celery import shared_task

from waitlist import matching, offers


@shared_task(name="scheduling.tasks.offer_freed_time")
def offer_freed_time(freed_id: int) -> int:
    """Offer time that has just freed up to the waitlist (once per FreedTime row); returns how many offers."""
    return matching.freed_time_match(freed_id=freed_id)


@shared_task(name="scheduling.tasks.send_waitlist_offer")
def send_waitlist_offer(offer_id: int) -> bool:
    """Send one offer email now if it is still due and unclaimed (the kick after the offer commits)."""
    return offers.offer_send(offer_id=offer_id)


@shared_task(name="scheduling.tasks.sweep_waitlist")
def sweep_waitlist() -> dict:
    """Beat, every minute: expire entries and offers, pass expired slots on, match leftover freed time, send due
    offer emails."""
    return offers.waitlist_sweep()
