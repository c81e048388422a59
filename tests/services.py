"""Which real services a test may use, and what happens when one is missing.

A test that needs PostgreSQL, Redis or a browser runs where the service answers; elsewhere it is skipped, unless
CLINIC_REQUIRE_SERVICES=1 (as in CI), where a missing service fails the test instead.
"""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.db import connection

REQUIRE_SERVICES = os.environ.get("CLINIC_REQUIRE_SERVICES") == "1"
CHROMIUM = "/usr/bin/chromium"


def missing(reason: str):
    """Fail when services are required, skip otherwise."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def redis_url() -> str:
    """The Redis to test against: REDIS_URL, or a local default on a database of its own."""
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        missing("this test needs PostgreSQL (run with DATABASE_URL=postgres://...)")


def require_redis() -> str:
    url = redis_url()
    parsed = urlparse(url)
    if not port_answers(parsed.hostname or "127.0.0.1", parsed.port or 6379):
        missing(f"this test needs Redis at {url}")
    return url


def require_chromium() -> str:
    if not shutil.which(CHROMIUM):
        missing(f"this test needs Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM
