"""Reminder throughput: N due reminders, two `celery -A clinic worker` processes, a local SMTP sink.

Prints reminders per second (first claim to last email received), duplicates (a Message-ID received more than
once) and losses (a reminder whose email never arrived or whose row is not `sent`). Both must be 0.

    [DATABASE_URL=postgres://...] [REDIS_URL=redis://127.0.0.1:6379/6] python bench/reminders.py [--count 10000]

The database server is DATABASE_URL's (the embedded SQLite when unset); the run uses a database of its own there
(bench_<name>, or var/bench.sqlite3), created and dropped around it. The broker is REDIS_URL, else
BENCH_REDIS_URL, else redis://127.0.0.1:6379/6, with a queue of the run's own.
"""

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from clinic.celery import app  # noqa: E402
from scheduling.choices import ReminderStatus  # noqa: E402
from scheduling.models import Appointment, Reminder  # noqa: E402
from tests import factories  # noqa: E402
from tests.integration.celery_harness import SmtpSink, Workers, new_queue, publishing_to, wait_for  # noqa: E402


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU of every process in a worker's process group (Linux /proc), children included."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the command: state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def create_reminders(count: int) -> None:
    """`count` booked appointments one hour apart, each with a confirmation due now."""
    clinic = factories.build_clinic()
    practitioner, room = clinic.practitioners[0], clinic.rooms[0]
    patients = factories.PatientFactory.create_batch(min(count, 1000))
    first = timezone.now().replace(microsecond=0) + timedelta(days=3)
    appointments = Appointment.objects.bulk_create(
        Appointment(
            patient=patients[i % len(patients)],
            practitioner=practitioner,
            location=clinic.location,
            room=room,
            therapy_type=clinic.exosome,
            start=first + timedelta(hours=i),
            end=first + timedelta(hours=i, minutes=45),
        )
        for i in range(count)
    )
    due = timezone.now() - timedelta(seconds=1)
    Reminder.objects.bulk_create(Reminder(appointment=a, kind="confirmation", due_at=due) for a in appointments)


def run(count: int, workers: int, concurrency: int, broker_url: str) -> dict:
    create_reminders(count)
    smtp = SmtpSink().start()
    log_dir = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    started = Workers(broker_url, new_queue(), log_dir)
    try:
        for _ in range(workers):
            # The default reclaim timeout: a batch under load must not look abandoned.
            started.start(smtp.url, pool="prefork", conc=concurrency, CLINIC_REMINDER_SENDING_TIMEOUT_SECONDS=300)
        with publishing_to(broker_url, started.queue):
            began = time.monotonic()
            app.send_task("scheduling.tasks.dispatch_due_reminders")  # one beat tick
            wait_for(
                lambda: smtp.count() >= count,
                timeout=max(120, count / 20),
                what=f"{count} emails\n{started.logs()}",
                interval=0.05,
            )
            elapsed = time.monotonic() - began
        time.sleep(2)  # room for a late duplicate to arrive
        cpu = sum(group_cpu_seconds(worker.process.pid) for worker in started.started)
        ids = Counter(smtp.message_ids())
        statuses = Counter(Reminder.objects.values_list("status", flat=True))
    finally:
        started.stop_all()
        smtp.stop()
    return {
        "count": count,
        "workers": workers,
        "concurrency": concurrency,
        "database": connection.vendor,
        "seconds": elapsed,
        "per_second": count / elapsed,
        "worker_cpu_ms_per_reminder": cpu * 1000 / count,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "duplicates": sum(n - 1 for n in ids.values()),
        "losses": count - len(ids) + (count - statuses.get(ReminderStatus.SENT, 0)),
        "statuses": dict(statuses),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2, help="processes per worker")
    args = parser.parse_args()
    broker_url = os.environ.get("REDIS_URL") or os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/6"

    test_settings = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test_settings["NAME"] = str(Path(connection.settings_dict["NAME"]).with_name("bench.sqlite3"))
    else:
        test_settings["NAME"] = f"bench_{connection.settings_dict['NAME']}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        result = run(args.count, args.workers, args.concurrency, broker_url)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(
        f"reminders: {result['count']} due, {result['workers']} workers x {result['concurrency']} processes, "
        f"{result['database']}: {result['per_second']:.0f} reminders/s ({result['seconds']:.1f} s), "
        f"duplicates {result['duplicates']}, losses {result['losses']}, rows {result['statuses']}; "
        f"worker CPU {result['worker_cpu_ms_per_reminder']:.1f} ms per reminder, "
        f"{result['cpus']} CPUs, load average {result['load_average']:.1f}"
    )
    return 0 if result["duplicates"] == 0 and result["losses"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
