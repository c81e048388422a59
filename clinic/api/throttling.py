"""Request rates (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]): per user when signed in, per address otherwise.

A throttled request is `429 throttled` with Retry-After (clinic.api.errors). The rates are counted in the cache
(Redis in production, shared by every web process: settings.CACHES)."""

import logging

from redis.exceptions import RedisError
from rest_framework.throttling import ScopedRateThrottle

logger = logging.getLogger(__name__)


class ScopedPostThrottle(ScopedRateThrottle):
    """The view's `throttle_scope`, counted on POSTs only: reading a list is never throttled.

    A cache that cannot be reached (Redis down or hung past its socket timeout) lets the request through: a booking
    must not fail because its rate could not be counted."""

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        try:
            return super().allow_request(request, view)
        except RedisError:
            logger.warning("Request rate not counted: the cache is unreachable", exc_info=True)
            return True
