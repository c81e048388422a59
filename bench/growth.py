"""Growth: availability and the day view at 1x, 4x and 16x data, showing cost per request against data size.

    python bench/growth.py [--requests 60] [--scales 1,4,16]

The clinic stays the same (40 practitioners in two locations of 20, the next 90 days about 70 % booked); what
grows is the history behind it: 4x is the API load data set (200,000 appointments, 100,000 patients, 4 years),
1x a quarter of it and 16x four times it. Each request is timed server-side (Django test client in a process of
its own per data set, DEBUG off): availability over 14 days at one location (20 practitioners), the day list
of one location, and the week list of one location (Monday to Sunday, `date_from`/`date_to`, every appointment in
one page: the front desk's week view). A flat line means the cost follows the day's data, not the years behind it.
"""

import argparse
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    MAIN_DATA,
    MAIN_DB,
    PYTHON,
    REPO,
    bench_tokens,
    ensure_loaded,
    env_for,
    machine,
    markdown_table,
    percentiles,
    save,
    setup_django,
    timed,
)


def data_set(scale: int) -> tuple[str, dict]:
    if scale == 4:
        return MAIN_DB, MAIN_DATA
    factor = scale / 4
    params = {
        **MAIN_DATA,
        "days": int(MAIN_DATA["days"] * factor),
        "appointments": int(MAIN_DATA["appointments"] * factor),
        "patients": int(MAIN_DATA["patients"] * factor),
    }
    return f"{MAIN_DB}_{scale}x", params


def measure(requests: int) -> dict:
    """Runs inside the data set's own process: figures for the three requests as JSON."""
    from django.test import Client

    from scheduling.availability import find_free_slots
    from scheduling.models import Appointment, Location
    from treatments.models import TherapyType

    client = Client(HTTP_AUTHORIZATION=f"Token {bench_tokens(1)[0]}")
    locations = list(Location.objects.filter(name__startswith="Load clinic").order_by("id"))
    therapies = list(TherapyType.objects.order_by("code"))
    tomorrow = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    samples = {
        "trivial list (API)": [],
        "availability (API)": [],
        "availability (service)": [],
        "day list (API)": [],
        "week list (API)": [],
    }
    monday = tomorrow.date() + timedelta(days=7 - tomorrow.weekday())
    week_rows = []
    for k in range(requests + 5):
        location, therapy = locations[k % len(locations)], therapies[k % len(therapies)]
        start = tomorrow + timedelta(days=k % 7)
        end = start + timedelta(days=14)
        params = {"therapy_type": therapy.pk, "location": location.pk, "start": start, "end": end}
        api, response = timed(
            client.get, "/api/v1/availability/", {**params, "start": start.isoformat(), "end": end.isoformat()}
        )
        assert response.status_code == 200, response.content[:300]
        service, _ = timed(find_free_slots, therapy_type=therapy, location=location, start=start, end=end)
        # The floor: an authenticated, paginated list of a handful of rows (a location's rooms), nothing joined.
        trivial, response = timed(client.get, "/api/v1/rooms/", {"location": location.pk})
        assert response.status_code == 200, response.content[:300]
        day = (tomorrow + timedelta(days=k % 14)).date()
        day_list, response = timed(client.get, "/api/v1/appointments/", {"date": day, "location": location.pk})
        assert response.status_code == 200, response.content[:300]
        first = monday + timedelta(weeks=k % 4)
        week = {"date_from": first, "date_to": first + timedelta(days=6), "location": location.pk, "page_size": 1000}
        week_list, response = timed(client.get, "/api/v1/appointments/", week)
        assert response.status_code == 200 and response.json()["next"] is None, response.content[:300]
        week_rows.append(response.json()["count"])
        if k >= 5:  # the first few warm the caches
            samples["trivial list (API)"].append(trivial)
            samples["availability (API)"].append(api)
            samples["availability (service)"].append(service)
            samples["day list (API)"].append(day_list)
            samples["week list (API)"].append(week_list)
    return {
        "appointments": Appointment.objects.count(),
        "week_rows": max(week_rows),
        "figures": {name: percentiles(values) for name, values in samples.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--scales", default="1,4,16")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: measure this database, print JSON
    args = parser.parse_args()
    if args.measure:
        setup_django(args.measure)
        print(json.dumps(measure(args.requests)))
        return
    results = {}
    for scale in (int(s) for s in args.scales.split(",")):
        db, params = data_set(scale)
        ensure_loaded(db, params)
        out = subprocess.run(
            [PYTHON, "bench/growth.py", "--measure", db, "--requests", str(args.requests)],
            cwd=REPO,
            env=env_for(db),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results[f"{scale}x"] = {"params": params, **json.loads(out.strip().splitlines()[-1])}
    names = list(next(iter(results.values()))["figures"])
    first = next(iter(results.values()))["figures"]
    rows = [
        [
            scale,
            r["appointments"],
            r["params"]["patients"],
            *(
                value
                for name in names
                for value in (
                    r["figures"][name]["p50"],
                    r["figures"][name]["p95"],
                    round(r["figures"][name]["p50"] / first[name]["p50"], 2),
                )
            ),
        ]
        for scale, r in results.items()
    ]
    headers = ["data", "appointments", "patients"]
    headers += [f"{name} {q}" for name in names for q in ("p50 ms", "p95 ms", "p50 vs 1x")]
    print(f"\nGrowth: server-side ms per request ({args.requests} requests each)")
    print(markdown_table(headers, rows))
    for scale, r in results.items():
        floor = r["figures"]["trivial list (API)"]["p50"]
        ratios = ", ".join(
            f"{name} {r['figures'][name]['p50'] / floor:.1f}x" for name in ("day list (API)", "week list (API)")
        )
        print(f"{scale}: against the trivial list's {floor} ms p50: {ratios}")
    save("growth", {"machine": machine(), "scales": results})


if __name__ == "__main__":
    main()
