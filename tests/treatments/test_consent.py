"""consent_record: what the patient consented to, which text, when, how and who recorded it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from clinic.exceptions import DomainValidationError
from tests.clock import FIXED_NOW
from treatments.choices import ConsentMethod
from treatments.consent import consent_record
from treatments.models import Consent
from treatments.plans import plan_cancel

pytestmark = pytest.mark.django_db


def test_consent_is_recorded_with_a_description_of_the_plan(prp_plan, practitioner):
    before = timezone.now()

    consent = consent_record(plan=prp_plan, method=ConsentMethod.WRITTEN, text_version=" prp-2026-01 ", by=practitioner)

    consent.refresh_from_db()
    assert (consent.plan, consent.method, consent.text_version) == (prp_plan, "written", "prp-2026-01")
    assert consent.recorded_by == practitioner
    assert before <= consent.consented_at <= timezone.now()
    assert consent.consented_to == "PRP, 3 session(s), for androgenetic alopecia"


def test_consent_keeps_what_and_when_it_is_given(prp_plan, practitioner):
    signed = datetime(2026, 2, 27, 15, 30, tzinfo=UTC)

    consent = consent_record(
        plan=prp_plan,
        method=ConsentMethod.VERBAL,
        text_version="v2",
        by=practitioner,
        consented_to="Three PRP sessions to the scalp",
        consented_at=signed,
    )

    assert (consent.consented_to, consent.consented_at) == ("Three PRP sessions to the scalp", signed)


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"method": "telepathy"}, "method"),
        ({"text_version": "  "}, "text_version"),
        ({"by": None}, "by"),
        # Parameters are made when tests are collected, before the test's clock travels: from its fixed base.
        ({"consented_at": FIXED_NOW + timedelta(days=2)}, "consented_at"),
    ],
    ids=["unknown method", "blank text version", "nobody recorded it", "in the future"],
)
def test_bad_consent_is_refused_naming_the_field(changes, field, prp_plan, practitioner):
    arguments = {"plan": prp_plan, "method": ConsentMethod.ELECTRONIC, "text_version": "v1", "by": practitioner}

    with pytest.raises(DomainValidationError) as refused:
        consent_record(**{**arguments, **changes})

    assert field in refused.value.errors
    assert Consent.objects.count() == 0


def test_a_cancelled_plan_takes_no_consent(prp_plan, practitioner):
    plan_cancel(plan=prp_plan, by=practitioner)

    with pytest.raises(DomainValidationError) as refused:
        consent_record(plan=prp_plan, method=ConsentMethod.WRITTEN, text_version="v1", by=practitioner)

    assert "plan" in refused.value.errors
    assert Consent.objects.count() == 0
