"""The row of a slot held for a while (scheduling.slot_holds): kept apart from scheduling.models, which imports it
so that Django finds it; it names the calendar's models by their labels and imports none of them."""

from datetime import timedelta

from django.db import models
from django.db.models import F, Q

from scheduling.choices import SlotHoldStatus
from treatments.models import MAX_SESSION_MINUTES

LONGEST_HOLD = timedelta(minutes=MAX_SESSION_MINUTES)


class SlotHoldQuerySet(models.QuerySet):
    def active(self, now):
        """Holds that still keep their slot at `now`: held and not yet expired (an expired one keeps nothing even
        before the sweep marks it)."""
        return self.filter(status=SlotHoldStatus.HELD, expires_at__gt=now)

    def overlapping(self, start, end):
        """Holds that meet [start, end); none is longer than LONGEST_APPOINTMENT (see AppointmentQuerySet)."""
        return self.filter(start__lt=end, end__gt=start, start__gt=start - LONGEST_HOLD)


class SlotHold(models.Model):
    """A slot kept for someone who has not booked yet (an online request waiting for its email link): until it
    expires, availability offers it to nobody and booking refuses it to everyone but the booking that uses it.

    It holds what an appointment would hold (practitioner, room, device) for the therapy's length and buffer."""

    practitioner = models.ForeignKey("scheduling.Practitioner", on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey("scheduling.Location", on_delete=models.CASCADE, related_name="+")
    room = models.ForeignKey("scheduling.Room", on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey("scheduling.Device", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    therapy_type = models.ForeignKey("treatments.TherapyType", on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=SlotHoldStatus.choices, default=SlotHoldStatus.HELD)
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SlotHoldQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        constraints = [models.CheckConstraint(condition=Q(start__lt=F("end")), name="slot_hold_start_before_end")]
        indexes = [
            models.Index(fields=["status", "location", "start"], name="slot_hold_location_idx"),
            models.Index(fields=["status", "expires_at"], name="slot_hold_expiry_idx"),
        ]

    def __str__(self):
        return f"{self.practitioner} held {self.start:%Y-%m-%d %H:%M} UTC until {self.expires_at:%H:%M} ({self.status})"
