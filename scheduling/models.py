import secrets
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from patients.models import Patient
from scheduling.choices import AppointmentStatus, ReminderStatus, RoomKind, Weekday
from treatments.models import MAX_SESSION_MINUTES, TherapyType, TreatmentPlan, TreatmentSession

# No appointment is longer than the longest session (on PostgreSQL a CHECK constraint holds it, migration 0003).
LONGEST_APPOINTMENT = timedelta(minutes=MAX_SESSION_MINUTES)


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

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


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

    On PostgreSQL, exclusion constraints (migration 0002) forbid overlapping active appointments per resource.
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
        ]
        indexes = [
            models.Index(fields=["practitioner", "start"], name="appt_practitioner_start_idx"),
            models.Index(fields=["room", "start"], name="appt_room_start_idx"),
            models.Index(fields=["device", "start"], name="appt_device_start_idx"),
            models.Index(fields=["patient", "start"], name="appt_patient_start_idx"),
            models.Index(fields=["location", "start"], name="appt_location_start_idx"),
            models.Index(fields=["status", "start"], name="appt_status_start_idx"),
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
