"""The API: /api/v1/... routes of every app, token sign-in, and the OpenAPI schema with its docs."""

from django.http import JsonResponse
from django.urls import include, path, re_path, register_converter
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from clinic.api.auth import LogoutView, TokenView
from clinic.api.converters import IdConverter
from clinic.api.errors import error_body


@csrf_exempt
def unknown_endpoint(request, *args, **kwargs):
    """Any other path under /api/: a 404 in the API's error shape rather than Django's HTML page."""
    return JsonResponse(error_body("not_found", "There is no API endpoint at this address."), status=404)


# Registered before the apps' routes below are imported: they write <id:pk> for the ids in a path.
register_converter(IdConverter, "id")

v1 = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("auth/logout/", LogoutView.as_view(), name="logout"),
    path("", include("patients.api.urls")),
    path("", include("treatments.api.urls")),
    path("", include("scheduling.api.urls")),
    path("", include("messaging.api.urls")),
    path("", include("care.api.urls")),
    path("", include("waitlist.api.urls")),
    path("", include("exchange.api.urls")),
    path("", include("exchange.feeds.api.urls")),
]

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    # The split view serves its set-up script as a file: the page has no inline script (Content-Security-Policy).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", permission_classes=[AllowAny]), name="docs"),
    # [\s\S], not ".": a decoded path may hold a line break (%0A), which "." does not match.
    re_path(r"^[\s\S]*$", unknown_endpoint),
]
