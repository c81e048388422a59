from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from patients.models import Condition, Patient
from treatments.choices import (
    ConsentMethod,
    Indication,
    LotStatus,
    PlanStatus,
    ProductSource,
    RegulatoryStatus,
    SessionStatus,
    Severity,
)

# The longest session a therapy may have (a CHECK constraint holds it). An appointment lasts one session, so
# none is longer: scheduling bounds its "what overlaps this time" queries with it (scheduling.models).
MAX_SESSION_MINUTES = 12 * 60


class TherapyType(models.Model):
    """A therapy the clinic gives (PRP, exosome therapy) and what one session of it needs."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    session_minutes = models.PositiveIntegerField()
    buffer_minutes = models.PositiveIntegerField(
        default=0, help_text="Time kept free after a session (cleaning, notes)."
    )
    default_sessions = models.PositiveIntegerField(default=1)
    min_interval_days = models.PositiveIntegerField(default=0)
    max_interval_days = models.PositiveIntegerField(default=0)
    requires_blood_draw = models.BooleanField(default=False)
    requires_product = models.BooleanField(default=False, help_text="A plan must name a product (e.g. exosomes).")
    device_kind = models.SlugField(
        max_length=32, blank=True, help_text="Kind of device each session needs, e.g. centrifuge."
    )
    preparation_notes = models.TextField(blank=True, help_text="Shown to the patient in emails.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(session_minutes__gt=0), name="therapy_session_minutes_positive"),
            models.CheckConstraint(
                condition=Q(session_minutes__lte=MAX_SESSION_MINUTES),
                name="therapy_session_at_most_12_hours",
                violation_error_message="A session lasts at most 12 hours (720 minutes).",
            ),
            models.CheckConstraint(condition=Q(default_sessions__gt=0), name="therapy_default_sessions_positive"),
            models.CheckConstraint(
                condition=Q(min_interval_days__lte=F("max_interval_days")), name="therapy_interval_min_le_max"
            ),
        ]

    def __str__(self):
        return self.name


class Product(models.Model):
    """A product used in a therapy, with its biological source and regulatory status."""

    name = models.CharField(max_length=200)
    therapy_type = models.ForeignKey(TherapyType, on_delete=models.PROTECT, related_name="products")
    source = models.CharField(max_length=16, choices=ProductSource.choices)
    regulatory_status = models.CharField(max_length=20, choices=RegulatoryStatus.choices)
    jurisdiction = models.CharField(
        max_length=64, blank=True, help_text="Where the regulatory status applies, e.g. UK."
    )
    manufacturer = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.get_source_display()})"


class ProductLot(models.Model):
    """A batch of a product. Only a released lot, in date on the treatment day, may be given (treatments.lots)."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(max_length=64)
    expires_on = models.DateField()
    received_on = models.DateField(null=True, blank=True)
    # db_default: bulk loaders (bench's seed_load COPY) that name no status get a released lot, as the ORM does.
    status = models.CharField(
        max_length=16, choices=LotStatus.choices, default=LotStatus.RELEASED, db_default=LotStatus.RELEASED
    )
    status_reason = models.TextField(
        blank=True, default="", db_default="", help_text="Why it was quarantined or recalled."
    )
    recalled_at = models.DateTimeField(null=True, blank=True)
    recalled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["product", "expires_on"]
        constraints = [models.UniqueConstraint(fields=["product", "lot_number"], name="product_lot_unique")]

    def __str__(self):
        return f"{self.product.name} lot {self.lot_number}"


class ProductLotStatusChange(models.Model):
    """One change of a lot's status: from what, to what, who, when and why. Written by treatments.lots with every
    change (and the lot's first status); never edited or deleted, so a recall stays on record after a release."""

    lot = models.ForeignKey(ProductLot, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=LotStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=LotStatus.choices)
    reason = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lot", "at", "id"]

    def __str__(self):
        return f"{self.lot}: {self.from_status or 'new'} -> {self.to_status} at {self.at:%Y-%m-%d %H:%M}"


