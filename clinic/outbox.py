"""Outboxes (reminders, waitlist offers): rows written in a use case's transaction and sent later by workers."""

from django.db import connections, transaction
from django.db.models import Q, QuerySet


def outbox_claim(rows: QuerySet, *, claimable: Q, limit: int, mark: dict, pk: int | None = None) -> list:
    """Mark up to `limit` claimable `rows` (the outbox, in the order to send, with what the sender reads) with
    `mark` for this worker alone, and return them; `pk` claims that row only, if it is claimable.

    Guarantees: of several workers claiming at once, each row goes to exactly one. On PostgreSQL rows another worker
    is claiming right now are skipped, not waited for; elsewhere each UPDATE re-checks `claimable` itself, so of two
    workers racing for a row exactly one changes it.
    """
    model = rows.model
    candidates = rows.select_related(None).filter(claimable)
    if pk is not None:
        candidates = candidates.filter(pk=pk)
    with transaction.atomic(using=rows.db):
        if connections[rows.db].vendor == "postgresql":
            ids = list(candidates.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            model.objects.filter(pk__in=ids).update(**mark)
        else:
            ids = [
                candidate
                for candidate in candidates.values_list("pk", flat=True)[:limit]
                if model.objects.filter(claimable, pk=candidate).update(**mark)
            ]
    return list(rows.filter(pk__in=ids))
