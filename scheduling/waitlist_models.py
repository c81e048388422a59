"""The waitlist's rows (waitlist/ holds what is done with them): kept apart from scheduling.models, which imports
them so that Django finds them; they name the calendar's models by their labels and import none of them."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from patients.models import Patient
from scheduling.choices import OfferDelivery, OfferStatus, WaitlistStatus
from treatments.models import Product, TherapyType


class WaitlistEntry(models.Model):
    """A patient who wants an earlier or any slot for a therapy at a location, between two local dates.

    `weekday_mask` holds the wanted weekdays as bits (Monday = 1); 0 means any day. `appointment`, when set, is
    the booked appointment a claimed offer moves instead of booking a second one ("something earlier").
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="waitlist_entries")
    therapy_type = models.ForeignKey(TherapyType, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The product the visit would use, where the therapy uses one (screened by its source).",
    )
    location = models.ForeignKey("scheduling.Location", on_delete=models.PROTECT, related_name="waitlist_entries")
    practitioner = models.ForeignKey(
        "scheduling.Practitioner", on_delete=models.PROTECT, null=True, blank=True, related_name="waitlist_entries"
    )
    earliest = models.DateField()
    latest = models.DateField()
    weekday_mask = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=16, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING)
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.SET_NULL, null=True, blank=True, related_name="waitlist_entries"
    )
    note = models.CharField(max_length=500, blank=True)
    # A person must call the patient (screening refused a claim); the reason is neutral, never clinical.
    needs_attention = models.BooleanField(default=False, db_default=False)
    attention_reason = models.TextField(blank=True, default="", db_default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    joined_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["joined_at", "id"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.CheckConstraint(condition=Q(earliest__lte=F("latest")), name="waitlist_earliest_before_latest"),
            models.CheckConstraint(condition=Q(weekday_mask__lte=127), name="waitlist_weekday_mask_range"),
        ]
        indexes = [
            # Matching reads the open entries of one location and therapy, in the order they joined.
            models.Index(fields=["location", "therapy_type", "status", "joined_at"], name="waitlist_match_idx"),
            # Matching a freed slot walks a location's waiting entries in join order (whatever the therapy) and
            # stops at the first that fit: no sort of every open entry.
            models.Index(fields=["location", "status", "joined_at", "id"], name="waitlist_queue_idx"),
        ]

    def __str__(self):
        return f"{self.patient} waits for {self.therapy_type} at {self.location} ({self.status})"

    @property
    def weekdays(self) -> list[int]:
        return [day for day in range(7) if self.weekday_mask & (1 << day)]


class WaitlistOffer(models.Model):
    """One freed slot offered to one entry by email: the offer and its outbox row in one.

    `status` is what became of the offer; `delivery` is the email's progress (claimed by one worker like a
    Reminder). `expires_at` is set when the email goes out: the patient has the whole offer time to answer.
    """

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    practitioner = models.ForeignKey("scheduling.Practitioner", on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=16, choices=OfferStatus.choices, default=OfferStatus.SENT)
    expires_at = models.DateTimeField(null=True, blank=True)
    delivery = models.CharField(max_length=16, choices=OfferDelivery.choices, default=OfferDelivery.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker took the email to send it.")
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="What the claim booked.",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # The same slot is never offered twice to one entry.
            models.UniqueConstraint(fields=["entry", "practitioner", "start"], name="waitlist_offer_once_per_entry"),
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="waitlist_offer_start_before_end"),
        ]
        indexes = [
            models.Index(fields=["practitioner", "start"], name="waitlist_offer_slot_idx"),
            models.Index(fields=["delivery", "created_at"], name="waitlist_offer_outbox_idx"),
            models.Index(fields=["status", "expires_at"], name="waitlist_offer_expiry_idx"),
        ]

    def __str__(self):
        return f"offer of {self.start:%Y-%m-%d %H:%M} UTC to entry {self.entry_id} ({self.status})"
