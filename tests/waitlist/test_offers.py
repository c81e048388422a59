"""Offer emails through the one outbox with a failing SMTP backend: retried with back-off and recorded as a reminder
is, and when the sender gives up the offer expires and the slot passes to the next entry."""

from datetime import timedelta
from smtplib import SMTPRecipientsRefused

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from scheduling.choices import OfferDelivery, OfferStatus, WaitlistStatus
from scheduling.models import WaitlistEntry, WaitlistOffer
from tests.waitlist import test_waitlist
from tests.waitlist.test_waitlist import cancel_and_match, join
from waitlist import offers as waitlist_offers

pytestmark = pytest.mark.django_db
freed = test_waitlist.freed  # the fixture: a Monday 10:00 appointment cancelled


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that refuses one address for good and takes every other."""

    refused = ""

    def send_messages(self, messages):
        for message in messages:
            if RefusingBackend.refused in message.to:
                raise SMTPRecipientsRefused({message.to[0]: (550, b"5.1.1 mailbox unavailable")})
        mail.outbox.extend(messages)
        return len(messages)


@pytest.fixture
def refusing(settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    settings.CLINIC_REMINDER_RETRY_BASE_SECONDS = 60
    settings.CLINIC_REMINDER_RETRY_MAX_SECONDS = 1800
    settings.CLINIC_WAITLIST_PARALLEL_OFFERS = 1
    settings.CLINIC_WAITLIST_OFFER_MINUTES = 30


def test_a_refused_offer_email_is_retried_recorded_and_then_passed_to_the_next_entry(clinic, freed, refusing, clock):
    day, appointment = freed
    first, second = join(clinic, day), join(clinic, day)
    RefusingBackend.refused = first.patient.email
    [offer] = cancel_and_match(appointment)
    assert offer.entry == first

    assert waitlist_offers.offers_dispatch_due() == 1
    offer.refresh_from_db()
    assert (offer.delivery, offer.status, offer.attempts) == (OfferDelivery.PENDING, OfferStatus.SENT, 1)
    assert "mailbox unavailable" in offer.last_error  # recorded, as a reminder's is
    assert 50 < (offer.next_attempt_at - timezone.now()).total_seconds() <= 60
    assert waitlist_offers.offers_dispatch_due() == 0  # backing off

    waits = []
    while offer.delivery == OfferDelivery.PENDING:
        clock.move_to(offer.next_attempt_at + timedelta(seconds=1))
        previous = offer.next_attempt_at
        waitlist_offers.offers_dispatch_due()
        offer.refresh_from_db()
        if offer.next_attempt_at:
            waits.append((offer.next_attempt_at - previous).total_seconds())
    assert waits[0] == pytest.approx(120, abs=10) and waits[1] == pytest.approx(240, abs=10)  # doubling
    assert (offer.delivery, offer.status) == (OfferDelivery.FAILED, OfferStatus.EXPIRED)
    assert offer.last_error.startswith("Gave up: the patient was not reached within an offer's time")
    assert "mailbox unavailable" in offer.last_error

    # The slot passed on at once: the next entry has its offer, and its email goes out.
    assert WaitlistEntry.objects.get(pk=first.pk).status == WaitlistStatus.WAITING
    passed = WaitlistOffer.objects.get(entry=second)
    assert (passed.start, passed.status) == (offer.start, OfferStatus.SENT)
    assert waitlist_offers.offers_dispatch_due() == 1
    passed.refresh_from_db()
    assert passed.delivery == OfferDelivery.DELIVERED
    assert [message.to for message in mail.outbox] == [[second.patient.email]]


def test_an_offer_email_that_fails_once_goes_out_on_the_next_try(clinic, freed, refusing, clock):
    day, appointment = freed
    entry = join(clinic, day)
    RefusingBackend.refused = entry.patient.email
    [offer] = cancel_and_match(appointment)
    waitlist_offers.offers_dispatch_due()
    RefusingBackend.refused = "nobody"  # the server takes it now
    offer.refresh_from_db()
    clock.move_to(offer.next_attempt_at + timedelta(seconds=1))
    assert waitlist_offers.offers_dispatch_due() == 1
    offer.refresh_from_db()
    assert (offer.delivery, offer.status, offer.attempts) == (OfferDelivery.DELIVERED, OfferStatus.SENT, 2)
    assert abs((offer.expires_at - offer.sent_at - timedelta(minutes=30)).total_seconds()) < 10
    assert len(mail.outbox) == 1
