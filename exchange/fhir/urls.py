"""/fhir/R4/...: the CapabilityStatement, read by id and search on each type; anything else a 404 OperationOutcome."""

from django.urls import re_path

from exchange.fhir import views

urlpatterns = [
    re_path(r"^R4/metadata/?$", views.CapabilityView.as_view(), name="fhir-metadata"),
    re_path(r"^R4/(?P<resource_type>[A-Za-z]+)/?$", views.SearchView.as_view(), name="fhir-search"),
    re_path(r"^R4/(?P<resource_type>[A-Za-z]+)/(?P<pk>[^/]+)/?$", views.ReadView.as_view(), name="fhir-read"),
    re_path(r"^[\s\S]*$", views.unknown_fhir_path),
]
