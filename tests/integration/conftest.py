"""Real Celery workers on Redis and a real SMTP server, shared by the integration tests."""

import pytest

from tests.integration.celery_harness import SmtpSink, Workers, new_queue, publishing_to
from tests.services import redis_url


@pytest.fixture
def workers(tmp_path, transactional_db):
    started = Workers(redis_url(), new_queue(), tmp_path)
    with publishing_to(started.broker_url, started.queue):
        yield started
    started.stop_all()


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()
