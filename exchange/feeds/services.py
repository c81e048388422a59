"""Issuing and revoking a practitioner's calendar feed, and finding the feed a URL's secret opens."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from exchange.models import CalendarFeed
from scheduling.models import Practitioner


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def calendar_feed_issue(*, practitioner: Practitioner, by) -> str:
    """A new secret for the practitioner's feed, returned once and stored only as its hash; the previous secret
    (if any) stops working in the same transaction."""
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarFeed.objects.update_or_create(
            practitioner=practitioner,
            defaults={"secret_hash": secret_hash(secret), "issued_by": by, "issued_at": timezone.now()},
        )
    return secret


def calendar_feed_revoke(*, practitioner: Practitioner) -> bool:
    """The practitioner's feed URL stops working; True when there was one to revoke."""
    with transaction.atomic():
        deleted, _ = CalendarFeed.objects.filter(practitioner=practitioner).delete()
    return bool(deleted)


def calendar_feed_owner(*, secret: str) -> Practitioner | None:
    """The practitioner whose feed the secret opens: None for an unknown or revoked secret, or when the
    practitioner or their account is no longer active."""
    feed = CalendarFeed.objects.select_related("practitioner__user").filter(secret_hash=secret_hash(secret)).first()
    if feed is None or not feed.practitioner.active or not feed.practitioner.user.is_active:
        return None
    return feed.practitioner
