"""Fixtures for the treatments tests: the two therapies, a patient, the people who act, and the demo's rules."""

from datetime import date

import pytest

from patients.choices import ConditionKind
from tests import factories
from treatments.choices import Indication, ProductSource, Severity
from treatments.plans import plan_create


@pytest.fixture
def prp():
    return factories.TherapyTypeFactory()


@pytest.fixture
def exosome():
    return factories.ExosomeTherapyFactory()


@pytest.fixture
def plant_product(exosome):
    return factories.ProductFactory(therapy_type=exosome, source=ProductSource.PLANT, name="Plant exosomes")


@pytest.fixture
def fish_product(exosome):
    return factories.ProductFactory(therapy_type=exosome, source=ProductSource.FISH, name="Fish exosomes")


@pytest.fixture
def patient():
    return factories.PatientFactory(first_name="Ada", last_name="Lovelace")


@pytest.fixture
def practitioner():
    return factories.practitioner_user(username="dr-who")


@pytest.fixture
def front_desk():
    return factories.front_desk_user(username="desk")


@pytest.fixture
def anticoagulant():
    return factories.ConditionFactory(
        code="anticoagulant-therapy", name="Anticoagulant therapy", kind=ConditionKind.MEDICATION
    )


@pytest.fixture
def cardiovascular():
    return factories.ConditionFactory(code="cardiovascular-disease", name="Cardiovascular disease")


@pytest.fixture
def fish_allergy():
    return factories.ConditionFactory(code="fish-allergy", name="Fish allergy", kind=ConditionKind.ALLERGY)


@pytest.fixture
def rules(prp, anticoagulant, cardiovascular, fish_allergy):
    """The demo's rules that the tests use: PRP absolute / relative, fish-sourced products absolute."""
    return {
        "anticoagulant": factories.ContraindicationFactory(
            condition=anticoagulant, therapy_type=prp, severity=Severity.ABSOLUTE, rationale="Bleeding risk."
        ),
        "cardiovascular": factories.ContraindicationFactory(
            condition=cardiovascular, therapy_type=prp, severity=Severity.RELATIVE, rationale="Vasovagal risk."
        ),
        "fish": factories.ContraindicationFactory(
            condition=fish_allergy,
            therapy_type=None,
            product_source=ProductSource.FISH,
            severity=Severity.ABSOLUTE,
            rationale="Allergic reaction.",
        ),
    }


START = date(2026, 3, 2)  # a Monday, in winter time: local date == UTC date in the mornings


@pytest.fixture
def prp_plan(patient, prp, practitioner):
    """A 3-session PRP plan, 28-42 days apart, starting on START."""
    return plan_create(
        patient=patient,
        therapy_type=prp,
        indication=Indication.ANDROGENETIC_ALOPECIA,
        by=practitioner,
        start_date=START,
    )