class Contraindication(models.Model):
    """A rule: a condition (or medication class, or allergy) rules out a therapy type or a product source."""

    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="contraindications")
    therapy_type = models.ForeignKey(
        TherapyType, on_delete=models.CASCADE, null=True, blank=True, related_name="contraindications"
    )
    product_source = models.CharField(max_length=16, choices=ProductSource.choices, blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    rationale = models.TextField(blank=True)
    washout_days = models.PositiveSmallIntegerField(
        default=0, help_text="Days after the condition's end (its 'until') during which the rule still applies."
    )

    class Meta:
        ordering = ["condition__name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(therapy_type__isnull=False) & Q(product_source=""))
                | (Q(therapy_type__isnull=True) & ~Q(product_source="")),
                name="contraindication_exactly_one_target",
                violation_error_message="A rule applies to a therapy type or to a product source, exactly one.",
            ),
            models.UniqueConstraint(
                fields=["condition", "therapy_type"],
                condition=Q(therapy_type__isnull=False),
                name="contraindication_unique_therapy",
            ),
            models.UniqueConstraint(
                fields=["condition", "product_source"],
                condition=~Q(product_source=""),
                name="contraindication_unique_source",
            ),
        ]

    def __str__(self):
        target = self.therapy_type.name if self.therapy_type_id else f"{self.product_source} products"
        return f"{self.condition} -> {target} ({self.severity})"


class TreatmentPlan(models.Model):
    """A course of sessions of one therapy for one patient."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plans")
    therapy_type = models.ForeignKey(TherapyType, on_delete=models.PROTECT, related_name="plans")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="plans")
    indication = models.CharField(max_length=32, choices=Indication.choices)
    sessions_planned = models.PositiveIntegerField()
    min_interval_days = models.PositiveIntegerField()
    max_interval_days = models.PositiveIntegerField()
    start_date = models.DateField()
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="prescribed_plans"
    )
    needs_attention = models.BooleanField(default=False)
    attention_reason = models.TextField(blank=True)
    override_reason = models.TextField(blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_at = models.DateTimeField(null=True, blank=True)
    overridden_findings = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(sessions_planned__gte=1), name="plan_sessions_at_least_one"),
            models.CheckConstraint(
                condition=Q(min_interval_days__lte=F("max_interval_days")), name="plan_interval_min_le_max"
            ),
        ]
        indexes = [models.Index(fields=["needs_attention", "status"], name="plan_attention_idx")]

    def __str__(self):
        return f"{self.therapy_type} for {self.patient} (#{self.pk})"


class TreatmentSession(models.Model):
    """Session k of a plan, with the window of dates it must fall in."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="sessions")
    sequence = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=SessionStatus.choices, default=SessionStatus.PLANNED)
    window_start = models.DateField()
    window_end = models.DateField()
    scheduled_date = models.DateField(
        null=True,
        blank=True,
        help_text="Local date of the session's booked appointment; the next session's window counts from it.",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)
    product_lot = models.ForeignKey(
        ProductLot, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="session_unique_sequence"),
            models.CheckConstraint(condition=Q(window_start__lte=F("window_end")), name="session_window_ordered"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="session_sequence_positive"),
        ]

    def __str__(self):
        return f"Session {self.sequence} of {self.plan.sessions_planned} ({self.plan})"


class Consent(models.Model):
    """The patient's informed consent to a plan (a course) or to one visit (a one-off appointment, which points at
    it); no visit is completed without one."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    plan = models.ForeignKey(
        TreatmentPlan,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="consents",
        help_text="The course consented to; empty for the consent to a single visit.",
    )
    consented_to = models.TextField(help_text="What the patient consented to.")
    text_version = models.CharField(max_length=64, help_text="Version of the consent form text.")
    method = models.CharField(max_length=16, choices=ConsentMethod.choices)
    consented_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-consented_at"]

    def __str__(self):
        return f"Consent to {self.plan} ({self.text_version})"
