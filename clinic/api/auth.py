"""Token sign-in for API clients, guarded by django-axes lockout, and the lockout answer for every login."""

from django.contrib.auth import authenticate
from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api.errors import LockedOut, error_body
from clinic.api.fields import StrictCharField

LOCKED_OUT_DETAIL = LockedOut.default_detail


class CredentialsSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class TokenView(APIView):
    """POST username and password, get the token to send as `Authorization: Token <token>`."""

    authentication_classes = []
    permission_classes = [AllowAny]
    error_statuses = {"post": (401, 429)}

    def get_authenticate_header(self, request):
        return "Token"

    @extend_schema(request=CredentialsSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        serializer = CredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # axes watches the plain HttpRequest: it counts failures and flags a locked-out account on it.
        django_request = request._request
        user = authenticate(request=django_request, **serializer.validated_data)
        if getattr(django_request, "axes_locked_out", False):
            raise LockedOut()
        if user is None or not user.is_active:
            raise AuthenticationFailed("Unable to sign in with that username and password.")
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


def lockout_response(request, credentials=None, *args, **kwargs) -> HttpResponse:
    """What a locked-out sign-in gets: the API's error shape under /api/, a plain sentence elsewhere (admin)."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(LockedOut.default_code, LOCKED_OUT_DETAIL), status=429)
    return HttpResponse(f"Account locked: {LOCKED_OUT_DETAIL}", status=429, content_type="text/plain; charset=utf-8")
