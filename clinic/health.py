"""GET /healthz: can this process reach its database and its broker? For load balancers and compose health checks."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

PROBE_TIMEOUT_SECONDS = 1.5


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure to answer means "down"; the reason is the database's log's business
        return False


def _broker() -> bool:
    if settings.REDIS_URL:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=PROBE_TIMEOUT_SECONDS, socket_connect_timeout=PROBE_TIMEOUT_SECONDS
        )
        try:
            return bool(client.ping())
        except (redis.RedisError, OSError):
            return False
        finally:
            client.close()
    # The embedded filesystem broker: its queue folder must exist (the Celery app makes it) and take files.
    queue = settings.BROKER_DIR / "queue"
    try:
        queue.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return queue.is_dir() and bool(queue.stat().st_mode & 0o200)


@never_cache
@require_GET
def healthz(request):
    """200 {"database": "ok", "broker": "ok"}, or 503 with "down" beside what cannot be reached. No sign-in: it
    says nothing about any patient. Each probe gives up within a second or two."""
    checks = {"database": _database(), "broker": _broker()}
    body = {name: "ok" if up else "down" for name, up in checks.items()}
    return JsonResponse(body, status=200 if all(checks.values()) else 503)
