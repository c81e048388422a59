"""`Idempotency-Key` on POSTs that create or change appointments: a retry gets the first answer, not a second write.

Keys are rows in the database (clinic.models.IdempotencyKey), scoped to the user and kept for
CLINIC_IDEMPOTENCY_TTL_HOURS; a request meeting its own expired key claims that row afresh, and a daily beat task
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
from django.db import connection, transaction
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
    type={"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[ -~]*[!-~][ -~]*$"},
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
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
        raise exceptions.ValidationError({HEADER: [f"Send 1 to {MAX_KEY_LENGTH} printable ASCII characters."]})
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
            # Claim the key before doing the work: a concurrent twin blocks here until we commit, then replays.
            record_id = _claim(request.user.pk, key, request_hash, now)
            if record_id is None:
                return _replay(IdempotencyKey.objects.get(user=request.user, key=key), request_hash)
            response = view_method(self, request, *args, **kwargs)
            keys = IdempotencyKey.objects.filter(pk=record_id)
            if response.status_code >= 300:
                keys.delete()
                return response
            keys.update(response_status=response.status_code, response_body=response.data)
            return response

    return wrapper


def _claim(user_id: int, key: str, request_hash: str, now: datetime) -> int | None:
    """Write the key row for this request and return its id; None when the user's key is already taken and not
    expired (the caller replays it). An expired row counts as never used and is claimed afresh.

    One statement (an upsert whose update only applies to an expired row) instead of a delete, a savepoint and an
    insert: every keyed booking pays it. PostgreSQL and SQLite (3.35+) both run it.
    """
    table = IdempotencyKey._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table} (user_id, key, request_hash, created_at, expires_at)
                VALUES (%s, %s, %s, %s, %s)
                ON CONFLICT (user_id, key) DO UPDATE SET
                    request_hash = excluded.request_hash, created_at = excluded.created_at,
                    expires_at = excluded.expires_at, response_status = NULL, response_body = NULL
                WHERE {table}.expires_at <= excluded.created_at
                RETURNING id""",
            [user_id, key, request_hash, now, now + timedelta(hours=settings.CLINIC_IDEMPOTENCY_TTL_HOURS)],
        )
        row = cursor.fetchone()
    return row[0] if row else None


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
