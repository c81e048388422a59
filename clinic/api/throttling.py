"""Request rates (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]): per user when signed in, per address otherwise.

A throttled request is `429 throttled` with Retry-After (clinic.api.errors)."""

from rest_framework.throttling import ScopedRateThrottle


class ScopedPostThrottle(ScopedRateThrottle):
    """The view's `throttle_scope`, counted on POSTs only: reading a list is never throttled."""

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        return super().allow_request(request, view)
