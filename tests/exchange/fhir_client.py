"""Reading FHIR answers the way a receiver does: parsed by the fhir.resources R4B model of their type."""

import json

from fhir.resources.R4B import get_fhir_model_class

FHIR_JSON = "application/fhir+json"


def parsed(response, status: int = 200):
    """The answer as its fhir.resources model, after checking the status, the media type and no-store."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith(FHIR_JSON)
    assert "no-store" in response["Cache-Control"].split(", ")
    data = json.loads(response.content)
    return get_fhir_model_class(data["resourceType"]).model_validate(data)


def bundle_resources(bundle) -> list:
    return [entry.resource for entry in bundle.entry or []]


def issue(response, status: int) -> tuple[str, str]:
    """The (code, diagnostics) of an OperationOutcome error answer."""
    outcome = parsed(response, status)
    assert outcome.get_resource_type() == "OperationOutcome"
    return outcome.issue[0].code, outcome.issue[0].diagnostics
