"""FHIR R4 read API (contract v1.2 "Exchange"): the clinic's rows as R4 resources, validated with fhir.resources."""
