from django.db import models


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


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


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered a slot"
    BOOKED = "booked", "Booked"
    EXPIRED = "expired", "Expired (its last day passed)"
    REMOVED = "removed", "Removed"


# Entries that still want a slot: only these are matched against freed time.
OPEN_WAITLIST_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


class OfferStatus(models.TextChoices):
    SENT = "sent", "Sent"
    CLAIMED = "claimed", "Claimed (booked)"
    TAKEN = "taken", "Taken by someone else"
    EXPIRED = "expired", "Expired"


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
