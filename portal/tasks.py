"""Celery tasks of the portal: thin wrappers that take ids and call services."""

from celery import shared_task

from portal.online import requests


@shared_task
def send_booking_request_email(request_id: int) -> bool:
    """Send an online booking request's link email (the kick after the request commits)."""
    return requests.booking_request_email_send(request_id=request_id)


@shared_task
def sweep_booking_requests() -> dict:
    """Beat, every minute: expire online requests whose time ran out (slots offered to the waitlist) and send link
    emails a broker outage held back."""
    return requests.booking_requests_sweep()
