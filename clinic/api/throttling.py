"""Request rates (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]): per user when signed in, per client address otherwise
(clinic.client_address: X-Forwarded-For only through CLINIC_TRUSTED_PROXIES).

A throttled request is `429 throttled` with Retry-After (clinic.api.errors). Counts are atomic across web
processes: one counter per user (or address) and scope in the cache (Redis in production, settings.CACHES),
created with the window's expiry by `add` and counted by `incr` (Redis INCR), so concurrent requests in several
processes never overwrite each other's count. A window opens with the first request and lasts the rate's period.
"""

import logging
import time

from django.core.cache import cache
from rest_framework.throttling import ScopedRateThrottle

from clinic.budget import BudgetSpent, within_budget
from clinic.client_address import client_address

logger = logging.getLogger(__name__)


def count_request(key: str, period: int) -> tuple[int, float]:
    """Count one request against `key`; returns (requests in the current window, when that window opened).

    Guarantees: atomic under concurrency (add-if-absent, then increment); the window's keys expire with it."""
    now = time.time()
    for _ in range(2):  # the window may expire between add and incr: then open the next one
        cache.add(f"{key}:opened", now, timeout=period)
        cache.add(key, 0, timeout=period)
        try:
            count = cache.incr(key)
        except ValueError:
            continue
        return count, cache.get(f"{key}:opened", now)
    return 1, now


class ScopedPostThrottle(ScopedRateThrottle):
    """The view's `throttle_scope`, counted on POSTs only (`counted_methods`): reading a list is never throttled.

    A cache that cannot be reached, or does not answer within the request's budget (clinic.budget), lets the
    request through: a booking must not fail because its rate could not be counted."""

    counted_methods = ("POST",)

    def get_ident(self, request) -> str:
        return client_address(request)

    def allow_request(self, request, view) -> bool:
        if request.method not in self.counted_methods:
            return True
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        try:
            # The cache's socket timeout is the request's budget (settings.CACHES): bounded, so counted in this thread.
            count, opened = within_budget(lambda: count_request(self.key, self.duration), bounded=True)
        except BudgetSpent:
            logger.warning("Request rate not counted: the cache did not answer within the request's budget")
            return True
        except Exception:  # Redis down, refused or timed out: the rate is not counted, the request goes on
            logger.warning("Request rate not counted: the cache is unreachable", exc_info=True)
            return True
        self.opened = opened
        return count <= self.num_requests

    def wait(self) -> float:
        return max(1.0, self.opened + self.duration - time.time())


class ScopedReadThrottle(ScopedPostThrottle):
    """The view's `throttle_scope`, counted on reads (GET): for answers that are costly to give away in bulk."""

    counted_methods = ("GET",)


class SignInPageThrottle(ScopedPostThrottle):
    """The sign-in rate of the login pages (desk and admin): the token endpoint's scope, per client address."""

    scope = "sign_in"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class _LoginPage:
    throttle_scope = "sign_in"


def sign_in_page_wait(request) -> float | None:
    """For a POST to a login page: None when it may go on, else the seconds until the client may try again."""
    throttle = SignInPageThrottle()
    return None if throttle.allow_request(request, _LoginPage) else throttle.wait()
