"""Real parts for the Celery tests: a local SMTP server (aiosmtpd), worker processes on a real Redis broker.

Workers are `celery -A clinic worker` subprocesses that use the pytest-django test database, so tests using them are
transactional (the worker only sees committed rows). Short sweep, retry and reclaim intervals come through the
environment knobs in clinic/settings.py so the whole set runs in well under two minutes.
"""

import asyncio
import email
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from urllib.parse import quote

from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connection
from kombu import pools

from clinic.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class _Handler:
    def __init__(self, sink: "SmtpSink"):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.sink.stall.is_set():
            # Hold the sender mid-conversation, before any message is accepted, until the test lets go.
            self.sink.stalled.set()
            while self.sink.stall.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.sink.lock:
            self.sink.raw.append(envelope.content)  # parsed on demand: a benchmark receives thousands
        return "250 Message accepted for delivery"


class SmtpSink:
    """An SMTP server on localhost that keeps what it receives; can be stopped, restarted and made to stall."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.raw: list[bytes] = []
        self.lock = threading.Lock()
        self.stall = threading.Event()
        self.stalled = threading.Event()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "SmtpSink":
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        self.stall.clear()
        if self.controller:
            self.controller.stop()
            self.controller = None

    def count(self) -> int:
        with self.lock:
            return len(self.raw)

    def received(self) -> list[Message]:
        with self.lock:
            raw = list(self.raw)
        return [email.message_from_bytes(content) for content in raw]

    def message_ids(self) -> list[str]:
        with self.lock:
            raw = list(self.raw)
        return [MESSAGE_ID.search(content).group(1).decode() for content in raw]


def worker_database_url() -> str:
    """The URL of the database pytest-django created, for the worker processes."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    user = quote(settings["USER"] or "")
    password = f":{quote(settings['PASSWORD'])}" if settings.get("PASSWORD") else ""
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


def new_queue() -> str:
    """A queue nobody else consumes: other test runs on the same Redis database must not take our tasks."""
    return f"test-{uuid.uuid4().hex[:12]}"


@contextmanager
def publishing_to(broker_url: str, queue: str):
    """Make this (the test) process publish to `broker_url` and `queue`, as a web process configured so would."""
    saved_url = os.environ.get("CELERY_BROKER_WRITE_URL")
    send_task = celery_app.send_task
    nested = "send_task" in vars(celery_app)

    def reset_pools():
        pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    os.environ["CELERY_BROKER_WRITE_URL"] = broker_url

    def send_task_to_queue(*args, **kwargs):
        kwargs["queue"] = kwargs.get("queue") or queue  # Task.apply_async passes queue=None
        return send_task(*args, **kwargs)

    celery_app.send_task = send_task_to_queue
    reset_pools()
    try:
        yield
    finally:
        if nested:
            celery_app.send_task = send_task
        else:
            del celery_app.send_task
        if saved_url is None:
            os.environ.pop("CELERY_BROKER_WRITE_URL", None)
        else:
            os.environ["CELERY_BROKER_WRITE_URL"] = saved_url
        reset_pools()


class Worker:
    """One `celery -A clinic worker` process (optionally with an embedded beat) in its own process group."""

    def __init__(self, name: str, env: dict, log_dir: Path, *, beat: bool = False, pool: str = "solo", conc: int = 1):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "clinic",
            "worker",
            f"--hostname={name}@%h",
            f"--pool={pool}",
            f"--concurrency={conc}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ]
        if beat:
            command += ["--beat", f"--schedule={log_dir / f'{name}-beat-schedule'}"]
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        return self.log_path.read_text()

    def wait_ready(self, timeout: float = 30) -> "Worker":
        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"worker {self.name} exited:\n{self.output()[-3000:]}")
            return " ready." in self.output()

        wait_for(ready, timeout=timeout, what=f"worker {self.name} to start", interval=0.2)
        return self

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean-up, no acknowledgement, as in a crash."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Cold shutdown (SIGQUIT): the test is over, nothing in flight needs finishing."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


class Workers:
    """Starts workers against the test database and a broker, and stops every one of them at the end."""

    def __init__(self, broker_url: str, queue: str, log_dir: Path):
        self.broker_url = broker_url
        self.queue = queue
        self.log_dir = log_dir
        self.started: list[Worker] = []

    def env(self, smtp_url: str, **knobs) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "CLINIC_", "EMAIL_URL"))}
        env.update(
            DATABASE_URL=worker_database_url(),
            REDIS_URL=self.broker_url,
            CLINIC_CELERY_QUEUE=self.queue,
            EMAIL_URL=smtp_url,
            CLINIC_VAR_DIR=str(self.log_dir),
            # The workers sign the links in their emails; the test process checks them: one key for both.
            DJANGO_SECRET_KEY=django_settings.SECRET_KEY,
            CLINIC_REMINDER_SWEEP_SECONDS="1",
            CLINIC_REMINDER_RETRY_BASE_SECONDS="0.3",
            CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS="4",
            CLINIC_EMAIL_TIMEOUT_SECONDS="1",
            DJANGO_DEBUG="true",
            PYTHONUNBUFFERED="1",
        )
        env.update({key: str(value) for key, value in knobs.items()})
        return env

    def start(self, smtp_url: str, *, beat: bool = False, pool: str = "solo", conc: int = 1, **knobs) -> Worker:
        name = f"w{len(self.started) + 1}"
        worker = Worker(name, self.env(smtp_url, **knobs), self.log_dir, beat=beat, pool=pool, conc=conc)
        self.started.append(worker)
        return worker.wait_ready()

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {w.name}\n{w.output()[-4000:]}" for w in self.started)
