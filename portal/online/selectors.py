"""What a visitor may read before booking: the catalog, the health questions of a therapy and its free slots.

Only what the clinic marks bookable online is ever shown; no room, device, patient or rule text leaves here.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from clinic.clock import clinic_zone
from clinic.exceptions import DomainValidationError
from patients.choices import ConditionKind
from patients.models import Condition
from portal.online.models import OnlineBookingSettings
from scheduling.availability import offer_free_slots
from scheduling.models import Location, Practitioner
from treatments.models import Contraindication, Product, TherapyType

MAX_DAYS = 14
MAX_SLOTS = 200
PREGNANCY_CODE = "pregnancy"


def online_settings() -> OnlineBookingSettings:
    """The clinic's online booking settings (the defaults until an admin saves them)."""
    return OnlineBookingSettings.objects.order_by("pk").first() or OnlineBookingSettings()


def clinic_name() -> str:
    """The name every booking page shows: the settings' name, else the first location open to online booking."""
    configured = online_settings().clinic_name
    if configured:
        return configured
    return bookable_locations().values_list("name", flat=True).first() or "The clinic"


def default_time_zone() -> str:
    """The time zone of the first location open to online booking (the clinic's default without one)."""
    return bookable_locations().values_list("time_zone", flat=True).first() or str(clinic_zone())


def bookable_locations():
    return Location.objects.filter(online_booking=True).order_by("name", "pk")


def bookable_therapy_types():
    return TherapyType.objects.filter(online_booking=True).order_by("name", "pk")


def bookable_products(therapy_type: TherapyType):
    return Product.objects.filter(therapy_type=therapy_type, active=True).order_by("name", "pk")


def catalog() -> dict:
    """Locations and therapies (with their products) open to online booking: three queries."""
    therapy_types = list(bookable_therapy_types())
    products: dict[int, list[dict]] = {therapy.pk: [] for therapy in therapy_types}
    for product in Product.objects.filter(therapy_type__in=therapy_types, active=True).order_by("name", "pk"):
        products[product.therapy_type_id].append({"id": product.pk, "name": product.name})
    return {
        "locations": [
            {"id": location.pk, "name": location.name, "time_zone": location.time_zone}
            for location in bookable_locations()
        ],
        "therapy_types": [
            {
                "id": therapy.pk,
                "code": therapy.code,
                "name": therapy.name,
                "session_minutes": therapy.session_minutes,
                "products": products[therapy.pk],
            }
            for therapy in therapy_types
        ],
    }


@dataclass(frozen=True)
class Question:
    code: str
    text: str


def _question_text(condition: Condition) -> str:
    if condition.code == PREGNANCY_CODE:
        return "Are you pregnant, or could you be?"
    if condition.kind == ConditionKind.MEDICATION:
        return f"Do you currently take {condition.name.lower()}?"
    if condition.kind == ConditionKind.ALLERGY:
        return f"Do you have this allergy: {condition.name.lower()}?"
    return f"Do you have, or have you been told you have, {condition.name.lower()}?"


def questions_for(*, therapy_type: TherapyType, product: Product | None = None) -> list[Question]:
    """One yes / no question per condition some rule can block the therapy (or the product's source; without a
    product, any source of the therapy's products) for: a new rule adds a question. By condition name; one query."""
    if product is not None:
        sources = Q(product_source=product.source)
    else:
        sources = Q(product_source__in=Product.objects.filter(therapy_type=therapy_type, active=True).values("source"))
    rules = Contraindication.objects.filter(Q(therapy_type=therapy_type) | sources)
    conditions = Condition.objects.filter(pk__in=rules.values("condition_id")).order_by("name", "pk")
    return [Question(code=condition.code, text=_question_text(condition)) for condition in conditions]


@dataclass(frozen=True)
class PublicSlot:
    start: datetime
    end: datetime
    practitioner_id: int
    practitioner_name: str


@dataclass(frozen=True)
class PublicSlots:
    slots: list[PublicSlot]
    more: bool


def bookable_window(*, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The earliest and latest start an online booking may have: the clinic's minimum notice and horizon."""
    now = now or timezone.now()
    config = online_settings()
    return now + timedelta(hours=config.min_notice_hours), now + timedelta(days=config.horizon_days)


def public_slots(*, therapy_type: TherapyType, location: Location, day: date, days: int = 1) -> PublicSlots:
    """Free slots of the therapy at the location on `days` local days from `day`, inside the online window
    (minimum notice, horizon), earliest first, with the practitioner's display name only. Eight queries at most."""
    if not 1 <= days <= MAX_DAYS:
        raise DomainValidationError(errors={"days": [f"Ask for 1 to {MAX_DAYS} days."]})
    zone = location.zone
    earliest, latest = bookable_window()
    start = max(datetime.combine(day, time.min, tzinfo=zone), earliest)
    end = min(datetime.combine(day + timedelta(days=days), time.min, tzinfo=zone), latest)
    if end <= start:
        return PublicSlots(slots=[], more=False)
    offer = offer_free_slots(therapy_type=therapy_type, location=location, start=start, end=end, limit=MAX_SLOTS)
    names = dict(
        Practitioner.objects.filter(pk__in={slot.practitioner_id for slot in offer.slots}).values_list(
            "pk", "display_name"
        )
    )
    return PublicSlots(
        slots=[
            PublicSlot(slot.start, slot.end, slot.practitioner_id, names.get(slot.practitioner_id, ""))
            for slot in offer.slots
        ],
        more=offer.more,
    )
