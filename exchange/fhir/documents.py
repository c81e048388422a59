"""The documents around the resources: searchset Bundles, OperationOutcome errors and the CapabilityStatement."""

from urllib.parse import urlencode

from django.conf import settings
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome

from exchange.fhir.registry import TYPES, ResourceType
from exchange.fhir.resources import instant

FHIR_VERSION = "4.0.1"
# OperationOutcome issue codes (http://hl7.org/fhir/issue-type) by HTTP status.
ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported", 429: "throttled"}
SEARCH_PARAMETER_TYPES = {
    "_id": "token",
    "status": "token",
    "name": "string",
    "birthdate": "date",
    "date": "date",
    "patient": "reference",
    "subject": "reference",
    "practitioner": "reference",
    "location": "reference",
}


def operation_outcome(status: int, diagnostics: str, *, expression: str = "") -> dict:
    """The error document for an HTTP status: one issue, its code from the status, the sentence for a person."""
    issue = {"severity": "error", "code": ISSUE_CODES.get(status, "processing"), "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    outcome = {"resourceType": "OperationOutcome", "issue": [issue]}
    OperationOutcome.model_validate(outcome)
    return outcome


def _page_url(base_url: str, params, **changes) -> str:
    query = [(name, value) for name in params for value in params.getlist(name) if name not in changes]
    query += [(name, str(value)) for name, value in changes.items()]
    return f"{base_url}?{urlencode(query)}"


def searchset(
    *, resource_type: ResourceType, rows: list, total: int, count: int, offset: int, search_url: str, params
) -> dict:
    """A searchset Bundle: `total` matches, this page's resources (each validated by its model), and `self`,
    `next` and `previous` links that keep every parameter of the search."""
    base = search_url.rsplit("/", 1)[0]
    entries = [
        {"fullUrl": f"{base}/{resource_type.name}/{row.pk}", "resource": resource_type.validated(row)} for row in rows
    ]
    links = [{"relation": "self", "url": _page_url(search_url, params, _count=count, _offset=offset)}]
    if count and offset + count < total:
        links.append({"relation": "next", "url": _page_url(search_url, params, _count=count, _offset=offset + count)})
    if count and offset > 0:
        previous = max(offset - count, 0)
        links.append({"relation": "previous", "url": _page_url(search_url, params, _count=count, _offset=previous)})
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
    if entries:
        bundle["entry"] = [{**entry, "search": {"mode": "match"}} for entry in entries]
    # The envelope through the Bundle model too; its resources were each validated above (a resource inside a
    # Bundle would be validated again, at the full price).
    Bundle.model_validate(
        {**bundle, "entry": [{"fullUrl": e["fullUrl"], "search": e["search"]} for e in bundle.get("entry", [])]}
    )
    return bundle


def capability_statement(*, base_url: str, now) -> dict:
    """What this server does: read and search-type on each type, with the search parameters each understands."""
    statement = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": instant(now),
        "publisher": "Clinic",
        "kind": "instance",
        "software": {"name": "Clinic booking and treatment-plan system"},
        "implementation": {"description": "The clinic's records, read-only", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["json", "application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read-only. _count is at most 200 (a larger one is served as 200); pages follow "
                "the Bundle's next link.",
                "security": {
                    "cors": False,
                    "description": "Authorization: Token <token> (POST /api/v1/auth/token/). The front desk reads "
                    "Patient, Practitioner, Location and Appointment; practitioners and clinic admins read all.",
                },
                "resource": [_capability(resource_type) for resource_type in TYPES.values()],
            }
        ],
    }
    if settings.DEBUG:
        statement["experimental"] = True
    CapabilityStatement.model_validate(statement)
    return statement


def _capability(resource_type: ResourceType) -> dict:
    return {
        "type": resource_type.name,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            {"name": name, "type": SEARCH_PARAMETER_TYPES[name]} for name in sorted(resource_type.searches)
        ],
    }
