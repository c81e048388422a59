import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests import factories
from tests.services import require_chromium, require_postgres, require_redis

# A fast hasher: tests create many users.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres"):
        require_postgres()
    if item.get_closest_marker("redis"):
        require_redis()
    if item.get_closest_marker("browser"):
        require_chromium()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Request rates are counted in the cache: each test starts with none spent (user ids repeat across tests)."""
    from django.core.cache import cache

    cache.clear()


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
    from clinic.api.authentication import api_token_issue

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user)[1]}")
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
