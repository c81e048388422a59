"""Every status field has its transition table in its app's choices.py; bulk status writes never break one; the
API's error codes are one StrEnum with the contract's values."""

import pytest

from clinic.exceptions import DomainError, ErrorCode
from clinic.transitions import status_bulk_update
from messaging.reminders import appointment_reminders_hold
from portal.online.choices import BOOKING_REQUEST_TRANSITIONS, BookingRequestStatus
from scheduling.choices import (
    APPOINTMENT_TRANSITIONS,
    OFFER_TRANSITIONS,
    REMINDER_TRANSITIONS,
    SLOT_HOLD_TRANSITIONS,
    WAITLIST_TRANSITIONS,
    AppointmentStatus,
    OfferStatus,
    ReminderStatus,
    SlotHoldStatus,
    WaitlistStatus,
)
from scheduling.models import Reminder
from tests.factories import AppointmentFactory, ReminderFactory
from treatments.choices import (
    LOT_TRANSITIONS,
    PLAN_TRANSITIONS,
    SESSION_TRANSITIONS,
    LotStatus,
    PlanStatus,
    SessionStatus,
)

TABLES = [
    (APPOINTMENT_TRANSITIONS, AppointmentStatus),
    (PLAN_TRANSITIONS, PlanStatus),
    (SESSION_TRANSITIONS, SessionStatus),
    (REMINDER_TRANSITIONS, ReminderStatus),
    (WAITLIST_TRANSITIONS, WaitlistStatus),
    (OFFER_TRANSITIONS, OfferStatus),
    (SLOT_HOLD_TRANSITIONS, SlotHoldStatus),
    (LOT_TRANSITIONS, LotStatus),
    (BOOKING_REQUEST_TRANSITIONS, BookingRequestStatus),
]


@pytest.mark.parametrize(("table", "statuses"), TABLES, ids=lambda value: getattr(value, "__name__", ""))
def test_every_status_has_a_row_and_leads_only_to_known_statuses(table, statuses):
    assert set(table) == set(statuses.values)
    assert all(following <= set(statuses.values) for following in table.values())


@pytest.mark.django_db
def test_a_bulk_write_leaves_rows_the_table_does_not_let_move():
    appointment = AppointmentFactory()
    pending = ReminderFactory(appointment=appointment, kind="confirmation", status=ReminderStatus.PENDING)
    sent = ReminderFactory(appointment=appointment, kind="reminder_48h", status=ReminderStatus.SENT)
    changed = status_bulk_update(
        Reminder.objects.filter(appointment=appointment), table=REMINDER_TRANSITIONS, new=ReminderStatus.HELD
    )
    assert changed == 1
    assert Reminder.objects.get(pk=pending.pk).status == ReminderStatus.HELD
    assert Reminder.objects.get(pk=sent.pk).status == ReminderStatus.SENT
    assert appointment_reminders_hold(appointment) == 0  # nothing pending is left to hold


def test_error_codes_are_the_contracts():
    assert {code.value for code in ErrorCode} >= {
        "domain_error",
        "validation_error",
        "slot_unavailable",
        "contraindicated",
        "too_early",
        "outside_plan_window",
        "invalid_transition",
        "consent_missing",
        "possible_duplicate",
        "conflict",
        "not_authenticated",
        "permission_denied",
        "not_found",
        "idempotency_key_reused",
        "locked_out",
    }
    import portal.online.confirming  # noqa: F401 - its errors are DomainErrors too
    import portal.online.requests  # noqa: F401

    for error in DomainError.__subclasses__():
        assert isinstance(error.code, ErrorCode), error
