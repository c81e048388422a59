"""Outboxes (reminders, waitlist offers): rows written in a use case's transaction and sent later by workers."""

from django.db import connections, transaction
from django.db.models import Q, QuerySet


def outbox_claim(candidates: QuerySet, *, claimable: Q, limit: int, mark: dict) -> list[int]:
    """Mark up to `limit` of `candidates` (in their order) with `mark` for this worker alone; returns their ids.

    Guarantees: of several workers claiming at once, each row goes to exactly one. On PostgreSQL rows another worker
    is claiming right now are skipped, not waited for; elsewhere each UPDATE re-checks `claimable` itself, so of two
    workers racing for a row exactly one changes it.
    """
    model = candidates.model
    with transaction.atomic(using=candidates.db):
        if connections[candidates.db].vendor == "postgresql":
            ids = list(candidates.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            model.objects.filter(pk__in=ids).update(**mark)
            return ids
        return [
            pk
            for pk in candidates.values_list("pk", flat=True)[:limit]
            if model.objects.filter(claimable, pk=pk).update(**mark)
        ]
