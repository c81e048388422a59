"""Profile one endpoint in-process with pyinstrument, against the API load data set.

    python bench/profile.py search|day-list|week-list|availability|book|book-committed|baseline [--requests 200]
        [--scale 1|4|16]

Prints the mean server-side time per request (Django test client, no network, DEBUG off) and pyinstrument's
call tree; the HTML report goes to var/bench/profile-<endpoint>.html. `--scale` picks bench/growth.py's data set
(4, the API load one, by default). Bookings carry an Idempotency-Key as the
front desk's do; `book` runs them in a transaction that is rolled back, `book-committed` commits each (the
confirmation handed to the broker after it) and deletes what it booked afterwards.
"""

import argparse
import random
import sys
import time
import uuid
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import RESULTS, bench_tokens, ensure_loaded, setup_django  # noqa: E402


def requests_for(endpoint: str, count: int) -> list:
    """(method, url, params or body) tuples, varied like the load run's."""
    from patients.models import Patient
    from scheduling.models import Location, Practitioner
    from treatments.models import TherapyType

    rng = random.Random(3)
    locations = list(Location.objects.filter(name__startswith="Load clinic").values_list("id", flat=True))
    therapies = list(TherapyType.objects.values_list("id", flat=True))
    tomorrow = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    names = list(Patient.objects.order_by("?").values_list("last_name", flat=True)[:count])
    if endpoint == "baseline":
        return [("get", "/bench/baseline/", {"id": rng.randint(1, 100_000)}) for _ in range(count)]
    if endpoint == "search":
        return [("get", "/api/v1/patients/", {"search": name[:4].lower()}) for name in names]
    if endpoint == "day-list":
        return [
            (
                "get",
                "/api/v1/appointments/",
                {"date": (tomorrow + timedelta(days=rng.randrange(14))).date(), "location": rng.choice(locations)},
            )
            for _ in range(count)
        ]
    if endpoint == "week-list":
        monday = tomorrow.date() + timedelta(days=7 - tomorrow.weekday())
        weeks = [monday + timedelta(weeks=rng.randrange(4)) for _ in range(count)]
        return [
            (
                "get",
                "/api/v1/appointments/",
                {
                    "date_from": first,
                    "date_to": first + timedelta(days=6),
                    "location": rng.choice(locations),
                    "page_size": 1000,
                },
            )
            for first in weeks
        ]
    if endpoint == "availability":
        return [
            (
                "get",
                "/api/v1/availability/",
                {
                    "therapy_type": rng.choice(therapies),
                    "location": rng.choice(locations),
                    "start": tomorrow.isoformat(),
                    "end": (tomorrow + timedelta(days=14)).isoformat(),
                },
            )
            for _ in range(count)
        ]
    if endpoint in ("book", "book-committed"):
        exosome = TherapyType.objects.get(code="exosome").pk
        practitioners = list(Practitioner.objects.filter(locations__in=locations).values_list("id", flat=True))
        patients = list(Patient.objects.filter(conditions__isnull=True).order_by("-id").values_list("id", flat=True))
        day = tomorrow + timedelta(days=200)
        while day.weekday() != 2:  # a Wednesday: every hours pattern works then
            day += timedelta(days=1)
        slots = [(p, day + timedelta(hours=10, minutes=75 * k)) for k in range(5) for p in practitioners]
        return [
            (
                "post",
                "/api/v1/appointments/",
                {"patient": patients[i], "therapy_type": exosome, "practitioner": p, "start": start.isoformat()},
            )
            for i, (p, start) in enumerate(slots[:count])
        ]
    raise SystemExit(f"unknown endpoint {endpoint!r}")


def send(client, method: str, url: str, data: dict) -> int:
    if method == "post":
        key = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
        return client.post(url, data, content_type="application/json", **key).status_code
    return client.get(url, data).status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("endpoint")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--scale", type=int, default=4, choices=(1, 4, 16))
    args = parser.parse_args()
    from bench.growth import data_set

    db, params = data_set(args.scale)
    ensure_loaded(db, params)
    setup_django(db)
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    client = Client(HTTP_AUTHORIZATION=f"Token {bench_tokens(1)[0]}")
    calls = requests_for(args.endpoint, args.requests)
    committed = args.endpoint == "book-committed"
    if committed:
        from bench.api_load import cleanup

        cleanup()  # what an interrupted run booked
    # Bookings are rolled back (or, committed, deleted at the end): the data set stays as seeded.
    with transaction.atomic() if not committed else nullcontext():
        for call in calls[:5]:
            send(client, *call)
        profiler = Profiler(interval=0.0005)
        started = time.perf_counter()
        statuses = {}
        with profiler:
            for call in calls[5:-1]:
                status = send(client, *call)
                statuses[status] = statuses.get(status, 0) + 1
        elapsed = time.perf_counter() - started
        with CaptureQueriesContext(connection) as queries:
            send(client, *calls[-1])
        if not committed:
            transaction.set_rollback(True)
    if committed:
        cleanup()
    n = len(calls) - 6
    print(f"{args.endpoint}: {n} requests, {1000 * elapsed / n:.2f} ms each in-process; statuses {statuses}")
    print(f"{len(queries)} SQL queries for one request:")
    for query in queries:
        print(f"  {query['time']}s  {query['sql'][:160]}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"profile-{args.endpoint}.html").write_text(profiler.output_html())
    print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
