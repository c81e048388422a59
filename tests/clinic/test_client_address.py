"""The client's address through CLINIC_TRUSTED_PROXIES, for throttles and lockout alike: the matrix of 0 and 1 trusted
proxies, with and without a header the client forged."""

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from clinic.client_address import client_address
from tests import factories

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # our reverse proxy, as the web process sees it
CLIENT = "198.51.100.7"
OTHER_CLIENT = "203.0.113.50"


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, CLIENT, None, CLIENT),
        (0, CLIENT, "1.2.3.4", CLIENT),  # no proxy: the header is the client's own words
        (0, PROXY, CLIENT, PROXY),
        (1, PROXY, CLIENT, CLIENT),
        (1, PROXY, f"1.2.3.4, {CLIENT}", CLIENT),  # a forged entry left of what our proxy wrote
        (1, PROXY, f"garbage, {CLIENT}", CLIENT),
        (1, CLIENT, None, CLIENT),  # reached without the proxy: nothing to read
        (1, PROXY, "", PROXY),
        (2, PROXY, f"{CLIENT}, 10.0.0.3", CLIENT),
    ],
)
def test_the_address_matrix(settings, proxies, remote, forwarded, expected):
    settings.CLINIC_TRUSTED_PROXIES = proxies
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_address(RequestFactory().post("/", **meta)) == expected


def sign_in(username, password="wrong", *, remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return APIClient(**extra).post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")


@pytest.fixture
def sign_in_rate(monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"sign_in": "5/min", "booking": "600/min", "export": "30/hour"}
    )


@pytest.mark.parametrize("proxies", [0, 1])
def test_a_rotating_forged_header_does_not_escape_the_sign_in_throttle(settings, sign_in_rate, proxies):
    settings.CLINIC_TRUSTED_PROXIES = proxies
    remote = PROXY if proxies else CLIENT
    through_proxy = CLIENT if proxies else None
    statuses = []
    for n in range(20):
        forged = f"192.0.2.{n}"
        forwarded = f"{forged}, {through_proxy}" if through_proxy else forged
        answer = sign_in(f"guess{n}", remote=remote, forwarded=forwarded)
        statuses.append(answer.json()["code"] if answer.status_code == 429 else answer.status_code)
    assert statuses == [401] * 5 + ["throttled"] * 15, statuses


def test_behind_one_proxy_each_client_has_its_own_sign_in_rate(settings, sign_in_rate):
    settings.CLINIC_TRUSTED_PROXIES = 1
    for n in range(5):
        assert sign_in(f"guess{n}", remote=PROXY, forwarded=CLIENT).status_code == 401
    assert sign_in("guess", remote=PROXY, forwarded=CLIENT).json()["code"] == "throttled"
    assert sign_in("guess", remote=PROXY, forwarded=OTHER_CLIENT).status_code == 401


def test_the_login_page_shares_the_sign_in_rate_per_address(settings, sign_in_rate, client):
    settings.CLINIC_TRUSTED_PROXIES = 1
    for n in range(5):
        assert sign_in(f"guess{n}", remote=PROXY, forwarded=f"192.0.2.{n}, {CLIENT}").status_code == 401
    page = client.post(
        "/accounts/login/", {"username": "nobody", "password": "x"}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT
    )
    assert page.status_code == 429 and int(page["Retry-After"]) > 0
    assert "script-src" in page["Content-Security-Policy"]
    admin_page = client.post(
        "/admin/login/", {"username": "nobody", "password": "x"}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT
    )
    assert admin_page.status_code == 429
    other = client.post(
        "/accounts/login/",
        {"username": "nobody", "password": "x"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=OTHER_CLIENT,
    )
    assert other.status_code == 200  # the form again, with its error


@pytest.mark.parametrize("proxies", [0, 1])
def test_lockout_follows_the_client_not_the_proxy_nor_a_forged_header(settings, proxies):
    settings.CLINIC_TRUSTED_PROXIES = proxies
    factories.front_desk_user(username="frontdesk")
    remote = PROXY if proxies else CLIENT
    attacker = f"1.2.3.4, {CLIENT}" if proxies else "1.2.3.4"
    guesses = [
        sign_in("frontdesk", remote=remote, forwarded=attacker.replace("1.2.3.4", f"192.0.2.{n}")).status_code
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert guesses == [401] * (settings.AXES_FAILURE_LIMIT - 1) + [429]  # the last guess locks the pair out
    # The guesser is locked out, however they rewrite the header.
    locked = sign_in(
        "frontdesk", factories.PASSWORD, remote=remote, forwarded="192.0.2.200, " + (CLIENT if proxies else "")
    )
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"
    if proxies:
        # The real user behind the same proxy, at another address, still signs in.
        assert sign_in("frontdesk", factories.PASSWORD, remote=PROXY, forwarded=OTHER_CLIENT).status_code == 200
