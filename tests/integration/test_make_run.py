"""`make run` from a clean copy of the repository: the server answers and the worker consumes a task.

The copy reuses this checkout's virtualenv (VENV=...) so the test does not reinstall; everything else (database,
broker folders, seed) starts from nothing in a temporary directory, as on a fresh machine.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from celery import Celery

from tests.services import require_chromium

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent

pytestmark = [pytest.mark.slow]

# A browser test of the desk (its CSS and modules must load) and the static-file tests, run by `make test`.
AFTER_RUN_TESTS = "-q tests/e2e/test_desk.py -k logs_in_and_sees_the_day tests/frontdesk/test_static.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_checkout(target: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(source.read_bytes())
            os.utime(target / name, (0, 0))  # older than the virtualenv's install stamp: no reinstall


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.skipif("DATABASE_URL" in os.environ, reason="make run is the embedded mode; checked in the SQLite run")
def test_make_run_serves_the_admin_and_runs_a_worker(tmp_path):
    checkout = tmp_path / "clinic"
    checkout.mkdir()
    copy_checkout(checkout)
    port = free_port()
    # A fresh shell's environment: none of ours, and none of an outer `make` (CI runs this suite under `make test`).
    skipped = ("DJANGO_", "CLINIC_", "DATABASE_URL", "REDIS_URL", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skipped)}
    env.update(PORT=str(port), VENV=str(VENV))
    log = (tmp_path / "make-run.log").open("w+")
    process = subprocess.Popen(
        ["make", "run", f"VENV={VENV}", f"PORT={port}"],
        cwd=checkout,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        try:
            wait_for(lambda: answers(f"http://127.0.0.1:{port}/admin/login/"), 180, "the server")
        except AssertionError as exc:
            printed = (tmp_path / "make-run.log").read_text()[-3000:]
            raise AssertionError(f"{exc}; make run printed:\n{printed}") from None
        broker = checkout / "var" / "broker"
        app = Celery(broker="filesystem://")
        app.conf.broker_transport_options = {
            "data_folder_in": str(broker / "queue"),
            "data_folder_out": str(broker / "queue"),
            "control_folder": str(broker / "control"),
        }
        task_id = app.send_task("clinic.ping").id
        wait_for(
            lambda: f"clinic.ping[{task_id}] succeeded" in (tmp_path / "make-run.log").read_text(), 60, "the worker"
        )
        output = (tmp_path / "make-run.log").read_text()
        assert "password: clinic-demo" in output
        assert "beat: Starting" in output
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        finally:
            log.close()
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # Ctrl-C stopped server, worker and beat
    assert (checkout / "var" / "static" / "staticfiles.json").exists()  # make run collected hashed names

    # Then `make test` in the same checkout: a browser test still gets the desk's CSS and scripts.
    require_chromium()
    test_run = subprocess.run(
        ["make", "test", f"VENV={VENV}", f"PYTEST_ARGS={AFTER_RUN_TESTS}"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert test_run.returncode == 0, test_run.stdout[-3000:] + test_run.stderr[-2000:]
    summary = test_run.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary, summary
