"""The Celery app: settings under the CELERY_ namespace, tasks autodiscovered from every app's tasks.py, and
enqueue_on_commit, the one way services queue a task."""

import logging
import os

from celery import Celery
from django.db import transaction

from clinic.budget import within_budget

logger = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_embedded_folders(sender, **kwargs):
    """The filesystem transport needs its folders to exist before the first message is written, and beat the
    folder of its schedule file."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)
    if sender.conf.beat_schedule_filename:
        os.makedirs(os.path.dirname(os.path.abspath(sender.conf.beat_schedule_filename)), exist_ok=True)


@app.task(name="clinic.ping")
def ping() -> str:
    """A task that only answers, so a smoke test can prove a worker consumes from the broker."""
    return "pong"


def enqueue_on_commit(task_name: str, *args) -> None:
    """Queue the task named `task_name` with `args` once the current transaction commits (at once outside one).

    Guarantees: nothing is published for work that rolls back; a broker that is down never undoes or fails the
    caller's committed work and never holds it in a retry loop (logged instead). Every task queued so has a safety
    net that finds what was not sent: the reminder sweep, the nightly closing-window check.
    """

    def publish() -> None:
        try:
            # A hung broker holds the request no longer than what is left of its budget (clinic.budget).
            within_budget(lambda: app.send_task(task_name, args=list(args), retry=False))
        except Exception:  # any broker failure or BudgetSpent: the rows are committed, the safety net catches up
            logger.warning("broker unavailable: %s%r waits for its safety net", task_name, args, exc_info=True)

    transaction.on_commit(publish)
