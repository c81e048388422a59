"""FHIR day search vs the REST day list: one location's day (20 practitioners) on the 1x data set (50,000
appointments), taken in turns in one process so both meet the same machine.

    python bench/fhir_search.py [--passes 2] [--scale 1|4]

FHIR: `GET /fhir/R4/Appointment?location=L&date=D&_count=200` (a searchset Bundle, every resource validated by
fhir.resources, an access-log row per patient). REST: `GET /api/v1/appointments/?location=L&date=D&page_size=1000`
(the same rows in one page). The next ten weekdays of both locations, each read `--passes` times in turns; FHIR's
first read of a day validates every resource, a read again finds the same content already validated
(exchange.fhir.validation.ValidatedContent). Server-side milliseconds (Django test client, DEBUG off, a front-desk
token), p50 and p95, and the ratio to the REST p50 (issue 25: within 3x).
"""

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    bench_tokens,
    ensure_loaded,
    machine,
    markdown_table,
    percentiles,
    save,
    setup_django,
    timed,
)
from bench.growth import data_set  # noqa: E402


def measure(passes: int) -> dict:
    from django.test import Client

    from exchange.fhir.validation import VALIDATED
    from patients.models import AccessLog
    from scheduling.models import Location

    client = Client(HTTP_AUTHORIZATION=f"Token {bench_tokens(1)[0]}")
    locations = list(Location.objects.filter(name__startswith="Load clinic").order_by("id"))
    day, days = datetime.now(UTC).date(), []
    while len(days) < 10:  # the next ten weekdays: every one a working day of both locations
        day += timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    pairs = [(location, day) for day in days for location in locations]
    logged_before = AccessLog.objects.count()
    samples = {"REST day list": [], "FHIR, first read of the day": [], "FHIR, day read again": []}
    rows = []
    for call in pairs[:2]:  # warm the process: imports, connections, plans
        client.get("/api/v1/appointments/", {"date": call[1], "location": call[0].pk, "page_size": 1000})
        client.get("/fhir/R4/Appointment", {"date": call[1], "location": call[0].pk, "_count": 200})
    VALIDATED._seen.clear()  # first reads: every resource validated by its model
    for turn in range(passes):
        for location, day in pairs:
            rest, response = timed(
                client.get, "/api/v1/appointments/", {"date": day, "location": location.pk, "page_size": 1000}
            )
            assert response.status_code == 200, response.content[:300]
            count = response.json()["count"]
            fhir, response = timed(
                client.get, "/fhir/R4/Appointment", {"date": day, "location": location.pk, "_count": 200}
            )
            assert response.status_code == 200 and response.json()["total"] == count, response.content[:300]
            samples["REST day list"].append(rest)
            samples["FHIR, first read of the day" if turn == 0 else "FHIR, day read again"].append(fhir)
            rows.append(count)
    # Whatever the answers logged: the bench leaves the data set as it found it.
    AccessLog.objects.filter(pk__in=AccessLog.objects.order_by("id")[logged_before:].values("pk")).delete()
    figures = {name: percentiles(values) for name, values in samples.items()}
    return {"rows per day": [min(rows), max(rows)], "figures": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passes", type=int, default=2, help="reads of each day (the first one cold)")
    parser.add_argument("--scale", type=int, default=1, choices=(1, 4))
    args = parser.parse_args()
    db, params = data_set(args.scale)
    ensure_loaded(db, params)
    setup_django(db)
    result = measure(args.passes)
    figures = result["figures"]
    rest = figures["REST day list"]
    print(f"data set {db}; appointments per day and location: {result['rows per day']}")
    print(
        markdown_table(
            ["request", "n", "p50 ms", "p95 ms", "p50 / REST p50"],
            [[name, f["n"], f["p50"], f["p95"], round(f["p50"] / rest["p50"], 2)] for name, f in figures.items()],
        )
    )
    save("fhir-search", {"machine": machine(), "data set": db, **result})


if __name__ == "__main__":
    main()
