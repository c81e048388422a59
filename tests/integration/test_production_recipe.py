"""The README's production recipe ("Running with PostgreSQL and Redis") runs as written: gunicorn serves the desk's
static files and /healthz, a worker and beat start, and nothing warns of a missing static folder. The block is
taken from the README itself; only the database name, the port and the Redis number are the test's own."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.integration.celery_harness import free_port

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def recipe() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Running with PostgreSQL and Redis", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def status_of(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def test_the_readme_recipe_serves_the_clinic_with_gunicorn_a_worker_and_beat(tmp_path):
    port = free_port()
    database = f"clinic_recipe_{os.getpid()}"
    redis_db = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[-1] or "0"
    script = (
        recipe()
        .replace("127.0.0.1:5432/clinic ", f"127.0.0.1:5432/{database} ")
        .replace("-U postgres clinic\n", f"-U postgres {database}\n")
        .replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        .replace("127.0.0.1:6379/0", f"127.0.0.1:6379/{redis_db}")
        .replace(".venv/bin/", f"{VENV}/bin/")
    )
    assert database in script and str(port) in script
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CLINIC_", "DATABASE_URL", "REDIS_URL"))}
    env["PWD"] = str(tmp_path)
    log_path = tmp_path / "recipe.log"
    log = log_path.open("w+")
    # The checkout is read from the repository; what the recipe writes goes under $PWD/var/production (tmp_path).
    process = subprocess.Popen(
        ["bash", "-c", f"cd {ROOT} && export PWD={tmp_path} && {script}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and status_of(f"http://127.0.0.1:{port}/healthz") != 200:
            assert process.poll() is None, log_path.read_text()[-3000:]
            time.sleep(1)
        assert status_of(f"http://127.0.0.1:{port}/healthz") == 200, log_path.read_text()[-3000:]
        login = urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5).read().decode()
        css = re.search(r'href="(/static/frontdesk/desk\.[0-9a-f]+\.css)"', login)
        assert css, "the login page links the hashed style sheet collectstatic made"
        assert status_of(f"http://127.0.0.1:{port}{css.group(1)}") == 200
        # Beat and the worker print their banners when each is up, in either order and later on a busy machine.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not all(
            banner in log_path.read_text() for banner in ("celery beat v", "celery@")
        ):
            time.sleep(1)
        output = log_path.read_text()
        assert "celery beat v" in output and "celery@" in output
        assert "No directory at" not in output
        assert (tmp_path / "var" / "production" / "static" / "staticfiles.json").exists()
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", database], check=False)
