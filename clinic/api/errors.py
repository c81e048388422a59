"""The one exception handler: every error the API gives has the shape {"code", "detail", "errors"}."""

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DataError, IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from clinic.api.permissions import is_clinical
from clinic.exceptions import Contraindicated, DomainError, ErrorCode


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = ErrorCode.IDEMPOTENCY_KEY_REUSED
    default_detail = "This Idempotency-Key was already used with a different request. Use a new key."


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = ErrorCode.LOCKED_OUT
    default_detail = "Too many failed sign-in attempts for this account. Try again later or ask a clinic admin."

    def __init__(self, detail=None, code=None, wait: int | None = None):
        super().__init__(detail, code)
        self.wait = wait  # seconds, sent as Retry-After


# DRF exceptions whose own code would not be the contract's: the contract's code for each class.
_CODES = [
    (exceptions.ValidationError, ErrorCode.VALIDATION_ERROR),
    (exceptions.ParseError, ErrorCode.PARSE_ERROR),
    (exceptions.NotAuthenticated, ErrorCode.NOT_AUTHENTICATED),
    (exceptions.AuthenticationFailed, ErrorCode.NOT_AUTHENTICATED),
    (exceptions.PermissionDenied, ErrorCode.PERMISSION_DENIED),
    (exceptions.NotFound, ErrorCode.NOT_FOUND),
    (exceptions.MethodNotAllowed, ErrorCode.METHOD_NOT_ALLOWED),
    (exceptions.NotAcceptable, ErrorCode.NOT_ACCEPTABLE),
    (exceptions.UnsupportedMediaType, ErrorCode.UNSUPPORTED_MEDIA_TYPE),
    (exceptions.Throttled, ErrorCode.THROTTLED),
]


def error_body(code: str, detail: str, errors: dict | None = None, **extra) -> dict:
    return {"code": str(code), "detail": str(detail), "errors": errors or {}, **extra}


def _field_errors(detail) -> dict:
    """DRF's nested ValidationError detail as {field: [messages]}; errors on no field go under non_field_errors."""
    if isinstance(detail, dict):
        return {field: _messages(value) for field, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _messages(value) -> list:
    if isinstance(value, list):
        return [item if isinstance(item, dict) else str(item) for item in value]
    if isinstance(value, dict):
        return [_field_errors(value)]
    return [str(value)]


def _api_exception_response(exc: exceptions.APIException) -> Response:
    code = next((code for cls, code in _CODES if isinstance(exc, cls)), exc.default_code)
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(code, "Some fields are not valid.", _field_errors(exc.detail))
    else:
        body = error_body(code, exc.detail)
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    return Response(body, status=exc.status_code, headers=headers)


def exception_handler(exc, context):
    """Map any exception a view raises to the contract's error shape; unknown exceptions stay 500s."""
    if isinstance(exc, DomainError):
        set_rollback()
        detail, extra = exc.detail, exc.extra
        request = context.get("request")
        if isinstance(exc, Contraindicated) and not is_clinical(getattr(request, "user", None)):
            detail, extra = exc.for_front_desk()
        body = error_body(exc.code, detail, exc.errors, **extra)
        wait = getattr(exc, "wait", None)  # a refusal that passes with time (429) says when
        return Response(body, status=exc.status_code, headers={"Retry-After": str(int(wait))} if wait else None)
    if isinstance(exc, IntegrityError):
        # A database rule caught what a service check missed. The overlap constraints are turned into
        # slot_unavailable by the booking service, which knows them; any other clash is a plain conflict.
        set_rollback()
        return Response(
            error_body(ErrorCode.CONFLICT, "This clashes with data already stored; nothing was changed."),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DataError):
        # A value the column cannot hold (a number too large, ...) that no serializer bound caught.
        set_rollback()
        return Response(
            error_body(ErrorCode.VALIDATION_ERROR, "A value is out of the range this field can store."),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        set_rollback()
        return _api_exception_response(exc)
    return None
