"""Product lots: which lot may be given on a day, and recalling one.

Who received a lot is read from the appointments that recorded it (scheduling.selectors.lot_recipients): every
visit, plan session or one-off, records its lot there.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from clinic.exceptions import DomainValidationError, InvalidTransition
from clinic.transitions import transition_check
from treatments.choices import LOT_TRANSITIONS, LotStatus
from treatments.models import Product, ProductLot


def lot_problems(*, lot: ProductLot | None, product: Product | None, day: date) -> list[str]:
    """Why `lot` cannot be recorded for a visit using `product` on its treatment `day` (empty when it can).

    A visit with a product needs a lot of that very product, released (not quarantined or recalled) and not
    expired on the treatment day; a visit without a product takes no lot.
    """
    if product is None:
        return ["This visit uses no product: leave the lot empty."] if lot is not None else []
    if lot is None:
        return [f"Record the lot of {product.name} that was used."]
    if lot.product_id != product.pk:
        return [f"Lot {lot.lot_number} is not a lot of {product.name}."]
    if lot.status != LotStatus.RELEASED:
        return [f"Lot {lot.lot_number} is {lot.get_status_display().lower()}: it may not be given."]
    if lot.expires_on < day:
        return [f"Lot {lot.lot_number} expired on {lot.expires_on} (the treatment day is {day})."]
    return []


def lot_status_change(*, lot: ProductLot, status: str, reason: str, by) -> ProductLot:
    """Release, quarantine or recall a lot (the admin's edit): a recall keeps who and when, a release clears them.
    The caller's transaction holds it; a change of status goes through LOT_TRANSITIONS (InvalidTransition)."""
    stored = ProductLot.objects.filter(pk=lot.pk).values_list("status", flat=True).first() if lot.pk else None
    if stored is not None and stored != status:
        transition_check(
            LOT_TRANSITIONS, current=stored, new=status, what="lot", label=lambda s: LotStatus(s).label.lower()
        )
    lot.status = status
    lot.status_reason = (reason or "").strip()
    if status == LotStatus.RECALLED:
        lot.recalled_at = lot.recalled_at or timezone.now()
        lot.recalled_by = lot.recalled_by or by
    else:
        lot.recalled_at, lot.recalled_by = None, None
    lot.full_clean()
    lot.save()
    return lot


def lot_recall(*, lot: ProductLot, by, reason: str) -> ProductLot:
    """Mark a lot recalled: who, when and why are kept, and no visit can record it from now on.

    Guarantees: a reason is required (DomainValidationError); recalling a lot already recalled is refused
    (InvalidTransition) so the first recall's who, when and why are never overwritten.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(errors={"reason": ["Say why the lot is recalled."]})
    with transaction.atomic():
        row = ProductLot.objects.select_for_update().select_related("product").get(pk=lot.pk)
        if row.status == LotStatus.RECALLED:
            raise InvalidTransition(
                f"Lot {row.lot_number} was already recalled on {row.recalled_at:%Y-%m-%d}.",
                current=row.status,
                requested=LotStatus.RECALLED,
            )
        return lot_status_change(lot=row, status=LotStatus.RECALLED, reason=reason, by=by)
