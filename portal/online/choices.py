from django.db import models


class BookingRequestStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the patient's email link"
    BOOKED = "booked", "Booked"
    ON_HOLD = "on_hold", "Booked, on hold for a practitioner's review"
    CALL_BACK = "call_back", "Not booked: the clinic calls back"
    EXPIRED = "expired", "Expired (the link was not used in time)"
    UNAVAILABLE = "unavailable", "Not booked: the time was no longer free"


BOOKING_REQUEST_TRANSITIONS: dict[str, set[str]] = {
    BookingRequestStatus.PENDING: {
        BookingRequestStatus.BOOKED,
        BookingRequestStatus.ON_HOLD,
        BookingRequestStatus.CALL_BACK,
        BookingRequestStatus.EXPIRED,
        BookingRequestStatus.UNAVAILABLE,
    },
    BookingRequestStatus.BOOKED: set(),
    BookingRequestStatus.ON_HOLD: set(),
    BookingRequestStatus.CALL_BACK: set(),
    BookingRequestStatus.EXPIRED: set(),
    BookingRequestStatus.UNAVAILABLE: set(),
}
