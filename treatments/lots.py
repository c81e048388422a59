"""Product lots: which lot may be given on a day, and recalling one.

Who received a lot is read from the appointments that recorded it (scheduling.selectors.lot_recipients): every
visit, plan session or one-off, records its lot there.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from clinic.exceptions import DomainValidationError, InvalidTransition
from treatments.choices import LotStatus
from treatments.models import Product, ProductLot, ProductLotStatusChange


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


def lot_status_validate(*, lot: ProductLot, status: str, reason: str) -> None:
    """Refuse (DomainValidationError) a status change the service would not make: an unknown status, or a change
    without a reason (a recalled lot released again most of all). `lot` is the lot as stored. The admin's form asks
    this very function."""
    errors = {}
    if status not in LotStatus.values:
        errors["status"] = ["Choose released, quarantined or recalled."]
    elif status != lot.status and not (reason or "").strip():
        recalled = " Its recall stays on record." if lot.status == LotStatus.RECALLED else ""
        errors["status_reason"] = [f"Say why the lot becomes {LotStatus(status).label.lower()}.{recalled}"]
    if errors:
        raise DomainValidationError(errors=errors)


def _record_status(lot: ProductLot, *, before: str, by) -> None:
    ProductLotStatusChange.objects.create(
        lot=lot, from_status=before, to_status=lot.status, reason=lot.status_reason, by=by
    )


def lot_register(*, lot: ProductLot, by) -> ProductLot:
    """Save a newly received lot and the first line of its status history (who, when, its status and why)."""
    with transaction.atomic():
        lot.status_reason = (lot.status_reason or "").strip()
        if lot.status == LotStatus.RECALLED:
            lot.recalled_at, lot.recalled_by = timezone.now(), by
        lot.full_clean()
        lot.save()
        _record_status(lot, before="", by=by)
    return lot


def lot_status_change(*, lot: ProductLot, status: str, reason: str, by) -> ProductLot:
    """Release, quarantine or recall a lot (the admin's edit, a recall).

    Guarantees, in one transaction: the change has a reason (lot_status_validate); every change is kept in the lot's
    status history (from, to, who, when, why); a recall records who and when on the lot, and a later release keeps
    that record (the lot shows when it was last recalled). The same status with the same reason changes nothing.
    """
    reason = (reason or "").strip()
    with transaction.atomic():
        row = ProductLot.objects.select_for_update().select_related("product").get(pk=lot.pk)
        lot_status_validate(lot=row, status=status, reason=reason)
        if (row.status, row.status_reason) == (status, reason):
            return row
        before = row.status
        row.status, row.status_reason = status, reason
        if status == LotStatus.RECALLED and before != LotStatus.RECALLED:
            row.recalled_at, row.recalled_by = timezone.now(), by
        row.full_clean()
        row.save()
        _record_status(row, before=before, by=by)
    return row


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
                f"Lot {row.lot_number} was already recalled"
                + (f" on {row.recalled_at:%Y-%m-%d}." if row.recalled_at else "."),
                current=row.status,
                requested=LotStatus.RECALLED,
            )
        return lot_status_change(lot=row, status=LotStatus.RECALLED, reason=reason, by=by)
