"""The API: /api/v1/... routes of every app and the OpenAPI schema (filled by the API issue)."""

urlpatterns = []
