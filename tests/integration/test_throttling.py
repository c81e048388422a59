"""The booking rate holds across web processes: 630 booking POSTs from one user against 600/minute, sent at once to
two gunicorn processes that count in one Redis, leave exactly 30 throttled (the count is Redis INCR, not a
read-modify-write of each process's own view).

The rate is counted before the body is read, so after one real booking the burst sends bodies the booking refuses
at once (no therapy type: 400): the count is what is tested, and a shared two-core machine then finishes the burst
well inside the rate's minute."""

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis
from django.conf import settings
from django.utils import timezone

from clinic.api.authentication import api_token_issue
from tests import factories
from tests.integration.celery_harness import ROOT, free_port, wait_for, worker_database_url
from tests.services import require_redis

# PostgreSQL: two processes of 16 threads writing at once are production's load, past what embedded SQLite serves.
pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
LONDON = ZoneInfo("Europe/London")
POSTS, LIMIT = 630, 600


def gunicorn(port: int, redis_url: str, log) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": redis_url,
        "CLINIC_THROTTLE_BOOKING": f"{LIMIT}/min",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "CLINIC_VAR_DIR": str(settings.VAR_DIR),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "clinic.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", "-k", "gthread"]
        + ["--threads", "16", "--timeout", "120", "--graceful-timeout", "5"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code in (200, 503)
    except httpx.HTTPError:
        return False


def test_630_concurrent_booking_posts_on_two_processes_leave_30_throttled(clinic, tmp_path):
    redis_url = require_redis()
    user = factories.front_desk_user()
    _, token = api_token_issue(user=user)
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{settings.CLINIC_CACHE_KEY_PREFIX}:*throttle_booking_{user.pk}*"):
        client.delete(key)
    day = timezone.now().astimezone(LONDON).date() + timedelta(days=7)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    body = {
        "patient": factories.PatientFactory().pk,
        "therapy_type": clinic.exosome.pk,
        "product": clinic.plant_lot.product_id,
        "practitioner": clinic.practitioners[0].pk,
        "start": datetime(day.year, day.month, day.day, 10, tzinfo=LONDON).isoformat(),
    }
    ports = [free_port(), free_port()]
    with open(tmp_path / "gunicorn.log", "w") as log:
        servers = [gunicorn(port, redis_url, log) for port in ports]
        try:
            for port in ports:
                wait_for(lambda port=port: answers(port), timeout=60, what=f"gunicorn on {port}")
            headers = {"Authorization": f"Token {token}"}
            clients = [
                # A new connection per request: gunicorn may close an idle kept-alive one just as it is reused.
                httpx.Client(
                    base_url=f"http://127.0.0.1:{port}",
                    headers=headers,
                    timeout=120,
                    limits=httpx.Limits(max_keepalive_connections=0),
                )
                for port in ports
            ]

            refused = {key: value for key, value in body.items() if key != "therapy_type"}

            def post(n: int) -> int:
                return clients[n % 2].post("/api/v1/appointments/", json=refused).status_code

            began = time.monotonic()
            statuses = [clients[0].post("/api/v1/appointments/", json=body).status_code]
            with ThreadPoolExecutor(max_workers=32) as pool:
                statuses += list(pool.map(post, range(1, POSTS)))
            took = time.monotonic() - began
        finally:
            for server in servers:
                os.killpg(server.pid, signal.SIGTERM)
            for server in servers:
                server.wait(timeout=30)
    tally = {code: statuses.count(code) for code in sorted(set(statuses))}
    print(f"\n{POSTS} booking POSTs (1, then {POSTS - 1} concurrent) on 2 processes in {took:.1f} s: {tally}")
    assert took < 60, f"the burst took {took:.0f} s, longer than the rate's minute: {tally}"
    assert tally.get(429) == POSTS - LIMIT, (tally, (tmp_path / "gunicorn.log").read_text()[-3000:])
    assert tally == {201: 1, 400: LIMIT - 1, 429: POSTS - LIMIT}, tally
