"""Limits at the edge keep the page rules: the 413 answer carries the Content-Security-Policy every page sends."""

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/accounts/login/", "/api/v1/auth/token/"])
def test_a_body_too_large_is_413_with_the_pages_csp(client, path):
    response = client.generic(
        "POST",
        path,
        b"x",
        content_type="application/json",
        CONTENT_LENGTH=str(settings.CLINIC_MAX_BODY_BYTES + 1),
    )
    assert response.status_code == 413
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"].split("script-src")[1].split(";")[0]


def test_sessions_and_tokens_live_as_long():
    assert settings.SESSION_COOKIE_AGE == settings.CLINIC_TOKEN_TTL_HOURS * 3600
    assert settings.REST_KNOX["TOKEN_TTL"].total_seconds() == settings.SESSION_COOKIE_AGE
