"""FHIR day search vs the REST day list: one location's day (20 practitioners) on the 1x data set (50,000
appointments), taken in turns in one process so both meet the same machine.

    python bench/fhir_search.py [--requests 40] [--scale 1|4]

FHIR: `GET /fhir/R4/Appointment?location=L&date=D&_count=200` (a searchset Bundle, every resource validated by
fhir.resources, an access-log row per patient). REST: `GET /api/v1/appointments/?location=L&date=D&page_size=1000`
(the same rows in one page). Server-side milliseconds (Django test client, DEBUG off, a front-desk token), p50 and
p95, and the ratio of the p50s (issue 25: within 3x).
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


def measure(requests: int) -> dict:
    from django.test import Client

    from patients.models import AccessLog
    from scheduling.models import Location

    client = Client(HTTP_AUTHORIZATION=f"Token {bench_tokens(1)[0]}")
    locations = list(Location.objects.filter(name__startswith="Load clinic").order_by("id"))
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    samples = {"REST day list": [], "FHIR Appointment?date=": []}
    rows = []
    logged_before = AccessLog.objects.count()
    for k in range(requests + 4):
        location, day = locations[k % len(locations)], tomorrow + timedelta(days=k % 14)
        rest, response = timed(
            client.get, "/api/v1/appointments/", {"date": day, "location": location.pk, "page_size": 1000}
        )
        assert response.status_code == 200, response.content[:300]
        count = response.json()["count"]
        fhir, response = timed(
            client.get, "/fhir/R4/Appointment", {"date": day, "location": location.pk, "_count": 200}
        )
        assert response.status_code == 200, response.content[:300]
        assert response.json()["total"] == count, (response.json()["total"], count)
        if k >= 4:  # the first few warm the caches
            samples["REST day list"].append(rest)
            samples["FHIR Appointment?date="].append(fhir)
            rows.append(count)
    # The reads the FHIR answers logged: the bench leaves the data set as it found it.
    AccessLog.objects.filter(pk__in=AccessLog.objects.order_by("id")[logged_before:].values("pk")).delete()
    figures = {name: percentiles(values) for name, values in samples.items()}
    return {"rows per day": [min(rows), max(rows)], "figures": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--scale", type=int, default=1, choices=(1, 4))
    args = parser.parse_args()
    db, params = data_set(args.scale)
    ensure_loaded(db, params)
    setup_django(db)
    result = measure(args.requests)
    figures = result["figures"]
    rest, fhir = figures["REST day list"], figures["FHIR Appointment?date="]
    print(f"data set {db}; appointments per day and location: {result['rows per day']}")
    print(
        markdown_table(
            ["request", "n", "p50 ms", "p95 ms"],
            [[name, f["n"], f["p50"], f["p95"]] for name, f in figures.items()],
        )
    )
    print(f"FHIR p50 / REST p50: {fhir['p50'] / rest['p50']:.2f}x")
    save("fhir-search", {"machine": machine(), "data set": db, **result})


if __name__ == "__main__":
    main()
