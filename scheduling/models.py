import secrets
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from clinic.db import PostgresCheckConstraint, PostgresExclusionConstraint, TsTzRange
from patients.models import Patient, PatientNote
from scheduling.choices import (
    ACTIVE_APPOINTMENT_STATUSES,
    AppointmentStatus,
    CancelledBy,
    ReminderStatus,
    RoomKind,
    Weekday,
)
from scheduling.slot_hold_model import SlotHold  # noqa: F401 - Django finds the model through this module
from scheduling.waitlist_models import WaitlistEntry, WaitlistOffer  # noqa: F401 - as SlotHold
from treatments.models import (
    MAX_SESSION_MINUTES,
    Consent,
    Product,
    ProductLot,
    TherapyType,
    TreatmentPlan,
    TreatmentSession,
)

# No appointment is longer than the longest session (on PostgreSQL a CHECK constraint holds it, Appointment.Meta).
LONGEST_APPOINTMENT = timedelta(minutes=MAX_SESSION_MINUTES)
# The resources an active appointment holds alone; scheduling.booking recognises a refusal by this prefix.
OVERLAP_CONSTRAINT_PREFIX = "appointment_no_"
EXCLUSIVE_RESOURCES = ("practitioner", "room", "device", "patient")


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not an IANA time zone such as Europe/London.") from None


def default_time_zone() -> str:
    return settings.CLINIC_DEFAULT_TIME_ZONE


