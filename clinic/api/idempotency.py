"""`Idempotency-Key` on POSTs that create or change appointments: a retry gets the first answer, not a second write.

Keys are rows in the database (clinic.models.IdempotencyKey), scoped to the user and kept for
CLINIC_IDEMPOTENCY_TTL_HOURS; a request meeting its own expired key deletes that row, and a daily beat task
(clinic.tasks.prune_expired_idempotency_keys) deletes the rest. The key row is written in the same transaction as
the work, so either both exist or neither: a request that failed leaves no key and may be retried. Two concurrent
requests with one key are serialised by the row's unique constraint (PostgreSQL) or by the IMMEDIATE write
lock (SQLite).
"""

import functools
import hashlib
import json
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.response import Response

from clinic.api.errors import IdempotencyKeyReused
from clinic.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=HEADER,
    location=OpenApiParameter.HEADER,
    required=False,
    type=str,
    description="A unique value per intended change (e.g. a UUID). A retry with the same key and body returns the "
    "first response without booking twice; the same key with another body is refused with 422.",
)


def _request_hash(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _key_from(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise exceptions.ValidationError({HEADER: [f"Send 1 to {MAX_KEY_LENGTH} printable characters."]})
    return key


def idempotent(view_method):
    """Wrap a POST view method so that a repeated Idempotency-Key replays the stored response."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = _key_from(request)
        if key is None:
            return view_method(self, request, *args, **kwargs)
        request_hash = _request_hash(request)
        now = timezone.now()
        with transaction.atomic():
            # An expired key counts as never used. Only this (user, key) row, through the unique index: the other
            # expired keys are the daily prune's, not a cost on every request.
            IdempotencyKey.objects.filter(user=request.user, key=key, expires_at__lte=now).delete()
            try:
                # Claim the key before doing the work: a concurrent twin blocks here until we commit, then replays.
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(
                        user=request.user,
                        key=key,
                        request_hash=request_hash,
                        created_at=now,
                        expires_at=now + timedelta(hours=settings.CLINIC_IDEMPOTENCY_TTL_HOURS),
                    )
            except IntegrityError:
                return _replay(IdempotencyKey.objects.get(user=request.user, key=key), request_hash)
            response = view_method(self, request, *args, **kwargs)
            if response.status_code >= 300:
                record.delete()
                return response
            record.response_status = response.status_code
            record.response_body = response.data
            record.save(update_fields=["response_status", "response_body"])
            return response

    return wrapper


def idempotency_keys_prune(*, now: datetime | None = None) -> int:
    """Delete every key expired at `now` (default: the current time); returns how many. Keys not yet expired stay,
    so a retry within CLINIC_IDEMPOTENCY_TTL_HOURS still replays."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


def _replay(stored: IdempotencyKey, request_hash: str) -> Response:
    if stored.request_hash != request_hash:
        raise IdempotencyKeyReused()
    response = Response(stored.response_body, status=stored.response_status)
    response["Idempotent-Replayed"] = "true"
    return response
