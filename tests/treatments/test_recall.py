"""lot_recipients: a recall lists exactly the patients and sessions that received a lot."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests import factories
from tests.treatments.conftest import START
from treatments.selectors import lot_recipients
from treatments.sessions import session_complete, session_mark_booked

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def give_sessions(patient, product, lots, practitioner, *, complete=True):
    """Open an exosome plan for the patient and give its first sessions, one lot each; returns the sessions."""
    plan = factories.open_plan(patient=patient, product=product, by=practitioner, start_date=START)
    sessions = []
    for sequence, lot in enumerate(lots, start=1):
        session = plan.sessions.get(sequence=sequence)
        day = session.window_start + timedelta(days=1)
        session_mark_booked(session=session, start=datetime(day.year, day.month, day.day, 10, tzinfo=LONDON))
        if complete:
            session_complete(
                session=session,
                by=practitioner,
                completed_at=datetime(day.year, day.month, day.day, 11, tzinfo=LONDON),
                product_lot=lot,
            )
        sessions.append(session)
    return sessions


def test_a_recall_lists_exactly_the_recipients_of_the_lot(plant_product, practitioner, django_assert_num_queries):
    recalled = factories.ProductLotFactory(product=plant_product, lot_number="EXO-RECALL")
    other = factories.ProductLotFactory(product=plant_product, lot_number="EXO-FINE")
    ada, bob, cy, dee = (factories.PatientFactory(first_name=name) for name in ("Ada", "Bob", "Cy", "Dee"))
    ada_sessions = give_sessions(ada, plant_product, [recalled, recalled], practitioner)
    bob_sessions = give_sessions(bob, plant_product, [other, recalled], practitioner)
    give_sessions(cy, plant_product, [other], practitioner)
    give_sessions(dee, plant_product, [recalled], practitioner, complete=False)  # booked, not given

    with django_assert_num_queries(1):
        rows = [(s.plan.patient.first_name, s.sequence, s.product_lot.lot_number) for s in lot_recipients(recalled)]

    assert rows == [("Ada", 1, "EXO-RECALL"), ("Ada", 2, "EXO-RECALL"), ("Bob", 2, "EXO-RECALL")]
    assert {s.pk for s in lot_recipients(recalled)} == {ada_sessions[0].pk, ada_sessions[1].pk, bob_sessions[1].pk}
    assert [s.plan.patient.first_name for s in lot_recipients(other)] == ["Bob", "Cy"]


def test_an_unused_lot_has_no_recipients(plant_product):
    assert list(lot_recipients(factories.ProductLotFactory(product=plant_product))) == []