class Location(models.Model):
    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default=default_time_zone, validators=[validate_time_zone])
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    online_booking = models.BooleanField(
        default=False, help_text="Patients may book this location themselves on the online booking pages (/book/)."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class LocationClosure(models.Model):
    """A day the whole location is closed (a bank holiday, a refit): no slots are offered, no booking is taken,
    and appointments already booked that day go on the front desk's needs-attention list."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField(help_text="A calendar day in the location's time zone.")
    name = models.CharField(max_length=100, help_text="What the desk sees, e.g. Christmas Day.")

    class Meta:
        ordering = ["location", "date"]
        constraints = [models.UniqueConstraint(fields=["location", "date"], name="location_closure_unique_day")]

    def __str__(self):
        return f"{self.location} closed {self.date:%Y-%m-%d} ({self.name})"


class Room(models.Model):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=32, choices=RoomKind.choices, default=RoomKind.TREATMENT)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location", "name"]
        constraints = [models.UniqueConstraint(fields=["location", "name"], name="room_unique_name")]

    def __str__(self):
        return f"{self.name} ({self.location})"


class Device(models.Model):
    """Equipment a session needs and that can be double-booked like a room, e.g. a centrifuge."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="devices")
    name = models.CharField(max_length=100)
    kind = models.SlugField(max_length=32, help_text="Matches a therapy type's device kind, e.g. centrifuge.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location", "name"]
        constraints = [models.UniqueConstraint(fields=["location", "name"], name="device_unique_name")]

    def __str__(self):
        return f"{self.name} ({self.location})"


class Practitioner(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="practitioner")
    display_name = models.CharField(max_length=100)
    therapy_types = models.ManyToManyField(TherapyType, related_name="practitioners", blank=True)
    locations = models.ManyToManyField(Location, related_name="practitioners", blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self):
        return self.display_name


class WorkingHours(models.Model):
    """A practitioner's regular hours at a location on one weekday, in the location's local time."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="working_hours")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["practitioner", "weekday", "start_time"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=Q(start_time__lt=F("end_time")), name="working_hours_start_before_end"),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="working_hours_weekday_range"),
        ]

    def __str__(self):
        return f"{self.practitioner} {self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class TimeOff(models.Model):
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["practitioner", "start"]
        verbose_name_plural = "time off"
        constraints = [models.CheckConstraint(condition=Q(start__lt=F("end")), name="time_off_start_before_end")]
        indexes = [models.Index(fields=["practitioner", "end", "start"], name="time_off_range_idx")]

    def __str__(self):
        return f"{self.practitioner} off {self.start:%Y-%m-%d %H:%M}-{self.end:%Y-%m-%d %H:%M}"


class AppointmentQuerySet(models.QuerySet):
    def overlapping(self, start, end):
        """Appointments that meet [start, end). Since none is longer than LONGEST_APPOINTMENT, `start` is also bounded
        from below, so the (..., start) indexes read one stretch of time instead of every earlier appointment."""
        return self.filter(start__lt=end, end__gt=start, start__gt=start - LONGEST_APPOINTMENT)


def new_link_secret() -> str:
    """A random value that every emailed link of an appointment carries: a link also needs it, not only the key."""
    return secrets.token_urlsafe(16)


class Appointment(models.Model):
    """A booked stretch of time [start, end) holding a practitioner, a room, maybe a device, and a patient.

    Every appointment is also the clinical record of its visit: the product it uses, the consent it was given
    under, and once completed who gave it, when, the notes and the lot. The record is part of the row, so no visit
    exists without one; a CHECK constraint refuses a completed visit with a product but no lot.

    On PostgreSQL, exclusion constraints forbid overlapping active appointments per resource (Meta).
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="appointments")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="appointments")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments")
    therapy_type = models.ForeignKey(TherapyType, on_delete=models.PROTECT, related_name="appointments")
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    plan = models.ForeignKey(
        TreatmentPlan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        help_text="The session's plan, kept beside the session so a plan's appointments list in one query.",
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    sequence = models.PositiveIntegerField(default=0, help_text="Calendar SEQUENCE: increased on every move.")
    cancel_reason = models.TextField(blank=True)
    cancel_reason_clinical = models.BooleanField(
        default=False,
        db_default=False,
        help_text="The cancel reason was written by a clinician (a skip, a plan's cancel, a practitioner's cancel): "
        "the front desk reads a neutral sentence instead (clinic.redaction).",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    patient_confirmed_at = models.DateTimeField(null=True, blank=True)
    link_secret = models.CharField(
        max_length=32,
        default=new_link_secret,
        editable=False,
        help_text="Carried by the links in emails; renewed on every move, so older links change nothing.",
    )
    # Who cancelled: only a patient's late cancel counts against them (empty while not cancelled).
    cancelled_by = models.CharField(max_length=8, choices=CancelledBy.choices, blank=True, default="", db_default="")
    late_cancellation = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Cancelled within CLINIC_CANCELLATION_POLICY_HOURS of the start.",
    )
    # The clinical record of the visit (db_default: bulk loaders that name none of these write an empty record).
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        help_text="The product the visit uses: the plan's for a session, chosen at booking for a one-off.",
    )
    product_lot = models.ForeignKey(
        ProductLot, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    notes = models.TextField(blank=True, default="", db_default="")
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    consent = models.ForeignKey(
        Consent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        help_text="The consent the visit is given under: its own for a one-off, the plan's for a session.",
    )
    on_hold = models.BooleanField(
        default=False, help_text="Screening blocks the patient on the treatment date: no check-in, no reminders."
    )
    held_at = models.DateTimeField(null=True, blank=True)
    hold_findings = models.JSONField(default=list, blank=True, help_text="The findings that hold it (clinical).")
    override_reason = models.TextField(
        blank=True, help_text="Why a practitioner accepted a relative contraindication for this appointment."
    )
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    override_at = models.DateTimeField(null=True, blank=True)
    overridden_findings = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["link_secret"])

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="appointment_start_before_end"),
            models.CheckConstraint(
                condition=Q(session__isnull=True, plan__isnull=True) | Q(session__isnull=False, plan__isnull=False),
                name="appointment_session_has_plan",
            ),
            models.CheckConstraint(
                condition=Q(product_lot__isnull=True) | Q(product__isnull=False),
                name="appointment_lot_has_product",
                violation_error_message="A lot is recorded only for a visit that uses a product.",
            ),
            models.CheckConstraint(
                condition=~Q(status=AppointmentStatus.COMPLETED)
                | Q(product__isnull=True)
                | Q(product_lot__isnull=False),
                name="appointment_completed_product_has_lot",
                violation_error_message="A completed visit that used a product records its lot.",
            ),
            PostgresCheckConstraint(
                condition=Q(end__lte=F("start") + LONGEST_APPOINTMENT), name="appointment_at_most_12_hours"
            ),
            # Half-open [start, end): back-to-back appointments do not overlap; cancelled, completed and no-show
            # ones hold nothing. The booking service checks first (with buffers); these are the last line.
            *(
                PostgresExclusionConstraint(
                    name=f"{OVERLAP_CONSTRAINT_PREFIX}{resource}_overlap",
                    expressions=[
                        (resource, RangeOperators.EQUAL),
                        (TsTzRange("start", "end", RangeBoundary()), RangeOperators.OVERLAPS),
                    ],
                    condition=Q(
                        status__in=[status.value for status in ACTIVE_APPOINTMENT_STATUSES],
                        **{f"{resource}__isnull": False},
                    ),
                    violation_error_message=f"The {resource} already has an appointment at that time.",
                )
                for resource in EXCLUSIVE_RESOURCES
            ),
        ]
        indexes = [
            models.Index(fields=["practitioner", "start"], name="appt_practitioner_start_idx"),
            models.Index(fields=["room", "start"], name="appt_room_start_idx"),
            models.Index(fields=["device", "start"], name="appt_device_start_idx"),
            models.Index(fields=["patient", "start"], name="appt_patient_start_idx"),
            models.Index(fields=["location", "start"], name="appt_location_start_idx"),
            models.Index(fields=["status", "start"], name="appt_status_start_idx"),
            # A list page's attendance badges (selectors.patients_attendance) read only these few rows per patient.
            models.Index(
                fields=["patient"],
                condition=Q(status=AppointmentStatus.NO_SHOW) | Q(late_cancellation=True),
                name="appt_patient_attendance_idx",
            ),
        ]

    def __str__(self):
        return f"{self.patient} with {self.practitioner} at {self.start:%Y-%m-%d %H:%M} UTC ({self.status})"


