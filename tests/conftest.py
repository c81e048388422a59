from pathlib import Path

import pytest
import redis
import time_machine
from django.conf import settings
from rest_framework.test import APIClient

from tests import clock as test_clock
from tests import factories
from tests.services import require_chromium, require_postgres, require_redis

# A fast hasher: tests create many users.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# `make run` collects hashed copies and their manifest into var/static; the test server serves the apps' own files
# (the code under test), so the tests name static files from a folder nobody collects into: plain names, found.
settings.STATIC_ROOT = settings.VAR_DIR / "static-never-collected"


# Tests that start other processes (workers, servers, browsers): those read the machine's real clock, so these
# tests do too.
REAL_CLOCK_FOLDERS = ("integration", "e2e")


def pytest_collection_modifyitems(config, items):
    tests_dir = Path(__file__).parent
    for item in items:
        relative = Path(str(item.path)).relative_to(tests_dir) if tests_dir in Path(str(item.path)).parents else None
        if relative is not None and relative.parts[0] in REAL_CLOCK_FOLDERS:
            item.add_marker(pytest.mark.real_clock)


@pytest.fixture(autouse=True)
def clock(request):
    """Every test runs at tests.clock.FIXED_NOW, the clock ticking from there; `clock.move_to(...)` or
    `clock.shift(...)` travel further. Tests marked real_clock (other processes involved) keep the real one."""
    if request.node.get_closest_marker("real_clock"):
        yield None
        return
    with time_machine.travel(test_clock.FIXED_NOW, tick=True) as traveller:
        yield traveller


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres"):
        require_postgres()
    if item.get_closest_marker("redis"):
        require_redis()
    if item.get_closest_marker("browser"):
        require_chromium()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Request rates are counted in the cache: each test starts with none spent (user ids repeat across tests). On
    Redis only the cache's own keys go: the broker's queues share the server."""
    from django.core.cache import cache

    config = settings.CACHES["default"]
    if not config["BACKEND"].endswith(".RedisCache"):
        cache.clear()
        return
    client = redis.Redis.from_url(config["LOCATION"])
    try:
        keys = list(client.scan_iter(match=f"{config['KEY_PREFIX']}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def clinic():
    """A small clinic: one location, two rooms, one centrifuge, PRP and exosome, two practitioners 09-17 Mon-Fri."""
    return factories.build_clinic()


def api_client_for(user) -> APIClient:
    """An API client that signs its requests with a token of the user, as real API clients do."""
    from datetime import timedelta

    from django.utils import timezone

    from clinic.api.authentication import api_token_issue
    from clinic.models import ApiToken

    row, token = api_token_issue(user=user)
    # Tests travel in time (time-machine) far past CLINIC_TOKEN_TTL_HOURS; expiry has tests of its own.
    ApiToken.objects.filter(digest=row.digest).update(expiry=timezone.now() + timedelta(days=3650))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.user = user
    return client


@pytest.fixture
def front_desk_api():
    return api_client_for(factories.front_desk_user())


@pytest.fixture
def practitioner_api():
    return api_client_for(factories.practitioner_user())


@pytest.fixture
def clinic_admin_api():
    return api_client_for(factories.clinic_admin_user())
