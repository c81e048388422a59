"""OpenAPI: the error component and every error status an operation can answer, added in one place."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object, is_serializer
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    """The one error shape. Contraindication refusals add `blocking` and `warnings`."""

    code = serializers.CharField(help_text="Stable machine-readable code, e.g. slot_unavailable.")
    detail = serializers.CharField(help_text="A sentence for a person.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text="Field name -> messages; empty when the error is not about fields.",
    )
    blocking = serializers.ListField(child=serializers.DictField(), required=False)
    warnings = serializers.ListField(child=serializers.DictField(), required=False)
    matches = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="possible_duplicate: the patients this may be."
    )

    class Meta:
        ref_name = "Error"


class TokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Token <token>`, the token from POST /api/v1/auth/token/ (expires; see `expires_at`)."""

    target_class = "clinic.api.authentication.TokenWithRolesAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")


_DESCRIPTIONS = {
    "400": "validation_error (or parse_error): the request is malformed; `errors` names the fields.",
    "401": "not_authenticated: send `Authorization: Token <token>` or sign in.",
    "403": "permission_denied: your role does not allow this.",
    "404": "not_found: no such object (or page).",
    "405": "method_not_allowed.",
    "406": "not_acceptable: this API answers application/json.",
    "409": "A domain conflict: slot_unavailable, contraindicated (with blocking and warnings), "
    "outside_plan_window, invalid_transition, consent_missing, possible_duplicate (with matches), or conflict (any "
    "other clash with stored data).",
    "413": "payload_too_large: the body is over CLINIC_MAX_BODY_BYTES (1 MB).",
    "415": "unsupported_media_type: send application/json.",
    "422": "idempotency_key_reused: this Idempotency-Key was used with another body.",
    "429": "locked_out or throttled: too many attempts; Retry-After says how many seconds to wait.",
}


class ClinicAutoSchema(AutoSchema):
    """Document the error responses each operation can give, all with the Error component.

    A view may list more with `error_statuses` (e.g. (409, 422) for bookings).
    """

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in self._error_statuses():
            response = OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[status])
            responses.setdefault(status, self._get_response_for_code(response, status, direction=direction))
        return responses

    def _error_statuses(self) -> list[str]:
        statuses = {"405", "406"}
        if AllowAny not in getattr(self.view, "permission_classes", ()):
            statuses |= {"401", "403"}
        if self.method in ("POST", "PUT", "PATCH"):
            statuses |= {"400", "413", "415"}
            if getattr(self.view, "throttle_scope", None):
                statuses.add("429")
        if self.get_filter_backends() or self._is_list_view() or self._has_query_parameters():
            statuses.add("400")
        if self._is_list_view() or "{" in self.path:
            statuses.add("404")
        statuses |= {str(status) for status in getattr(self.view, "error_statuses", {}).get(self._action(), ())}
        statuses |= {str(status) for status in getattr(self.view, "error_statuses", {}).get("*", ())}
        return sorted(statuses)

    def _action(self) -> str:
        return getattr(self.view, "action", None) or self.method.lower()

    def _has_query_parameters(self) -> bool:
        """A query the view validates: its `query_serializer_class`, or a serializer or query parameter that its
        `extend_schema(parameters=...)` documents."""
        if getattr(self.view, "query_serializer_class", None):
            return True
        for parameter in self.get_override_parameters():
            if isinstance(parameter, OpenApiParameter):
                if parameter.location == OpenApiParameter.QUERY:
                    return True
            elif is_serializer(parameter):
                return True
        return False


# Fields that only practitioners and clinic admins receive (clinic.api.permissions.is_clinical): optional in the
# schema so that the front desk's shorter answers conform too.
CLINICAL_ONLY_FIELDS = {
    "Plan": ("override_reason", "override_by", "override_at", "prescriber", "notes"),
    # One schema serves every role: the front desk's appointments lack the hold findings and the override.
    "AppointmentClinical": (
        "held_at",
        "hold_findings",
        "override_reason",
        "override_by",
        "override_at",
        "overridden_findings",
    ),
    "Finding": ("rule_id", "condition_code", "condition_kind", "severity", "target", "rationale"),
}


def mark_clinical_only_fields(result, generator, request, public):
    """drf-spectacular postprocessing hook: clinical-only fields are documented but not required."""
    schemas = result.get("components", {}).get("schemas", {})
    for component, fields in CLINICAL_ONLY_FIELDS.items():
        schema = schemas.get(component)
        if not schema:
            continue
        schema["required"] = [name for name in schema.get("required", []) if name not in fields]
        for name in fields:
            prop = schema["properties"][name]
            prop["description"] = (prop.get("description", "") + " Practitioners and clinic admins only.").strip()
    return result


def query_parameters_as_sent(result, generator, request, public):
    """drf-spectacular postprocessing hook: describe query parameters as the text they are on the wire.

    A boolean is the word `true` or `false` and an id or page number is a string of digits: exactly what the
    filters and pagination accept (clinic.api.filters), so a client (or a fuzzer) reads the real contract.
    """
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") != "query":
                    continue
                if schema.get("type") == "boolean":
                    parameter["schema"] = {"type": "string", "enum": ["true", "false"]}
                elif schema.get("type") == "integer":
                    parameter["schema"] = {"type": "string", "pattern": "^[0-9]+$"}
    return result
