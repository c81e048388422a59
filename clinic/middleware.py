"""Limits applied at the edge, before a view reads anything."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import reverse

from clinic.api.throttling import sign_in_page_wait


def payload_too_large(request, limit: int) -> HttpResponse:
    detail = f"The request body is larger than {limit // 1024} KB. Send less."
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "payload_too_large", "detail": detail, "errors": {}}, status=413)
    return HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")


class RequestSizeLimitMiddleware:
    """A body declared larger than CLINIC_MAX_BODY_BYTES is refused with 413 before any of it is read (the JSON
    parser would otherwise read it whole: DRF bypasses Django's DATA_UPLOAD_MAX_MEMORY_SIZE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.CLINIC_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return payload_too_large(request, limit)
        return self.get_response(request)


class SignInPageThrottleMiddleware:
    """The login pages (desk and admin) are throttled per client address at the token endpoint's rate
    (CLINIC_THROTTLE_SIGN_IN): a POST over the rate is a 429 page with Retry-After, before any password is checked."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.paths = None

    def __call__(self, request):
        if request.method == "POST":
            if self.paths is None:
                self.paths = {reverse("login"), reverse("admin:login")}
            if request.path in self.paths:
                wait = sign_in_page_wait(request)
                if wait is not None:
                    response = HttpResponse(
                        "Too many sign-in attempts from this address. Try again shortly.",
                        status=429,
                        content_type="text/plain; charset=utf-8",
                    )
                    response["Retry-After"] = str(int(wait + 0.999))
                    return response
        return self.get_response(request)
