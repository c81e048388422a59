"""No input crashes the public online-booking API: schemathesis over /api/v1/public/, anonymously (no token, no
session), every default check on. 409 (the slot is gone) and 429 (two requests pending for the email) are the
documented answers to some valid requests."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from clinic.wsgi import application
from tests.api.test_schemathesis import keep_test_connection  # noqa: F401 - a fixture this test uses

MAX_EXAMPLES = int(os.environ.get("CLINIC_FUZZ_EXAMPLES", "50"))

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application).include(path_regex="^/api/v1/public/")
schema.config.checks.positive_data_acceptance.expected_statuses = ["2xx", "400", "409", "429"]


@pytest.fixture
def generous_rates(settings):
    """Request rates are not what this test is about: a 429 before validation would hide how input is handled."""
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    rates.update({"public": "100000/hour", "public_read": "100000/hour", "public_email": "100000/hour"})
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_public_api_survives_any_input_anonymously(case, online, generous_rates, keep_test_connection):  # noqa: F811
    if case.query:
        case.query = {name: "" if value is None or value == [] else value for name, value in case.query.items()}
    case.call_and_validate()
