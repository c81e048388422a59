"""Online booking: the clinic's settings for it and the requests patients make on /book/ or /api/v1/public/."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from patients.models import Patient
from portal.online.choices import BookingRequestStatus
from scheduling.models import Appointment, Location, Practitioner, SlotHold
from treatments.models import Product, TherapyType

DEFAULT_PRIVACY_NOTICE = (
    "We use the details you give here only to book and prepare your treatment and to contact you about it. "
    "Your health answers are read by the clinic's practitioners. You can ask us for a copy of everything we hold "
    "about you, or to correct it, at any time."
)


class OnlineBookingSettings(models.Model):
    """The clinic's rules for online booking (one row). Which therapies and locations take online bookings is set
    on each therapy type and location ("online booking")."""

    clinic_name = models.CharField(
        max_length=100,
        blank=True,
        help_text="Shown on every booking page; left empty, the name of the (first) location open to online booking.",
    )
    min_notice_hours = models.PositiveIntegerField(
        default=2, help_text="The earliest online booking starts this many hours from now."
    )
    horizon_days = models.PositiveIntegerField(default=60, help_text="Online bookings at most this many days ahead.")
    privacy_notice = models.TextField(default=DEFAULT_PRIVACY_NOTICE, help_text="Shown to the patient, who accepts it.")

    class Meta:
        verbose_name = "online booking settings"
        verbose_name_plural = "online booking settings"

    def __str__(self):
        return "Online booking settings"


def new_request_secret() -> str:
    return secrets.token_urlsafe(24)


class BookingRequest(models.Model):
    """A patient's online request for a slot, held (slot_hold) until they use the link emailed to them.

    Nothing here is matched to a patient before the link is used; `patient` and `appointment` are set then.
    `findings` (the screening's findings at confirmation) and `note` are clinical: the front desk never reads them.
    """

    secret = models.CharField(max_length=64, unique=True, default=new_request_secret)
    status = models.CharField(max_length=16, choices=BookingRequestStatus.choices, default=BookingRequestStatus.PENDING)
    therapy_type = models.ForeignKey(TherapyType, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    slot_hold = models.ForeignKey(SlotHold, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField()
    email_key = models.CharField(max_length=254, help_text="The email in lower case: requests are counted by it.")
    phone = models.CharField(max_length=16)
    date_of_birth = models.DateField()
    answers = models.JSONField(default=dict, blank=True, help_text="Question code -> the patient's yes / no.")
    note = models.TextField(blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    appointment = models.ForeignKey(Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    findings = models.JSONField(default=list, blank=True)
    call_back = models.BooleanField(default=False)
    possible_duplicate = models.BooleanField(default=False)
    duplicate_of = models.JSONField(default=list, blank=True, help_text="Ids of the patients who may be this one.")
    attention_resolved_at = models.DateTimeField(null=True, blank=True)
    attention_resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["email_key", "status"], name="booking_request_email_idx"),
            models.Index(fields=["status", "expires_at"], name="booking_request_expiry_idx"),
            models.Index(
                fields=["created_at"],
                name="booking_request_attention_idx",
                condition=Q(attention_resolved_at__isnull=True) & (Q(call_back=True) | Q(possible_duplicate=True)),
            ),
        ]

    def __str__(self):
        return f"online request {self.pk} ({self.status})"

    @property
    def needs_attention(self) -> bool:
        return (self.call_back or self.possible_duplicate) and self.attention_resolved_at is None
