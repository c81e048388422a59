"""The demo clinic's rules screen as DESIGN.md describes (demo configuration, not medical advice)."""

import io

import pytest
from django.core.management import call_command

from patients.models import Condition
from tests import factories
from treatments.models import Product, TherapyType
from treatments.screening import screen

pytestmark = pytest.mark.django_db

# condition -> (PRP, exosome with a fish product, exosome with a plant product): "block", "warn" or "ok"
EXPECTED = {
    "anticoagulant-therapy": ("block", "ok", "ok"),
    "antiplatelet-therapy": ("block", "ok", "ok"),
    "thrombocytopenia": ("block", "ok", "ok"),
    "platelet-dysfunction": ("block", "ok", "ok"),
    "active-skin-infection": ("block", "block", "block"),
    "cardiovascular-disease": ("warn", "ok", "ok"),
    "pregnancy": ("warn", "warn", "warn"),
    "fish-allergy": ("ok", "block", "ok"),
}


def verdict(result):
    return "block" if result.blocking else "warn" if result.warnings else "ok"


def test_each_demo_condition_screens_as_designed():
    call_command("seed_demo", "--password", "demo-pass-123", stdout=io.StringIO())
    prp, exosome = TherapyType.objects.get(code="prp"), TherapyType.objects.get(code="exosome")
    fish = Product.objects.get(therapy_type=exosome, source="fish")
    plant = Product.objects.get(therapy_type=exosome, source="plant")

    got = {}
    for code in EXPECTED:
        patient = factories.PatientFactory()
        factories.PatientConditionFactory(patient=patient, condition=Condition.objects.get(code=code))
        got[code] = tuple(verdict(screen(patient, *args)) for args in ((prp,), (exosome, fish), (exosome, plant)))

    assert got == EXPECTED
