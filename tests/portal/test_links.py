"""The signed links in patient emails, attacked: forged with any key the repository holds, replayed after a move,
raced against a move. None of it may change an appointment."""

import re
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import signing
from django.utils import timezone

from care import booking
from messaging import links
from messaging.emails import LINK_SALT, appointment_link_url
from portal import links as portal_links
from scheduling.choices import AppointmentStatus
from tests.factories import PatientFactory
from tests.messaging.test_reminders import next_monday_at, token_of

ROOT = Path(__file__).resolve().parents[2]
# Every quoted string of 8 or more characters without spaces: whatever a key committed by mistake could look like.
QUOTED = re.compile(r"""["']([^"'\s]{8,200})["']""")


def strings_in_the_repository() -> set[str]:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    found = set()
    for name in files:
        try:
            text = (ROOT / name).read_text()
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        found.update(QUOTED.findall(text))
        # Values of KEY=value lines (Dockerfile, shell scripts, compose files) are candidates too.
        found.update(re.findall(r"SECRET_KEY[=:]\s*([^\s\"'$]{8,200})", text))
    return found


def book(clinic, hour=10):
    return booking.appointment_book(
        patient=PatientFactory(),
        therapy_type=clinic.exosome,
        practitioner=clinic.practitioners[1],
        start=next_monday_at(hour, weeks_ahead=2),
        product=clinic.plant_lot.product,
    )


@pytest.mark.django_db
def test_a_link_signed_with_any_key_found_in_the_repository_is_refused(clinic, client):
    appointment = book(clinic)
    candidates = strings_in_the_repository()
    assert len(candidates) > 1000  # the scan really read the repository
    assert settings.SECRET_KEY not in candidates
    # The forger knows everything but the key: the id, the version, even the appointment's link secret.
    payload = {"a": appointment.pk, "s": appointment.sequence, "n": appointment.link_secret, "do": "cancel"}
    for key in candidates:
        forged = signing.dumps(payload, key=key, salt=LINK_SALT)
        with pytest.raises(links.DomainValidationError):
            links.appointment_from_link(token=forged, action="cancel")
    forged = signing.dumps(payload, key="django-insecure-embedded-development-key-not-for-production", salt=LINK_SALT)
    response = client.post(f"/appointments/cancel/{forged}/")
    assert response.status_code == 400
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


@pytest.mark.django_db
def test_a_link_signed_with_the_real_key_but_without_the_link_secret_is_refused(clinic, client):
    appointment = book(clinic)
    for secret in (None, "", "guessed-secret-000000"):
        payload = {"a": appointment.pk, "s": appointment.sequence, "do": "cancel"}
        if secret is not None:
            payload["n"] = secret
        response = client.post(f"/appointments/cancel/{signing.dumps(payload, salt=LINK_SALT)}/")
        assert response.status_code == 400
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


@pytest.mark.django_db
def test_a_moved_appointment_must_be_confirmed_again_and_its_old_links_change_nothing(clinic, client):
    appointment = book(clinic)
    old_confirm = token_of(appointment_link_url(appointment, action="confirm"))
    old_cancel = token_of(appointment_link_url(appointment, action="cancel"))
    assert client.post(f"/appointments/confirm/{old_confirm}/").status_code == 200
    appointment.refresh_from_db()
    assert appointment.patient_confirmed_at is not None

    moved = booking.appointment_reschedule(appointment=appointment, start=next_monday_at(14, weeks_ahead=2))
    assert moved.patient_confirmed_at is None  # the patient said yes to another time

    for path in (f"/appointments/confirm/{old_confirm}/", f"/appointments/cancel/{old_cancel}/"):
        response = client.post(path)
        assert response.status_code == 400
        assert b"moved since this email" in response.content
    moved.refresh_from_db()
    assert (moved.status, moved.patient_confirmed_at) == (AppointmentStatus.BOOKED, None)

    new_confirm = token_of(appointment_link_url(moved, action="confirm"))
    assert client.post(f"/appointments/confirm/{new_confirm}/").status_code == 200
    moved.refresh_from_db()
    assert moved.patient_confirmed_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_move_racing_a_cancel_click_never_cancels_the_new_time(clinic, monkeypatch):
    """The click's checks pass, then (before it acts) the desk moves the appointment. The link must act on the
    time it was sent for or not at all: the move waits for the cancel's row lock, then finds it cancelled."""
    appointment = book(clinic)
    token = token_of(appointment_link_url(appointment, action="cancel"))
    new_start = next_monday_at(15, weeks_ahead=2)
    moved = {}

    def move():
        try:
            moved["result"] = booking.appointment_reschedule(appointment=appointment, start=new_start)
        except Exception as exc:  # the cancelled appointment cannot be moved: that is the right outcome
            moved["error"] = exc
        finally:
            from django.db import connection

            connection.close()

    real_refusal = links.link_refusal

    def refusal_then_a_move(target, *, action):
        answer = real_refusal(target, action=action)
        mover = threading.Thread(target=move)
        mover.start()
        mover.join(timeout=1.5)  # unlocked, the move would finish well within this
        moved["thread"] = mover
        return answer

    monkeypatch.setattr(links, "link_refusal", refusal_then_a_move)
    portal_links.appointment_cancel_by_link(token=token)
    moved["thread"].join(timeout=30)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.start != new_start  # cancelled at the time the email named, never at the new one
    assert "result" not in moved and "error" in moved
    assert timezone.now() - appointment.cancelled_at < timedelta(minutes=1)
