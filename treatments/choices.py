from django.db import models


class ProductSource(models.TextChoices):
    AUTOLOGOUS = "autologous", "Autologous (the patient's own)"
    HUMAN = "human", "Human-derived"
    FISH = "fish", "Fish-derived"
    PLANT = "plant", "Plant-derived"


class RegulatoryStatus(models.TextChoices):
    APPROVED = "approved", "Approved"
    CLEARED = "cleared", "Cleared / registered device"
    COSMETIC = "cosmetic", "Cosmetic product"
    INVESTIGATIONAL = "investigational", "Investigational"
    UNAPPROVED = "unapproved", "Not approved in this jurisdiction"


class Severity(models.TextChoices):
    ABSOLUTE = "absolute", "Absolute (blocks)"
    RELATIVE = "relative", "Relative (needs a recorded reason)"


class Indication(models.TextChoices):
    FINE_LINES_WRINKLES = "fine_lines_wrinkles", "Fine lines and wrinkles"
    VOLUME_LOSS = "volume_loss", "Volume loss"
    ACNE_SCARS = "acne_scars", "Acne scars"
    SCARS = "scars", "Scars"
    PIGMENTATION = "pigmentation", "Pigmentation and sun spots"
    ANDROGENETIC_ALOPECIA = "androgenetic_alopecia", "Androgenetic alopecia"
    FEMALE_PATTERN_HAIR_LOSS = "female_pattern_hair_loss", "Female pattern hair loss"
    OTHER = "other", "Other"


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


PLAN_TRANSITIONS: dict[str, set[str]] = {
    PlanStatus.ACTIVE: {PlanStatus.COMPLETED, PlanStatus.CANCELLED},
    PlanStatus.COMPLETED: set(),
    PlanStatus.CANCELLED: set(),
}


class SessionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    BOOKED = "booked", "Booked"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    SKIPPED = "skipped", "Skipped"


SESSION_TRANSITIONS: dict[str, set[str]] = {
    SessionStatus.PLANNED: {SessionStatus.BOOKED, SessionStatus.CANCELLED, SessionStatus.SKIPPED},
    # booked -> planned: the appointment was cancelled or missed, the session waits to be booked again.
    SessionStatus.BOOKED: {
        SessionStatus.PLANNED,
        SessionStatus.COMPLETED,
        SessionStatus.CANCELLED,
        SessionStatus.SKIPPED,
    },
    SessionStatus.COMPLETED: set(),
    SessionStatus.CANCELLED: set(),
    SessionStatus.SKIPPED: set(),
}


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", "Signed form"
    ELECTRONIC = "electronic", "Electronic signature"
    VERBAL = "verbal", "Verbal, witnessed"


class LotStatus(models.TextChoices):
    RELEASED = "released", "Released for use"
    QUARANTINED = "quarantined", "Quarantined (not to be used)"
    RECALLED = "recalled", "Recalled"


# A recall is final for giving the lot (lot_problems refuses it); the admin may still correct a recall made by
# mistake back to released or quarantined, which clears who and when.
LOT_TRANSITIONS: dict[str, set[str]] = {
    LotStatus.RELEASED: {LotStatus.QUARANTINED, LotStatus.RECALLED},
    LotStatus.QUARANTINED: {LotStatus.RELEASED, LotStatus.RECALLED},
    LotStatus.RECALLED: {LotStatus.RELEASED, LotStatus.QUARANTINED},
}
