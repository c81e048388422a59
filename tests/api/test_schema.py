"""The OpenAPI schema builds without warnings, validates, and documents every error an operation can give."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

CONFLICT_OPERATIONS = [
    ("/api/v1/appointments/", "post"),
    ("/api/v1/appointments/{id}/reschedule/", "post"),
    ("/api/v1/appointments/{id}/cancel/", "post"),
    ("/api/v1/appointments/{id}/check-in/", "post"),
    ("/api/v1/appointments/{id}/no-show/", "post"),
    ("/api/v1/appointments/{id}/complete/", "post"),
    ("/api/v1/plans/{id}/schedule/", "post"),
]


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")
    assert "Error" in schema["components"]["schemas"]


def test_every_operation_documents_its_errors_with_the_error_component(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if path != "/api/v1/auth/token/" and not path.startswith("/api/v1/public/"):
                assert {"401", "403"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if method in ("post", "patch"):
                assert "400" in responses, (method, path)
            for status, response in responses.items():
                if status >= "400":
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


@pytest.mark.parametrize(("path", "method"), CONFLICT_OPERATIONS)
def test_booking_operations_document_conflicts_and_key_reuse(schema, path, method):
    operation = schema["paths"][path][method]
    assert {"409", "422"} <= set(operation["responses"])
    assert "Idempotency-Key" in {parameter["name"] for parameter in operation["parameters"]}


def test_docs_page_renders(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_schema_is_served(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/appointments/" in response.json()["paths"]
