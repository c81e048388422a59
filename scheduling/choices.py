from django.db import models


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


APPOINTMENT_TRANSITIONS: dict[str, set[str]] = {
    AppointmentStatus.BOOKED: {AppointmentStatus.CHECKED_IN, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW},
    AppointmentStatus.CHECKED_IN: {AppointmentStatus.COMPLETED},
    AppointmentStatus.COMPLETED: set(),
    AppointmentStatus.CANCELLED: set(),
    AppointmentStatus.NO_SHOW: set(),
}


class CancelledBy(models.TextChoices):
    """Who cancelled an appointment (contract v1.2 `by`): only a patient's late cancel counts against them."""

    PATIENT = "patient", "The patient"
    CLINIC = "clinic", "The clinic"


# Statuses that hold a practitioner, room, device and patient: they take part in overlap checks.
ACTIVE_APPOINTMENT_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class RoomKind(models.TextChoices):
    TREATMENT = "treatment", "Treatment room"
    CONSULTATION = "consultation", "Consultation room"


class ReminderKind(models.TextChoices):
    CONFIRMATION = "confirmation", "Booking confirmation"
    RESCHEDULED = "rescheduled", "Change of time"
    CANCELLATION = "cancellation", "Cancellation"
    REMINDER = "reminder", "Reminder"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    SKIPPED = "skipped", "Skipped (no email, reminders off, or overdue after a hold)"
    HELD = "held", "Held (the appointment is on hold)"


# The reminder outbox: claimed for sending, sent or failed (a failed one is retried by hand: Retry), held while
# the appointment is on hold, cancelled or skipped when it no longer applies; a row is reused (pending again)
# when its kind is due anew, e.g. a second change of time.
REMINDER_TRANSITIONS: dict[str, set[str]] = {
    ReminderStatus.PENDING: {
        ReminderStatus.PENDING,
        ReminderStatus.SENDING,
        ReminderStatus.HELD,
        ReminderStatus.CANCELLED,
        ReminderStatus.SKIPPED,
    },
    ReminderStatus.SENDING: {
        ReminderStatus.SENDING,
        ReminderStatus.SENT,
        ReminderStatus.PENDING,
        ReminderStatus.FAILED,
    },
    ReminderStatus.HELD: {ReminderStatus.PENDING, ReminderStatus.CANCELLED, ReminderStatus.SKIPPED},
    ReminderStatus.FAILED: {ReminderStatus.PENDING},
    ReminderStatus.SENT: {ReminderStatus.PENDING},
    ReminderStatus.CANCELLED: {ReminderStatus.PENDING},
    ReminderStatus.SKIPPED: {ReminderStatus.PENDING},
}


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered a slot"
    BOOKED = "booked", "Booked"
    EXPIRED = "expired", "Expired (its last day passed)"
    REMOVED = "removed", "Removed"


# Entries that still want a slot: only these are matched against freed time.
OPEN_WAITLIST_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


WAITLIST_TRANSITIONS: dict[str, set[str]] = {
    WaitlistStatus.WAITING: {
        WaitlistStatus.OFFERED,
        WaitlistStatus.BOOKED,
        WaitlistStatus.EXPIRED,
        WaitlistStatus.REMOVED,
    },
    WaitlistStatus.OFFERED: {
        WaitlistStatus.WAITING,
        WaitlistStatus.BOOKED,
        WaitlistStatus.EXPIRED,
        WaitlistStatus.REMOVED,
    },
    WaitlistStatus.BOOKED: set(),
    WaitlistStatus.EXPIRED: {WaitlistStatus.REMOVED},
    WaitlistStatus.REMOVED: set(),
}


class OfferStatus(models.TextChoices):
    SENT = "sent", "Sent"
    CLAIMED = "claimed", "Claimed (booked)"
    TAKEN = "taken", "Taken by someone else"
    EXPIRED = "expired", "Expired"


# An offer is answered once: claimed, taken by another entry, or expired (also when its email gave up).
OFFER_TRANSITIONS: dict[str, set[str]] = {
    OfferStatus.SENT: {OfferStatus.CLAIMED, OfferStatus.TAKEN, OfferStatus.EXPIRED},
    OfferStatus.CLAIMED: set(),
    OfferStatus.TAKEN: set(),
    OfferStatus.EXPIRED: set(),
}


class OfferDelivery(models.TextChoices):
    """The offer email as an outbox row, apart from what the offer itself has become."""

    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Not sent (the slot went first)"


class SlotHoldStatus(models.TextChoices):
    """A slot kept aside for a short while (an online booking request waiting for its email link)."""

    HELD = "held", "Held"
    BOOKED = "booked", "Booked (became an appointment)"
    RELEASED = "released", "Released"
    EXPIRED = "expired", "Expired"


SLOT_HOLD_TRANSITIONS: dict[str, set[str]] = {
    SlotHoldStatus.HELD: {SlotHoldStatus.BOOKED, SlotHoldStatus.RELEASED, SlotHoldStatus.EXPIRED},
    SlotHoldStatus.BOOKED: set(),
    SlotHoldStatus.RELEASED: set(),
    SlotHoldStatus.EXPIRED: set(),
}
