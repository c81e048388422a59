"""Patient search: every word matched case-insensitively against name, email or phone, never across two fields;
on PostgreSQL served by the one trigram index declared in Patient.Meta."""

import pytest
from django.db import connection, transaction

from patients.filtersets import PatientFilterSet
from patients.models import Patient
from tests import factories

pytestmark = pytest.mark.django_db


def found(text: str) -> list[str]:
    queryset = PatientFilterSet({"search": text}, queryset=Patient.objects.order_by("last_name")).qs
    return list(queryset.values_list("last_name", flat=True))


def test_each_word_matches_name_email_or_phone_in_any_case():
    factories.PatientFactory(first_name="Jane", last_name="Smith", email="jsmith@example.org", phone="+44 20 7946 0001")
    factories.PatientFactory(first_name="Janet", last_name="Okafor", email="", phone="+44 20 7946 0999")
    assert found("JANE") == ["Okafor", "Smith"]
    assert found("jane smi") == ["Smith"]
    assert found("example.ORG") == ["Smith"]
    assert found("0999") == ["Okafor"]
    assert found("janet 0001") == []


def test_a_word_never_matches_across_two_fields():
    factories.PatientFactory(first_name="Ann", last_name="Lee", email="x@example.org")
    assert found("annlee") == []
    assert found("nnl") == []
    assert found("ann") == ["Lee"]


@pytest.mark.postgres
def test_postgres_answers_the_search_from_the_one_trigram_index():
    factories.PatientFactory(first_name="Jane", last_name="Smith")
    queryset = PatientFilterSet({"search": "smit jan"}, queryset=Patient.objects.all()).qs
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned; ask if the index fits
        plan = queryset.explain()
    assert "patient_search_text_trgm" in plan
