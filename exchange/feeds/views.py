"""The feed itself: GET /feeds/calendar/<secret>.ics, opened by the secret alone (a calendar app sends no token)."""

import hashlib

from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from django.views import View

from exchange.feeds.calendar import practitioner_calendar
from exchange.feeds.services import calendar_feed_owner


def _matches(request, etag: str) -> bool:
    wanted = parse_etags(request.headers.get("If-None-Match", ""))
    # If-None-Match compares weakly: W/"x" matches "x".
    return "*" in wanted or any(tag.removeprefix("W/") == etag for tag in wanted)


class CalendarFeedView(View):
    """The practitioner's calendar as text/calendar, with a strong ETag of its bytes: a calendar app that sends it
    back in If-None-Match gets 304 until an appointment in the span changes. An unknown or revoked secret is 404."""

    http_method_names = ["get", "head"]

    def get(self, request, secret: str):
        practitioner = calendar_feed_owner(secret=secret)
        if practitioner is None:
            raise Http404("No calendar feed at this address.")
        body = practitioner_calendar(practitioner=practitioner, now=timezone.now())
        etag = f'"{hashlib.sha256(body).hexdigest()[:40]}"'
        response = HttpResponseNotModified() if _matches(request, etag) else HttpResponse(body)
        if response.status_code == 200:
            response["Content-Type"] = "text/calendar; charset=utf-8"
            response["Content-Disposition"] = 'inline; filename="clinic.ics"'
        response["ETag"] = etag
        # Stored by the calendar app but always revalidated; never by a shared cache.
        response["Cache-Control"] = "private, no-cache"
        response["X-Robots-Tag"] = "noindex"
        patch_vary_headers(response, ["Accept-Encoding"])
        return response
