"""The lots' admin: a lot is never deleted; its status changes through treatments.lots, each change kept with who,
when and why; a recalled lot is released again only with a reason, and its recall stays on record."""

import pytest
from django.urls import reverse

from tests import factories
from treatments.lots import lot_recall
from treatments.models import ProductLot

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(client):
    client.force_login(factories.clinic_admin_user(username="lead"))
    return client


def _lot_form(lot, **fields) -> dict:
    form = {
        "product": lot.product_id,
        "lot_number": lot.lot_number,
        "expires_on": lot.expires_on,
        "received_on": lot.received_on or "",
        "status": lot.status,
        "status_reason": lot.status_reason,
        "status_changes-TOTAL_FORMS": 0,
        "status_changes-INITIAL_FORMS": 0,
    }
    return {**form, **fields}


def test_a_lot_cannot_be_deleted_in_the_admin(lead, clinic):
    lot = clinic.fish_lot
    assert lead.post(reverse("admin:treatments_productlot_delete", args=[lot.pk]), {"post": "yes"}).status_code == 403
    changelist = lead.get(reverse("admin:treatments_productlot_changelist")).content.decode()
    assert "delete_selected" not in changelist
    assert type(lot).objects.filter(pk=lot.pk).exists()


def test_a_recalled_lot_is_released_again_only_with_a_reason_and_its_recall_stays_on_record(lead, clinic):
    lot = lot_recall(lot=clinic.fish_lot, by=factories.practitioner_user(username="dr-recall"), reason="Sterility")
    change = reverse("admin:treatments_productlot_change", args=[lot.pk])

    silent = lead.post(change, _lot_form(lot, status="released", status_reason=""))
    assert silent.status_code == 200
    assert "Its recall stays on record" in silent.context["adminform"].form.errors["status_reason"][0]
    lot.refresh_from_db()
    assert lot.status == "recalled"

    released = lead.post(change, _lot_form(lot, status="released", status_reason="Retested: sterile"))

    assert released.status_code == 302
    lot.refresh_from_db()
    assert (lot.status, lot.recalled_by.username) == ("released", "dr-recall")
    assert list(lot.status_changes.values_list("from_status", "to_status", "reason", "by__username")) == [
        ("released", "recalled", "Sterility", "dr-recall"),
        ("recalled", "released", "Retested: sterile", "lead"),
    ]
    page = lead.get(change).content.decode()
    assert "Sterility" in page and "Retested: sterile" in page


def test_lots_are_quarantined_by_an_action_with_a_reason(lead, clinic):
    lot = clinic.plant_lot
    changelist = reverse("admin:treatments_productlot_changelist")

    lead.post(
        changelist, {"action": "quarantine", "_selected_action": [lot.pk], "apply": "yes", "reason": "Cold chain"}
    )

    lot.refresh_from_db()
    assert (lot.status, lot.status_reason) == ("quarantined", "Cold chain")
    assert lot.status_changes.get().by.username == "lead"


def test_a_lot_received_in_the_admin_starts_its_history(lead, clinic):
    add = reverse("admin:treatments_productlot_add")
    form = _lot_form(clinic.plant_lot, lot_number="NEW-1", status="released", status_reason="")

    assert lead.post(add, form).status_code == 302

    lot = ProductLot.objects.get(lot_number="NEW-1")
    assert list(lot.status_changes.values_list("from_status", "to_status")) == [("", "released")]
