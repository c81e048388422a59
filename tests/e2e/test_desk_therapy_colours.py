"""Cards coloured by therapy (issue 23, item 10): two therapies' cards differ in colour on screen, each the colour
the legend gives its therapy, and the card names its therapy to a screen reader."""

import pytest

from tests import factories
from tests.e2e.conftest import log_in
from tests.e2e.test_desk_finish import open_day, visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The therapy stripe is the card's inset box-shadow; the legend's swatch is filled with the same colour.
CARD_COLOUR = "el => getComputedStyle(el).boxShadow.match(/rgb\\([^)]*\\)/)[0]"
SWATCH_COLOUR = "el => getComputedStyle(el).backgroundColor"


@pytest.fixture
def desk_user():
    return factories.front_desk_user(username="desk")


def test_two_therapies_cards_differ_in_colour_and_match_the_legend(new_page, clinic, desk_user):
    tuesday = factories.future_weekday(1)
    prp = visit(clinic, factories.PatientFactory(), factories.local_time(tuesday, 10), 60, practitioner=0)
    exosome = visit(clinic, factories.PatientFactory(), factories.local_time(tuesday, 11), 60, practitioner=1)
    page = new_page()
    log_in(page, "desk", factories.PASSWORD)
    open_day(page, tuesday)

    prp_card = page.locator(f'.card[data-appointment="{prp.id}"]')
    exosome_card = page.locator(f'.card[data-appointment="{exosome.id}"]')
    assert clinic.prp.name in prp_card.get_attribute("aria-label")
    assert clinic.exosome.name in exosome_card.get_attribute("aria-label")
    prp_colour, exosome_colour = prp_card.evaluate(CARD_COLOUR), exosome_card.evaluate(CARD_COLOUR)
    assert prp_colour != exosome_colour

    legend = page.get_by_role("list", name="Therapy colours")
    for name, colour in ((clinic.prp.name, prp_colour), (clinic.exosome.name, exosome_colour)):
        swatch = legend.get_by_role("listitem").filter(has_text=name).locator(".swatch")
        assert swatch.evaluate(SWATCH_COLOUR) == colour