class Reminder(models.Model):
    """One email owed to a patient about an appointment: the outbox row written with the booking."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=32, help_text="confirmation, rescheduled, cancellation or reminder_<hours>h")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=ReminderStatus.choices, default=ReminderStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["appointment", "kind"], name="reminder_unique_kind")]
        indexes = [models.Index(fields=["status", "due_at"], name="reminder_due_idx")]

    def __str__(self):
        return f"{self.kind} for appointment {self.appointment_id} ({self.status})"


class QuestionnaireAnswer(models.Model):
    """The pre-visit health questionnaire as a patient sent it for one appointment (once per appointment)."""

    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="questionnaire")
    answers = models.JSONField(default=dict, help_text="Condition codes declared and the patient's own words.")
    submitted_at = models.DateTimeField(auto_now_add=True)
    note = models.OneToOneField(
        PatientNote,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="questionnaire",
        help_text="The patient's own words, kept as a note a practitioner must read (empty when none were written).",
    )

    def __str__(self):
        return f"questionnaire for appointment {self.appointment_id}"


class FreedTime(models.Model):
    """Time a practitioner has free again (a cancel, a move, time off removed, hours widened), written in the same
    transaction as the change: the waitlist's own outbox, so a broker outage delays offers but never loses them."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=32)
    matched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "freed time"
        constraints = [models.CheckConstraint(condition=Q(start__lt=F("end")), name="freed_time_start_before_end")]
        indexes = [models.Index(fields=["matched_at", "created_at"], name="freed_time_unmatched_idx")]

    def __str__(self):
        return f"{self.practitioner} free {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M} UTC ({self.reason})"
