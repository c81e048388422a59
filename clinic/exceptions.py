"""Domain exceptions shared by every app. Each carries a stable code that the API maps to HTTP in one place."""

from enum import StrEnum


class ErrorCode(StrEnum):
    """Every `code` the API's errors carry (the contract's, unchanged): clinic.api.errors maps exceptions to them."""

    DOMAIN_ERROR = "domain_error"
    VALIDATION_ERROR = "validation_error"
    SLOT_UNAVAILABLE = "slot_unavailable"
    CONTRAINDICATED = "contraindicated"
    TOO_EARLY = "too_early"
    OUTSIDE_PLAN_WINDOW = "outside_plan_window"
    INVALID_TRANSITION = "invalid_transition"
    CONSENT_MISSING = "consent_missing"
    POSSIBLE_DUPLICATE = "possible_duplicate"
    CONFLICT = "conflict"
    PARSE_ERROR = "parse_error"
    NOT_AUTHENTICATED = "not_authenticated"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    THROTTLED = "throttled"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    LOCKED_OUT = "locked_out"


class DomainError(Exception):
    """A use case refused: `code` is the contract's error code, `detail` a sentence for a person."""

    code = ErrorCode.DOMAIN_ERROR
    status_code = 409
    default_detail = "The request conflicts with the current state."

    def __init__(self, detail: str | None = None, *, errors: dict | None = None, **extra):
        self.detail = detail or self.default_detail
        self.errors = errors or {}
        self.extra = extra
        super().__init__(self.detail)


class DomainValidationError(DomainError):
    """Input that a service refuses; `errors` names the fields."""

    code = ErrorCode.VALIDATION_ERROR
    status_code = 400
    default_detail = "Some fields are not valid."


class Conflict(DomainError):
    """The row changed since the client read it (a stale `sequence`), or another integrity clash."""

    code = ErrorCode.CONFLICT
    default_detail = "This appointment changed since you read it. Reload it and try again."


class SlotUnavailable(DomainError):
    code = ErrorCode.SLOT_UNAVAILABLE
    default_detail = "That time is no longer free. Pick another slot."


class Contraindicated(DomainError):
    """Screening found a blocking finding; `extra` carries `blocking` and `warnings` for the response."""

    code = ErrorCode.CONTRAINDICATED
    default_detail = "The patient is not eligible for this therapy."
    front_desk_detail = "The patient is not eligible for this therapy now: a practitioner must review it."

    def for_front_desk(self) -> tuple[str, dict]:
        """(detail, extra) without clinical detail: the findings' names only, no rationale, rule or code."""
        extra = {
            key: [{"condition_name": finding.get("condition_name", "")} for finding in self.extra.get(key) or []]
            for key in ("blocking", "warnings")
        }
        return self.front_desk_detail, extra


class TooEarly(DomainError):
    code = ErrorCode.TOO_EARLY
    default_detail = "It is too early for that: the appointment has not started yet."


class OutsidePlanWindow(DomainError):
    code = ErrorCode.OUTSIDE_PLAN_WINDOW
    default_detail = "That time is outside the window the treatment plan allows for this session."


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION
    default_detail = "That change of status is not allowed."


class ConsentMissing(DomainError):
    code = ErrorCode.CONSENT_MISSING
    default_detail = "The patient has not consented to this treatment yet: record the consent first."


class PossibleDuplicate(DomainError):
    """A new patient looks like one already registered; `extra` carries `matches` for the response."""

    code = ErrorCode.POSSIBLE_DUPLICATE
    default_detail = (
        "This patient may already be registered. Check the matches, or register anyway with allow_duplicate."
    )
