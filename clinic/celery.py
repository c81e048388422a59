"""The Celery app: settings under the CELERY_ namespace, tasks autodiscovered from every app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_embedded_broker_folders(sender, **kwargs):
    """The filesystem transport needs its folders to exist before the first message is written."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


@app.task(name="clinic.ping")
def ping() -> str:
    """A task that only answers, so a smoke test can prove a worker consumes from the broker."""
    return "pong"
