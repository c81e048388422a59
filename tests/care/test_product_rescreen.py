"""Changing a product's source in the admin re-screens the visits that use it, as a rule change does (issue 21
item 7)."""

import pytest
from django.urls import reverse

from care.booking import appointment_book
from care.holds import product_save
from tests import factories
from tests.factories import future_weekday, local_time
from treatments.choices import ProductSource, RegulatoryStatus, Severity

pytestmark = pytest.mark.django_db


@pytest.fixture
def fish_allergic_visit(clinic):
    """A one-off exosome visit with a plant product for a patient allergic to fish (a rule on fish products)."""
    allergy = factories.ConditionFactory(code="fish-allergy", name="Fish allergy")
    factories.ContraindicationFactory(
        condition=allergy, therapy_type=None, product_source=ProductSource.FISH, severity=Severity.ABSOLUTE
    )
    product = factories.ProductFactory(therapy_type=clinic.exosome, source=ProductSource.PLANT, name="Relabelled")
    patient = factories.PatientFactory()
    factories.PatientConditionFactory(patient=patient, condition=allergy)
    appointment = appointment_book(
        patient=patient,
        therapy_type=clinic.exosome,
        practitioner=clinic.practitioners[0],
        start=local_time(future_weekday(0, after_days=3), 10),
        product=product,
    )
    assert not appointment.on_hold
    return appointment, product


def test_changing_a_products_source_in_the_admin_holds_the_visits_it_now_blocks(fish_allergic_visit, client):
    appointment, product = fish_allergic_visit
    client.force_login(factories.clinic_admin_user(username="lead", is_superuser=True))
    page = client.post(
        reverse("admin:treatments_product_change", args=[product.pk]),
        {
            "name": product.name,
            "therapy_type": product.therapy_type_id,
            "source": ProductSource.FISH,
            "regulatory_status": RegulatoryStatus.COSMETIC,
            "jurisdiction": "",
            "manufacturer": "",
            "active": "on",
            "lots-TOTAL_FORMS": "0",
            "lots-INITIAL_FORMS": "0",
            "lots-MIN_NUM_FORMS": "0",
            "lots-MAX_NUM_FORMS": "1000",
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    appointment.refresh_from_db()
    assert appointment.on_hold
    assert [finding["condition_code"] for finding in appointment.hold_findings] == ["fish-allergy"]


def test_changing_it_back_lifts_the_hold(fish_allergic_visit):
    appointment, product = fish_allergic_visit
    product.source = ProductSource.FISH
    product_save(product=product)
    appointment.refresh_from_db()
    assert appointment.on_hold
    product.source = ProductSource.PLANT
    product_save(product=product)
    appointment.refresh_from_db()
    assert not appointment.on_hold
