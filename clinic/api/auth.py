"""Token sign-in and sign-out for API clients, guarded by django-axes lockout and a rate, and the lockout answer
for every login (API, desk and admin login pages)."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api.authentication import api_token_issue
from clinic.api.errors import LockedOut, error_body
from clinic.api.fields import StrictCharField, StrictSerializer
from clinic.api.throttling import ScopedPostThrottle
from clinic.models import ApiToken

LOCKED_OUT_DETAIL = LockedOut.default_detail


def lockout_seconds() -> int:
    """How long a locked-out sign-in waits (axes' cool-off), for Retry-After."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


class CredentialsSerializer(StrictSerializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)


class TokenView(APIView):
    """POST username and password, get the token to send as `Authorization: Token <token>` until `expires_at`."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedPostThrottle]
    throttle_scope = "sign_in"
    error_statuses = {"post": (401, 429)}

    def get_authenticate_header(self, request):
        return "Token"

    @extend_schema(request=CredentialsSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        serializer = CredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # axes watches the plain HttpRequest: it counts failures and flags a locked-out sign-in on it.
        django_request = request._request
        user = authenticate(request=django_request, **serializer.validated_data)
        if getattr(django_request, "axes_locked_out", False):
            raise LockedOut(wait=lockout_seconds())
        if user is None or not user.is_active:
            raise AuthenticationFailed("Unable to sign in with that username and password.")
        api_token, token = api_token_issue(user=user)
        return Response(TokenSerializer({"token": token, "expires_at": api_token.expiry}).data)


class LogoutView(APIView):
    """Revoke the token this request is signed with (other tokens of the user stay valid)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            ApiToken.objects.filter(digest=request.auth.digest).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


def lockout_response(request, credentials=None, *args, **kwargs) -> HttpResponse:
    """What a locked-out sign-in gets: the API's error shape under /api/, a plain sentence elsewhere (login pages),
    with Retry-After either way."""
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(LockedOut.default_code, LOCKED_OUT_DETAIL), status=429)
    else:
        response = HttpResponse(
            f"Account locked: {LOCKED_OUT_DETAIL}", status=429, content_type="text/plain; charset=utf-8"
        )
    response["Retry-After"] = str(lockout_seconds())
    return response
