"""The portal's models live with their feature (portal.online.models); Django finds them here."""

from portal.online.models import BookingRequest, OnlineBookingSettings

__all__ = ["BookingRequest", "OnlineBookingSettings"]
