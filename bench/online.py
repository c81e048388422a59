"""Online booking: the public slot list and a booking request, against the bare baseline view, on the 1x data set.

    python bench/online.py [--requests 40]

The data set is growth.py's 1x (50,000 appointments, 25,000 patients; the next 90 days about 70 % booked); its
first location and every therapy are opened to online booking. Each request is timed server-side (Django test
client, DEBUG off, in a process of its own), anonymously as a visitor:

- baseline: `/bench/baseline/` (one SELECT by primary key through the same middleware, no DRF);
- trivial list: `GET /api/v1/locations/` signed in with a token (DRF, authentication, roles, pagination, 2 rows);
- slots, 1 day / 7 days: `GET /api/v1/public/slots/?therapy_type=&location=&date=&days=` (20 practitioners);
- booking request: `POST /api/v1/public/booking-requests/` on a free slot, each with its own email (the slot held,
  the link email queued on the broker), the holds released again after the run.

The rates per address and per email are lifted for the run (they would refuse a benchmark, not a person).
"""

import argparse
import json
import os
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

DB = f"{MAIN_DB}_1x"
DATA = {**MAIN_DATA, "days": MAIN_DATA["days"] // 4, "appointments": MAIN_DATA["appointments"] // 4}
DATA["patients"] = MAIN_DATA["patients"] // 4
RATES = {"CLINIC_THROTTLE_PUBLIC": "1000000/hour", "CLINIC_THROTTLE_PUBLIC_READ": "1000000/hour"}
RATES["CLINIC_THROTTLE_PUBLIC_EMAIL"] = "1000000/hour"


def measure(requests: int) -> dict:
    """Runs inside the data set's own process: the figures as JSON."""
    from django.test import Client

    from patients.models import Patient
    from portal.online.models import BookingRequest
    from portal.online.selectors import questions_for
    from scheduling.models import Appointment, Location, SlotHold
    from treatments.models import TherapyType

    location = Location.objects.filter(name__startswith="Load clinic").order_by("id").first()
    Location.objects.filter(pk=location.pk).update(online_booking=True)
    TherapyType.objects.update(online_booking=True)
    therapy = TherapyType.objects.filter(requires_product=False).order_by("code").first()
    answers = {question.code: False for question in questions_for(therapy_type=therapy)}
    patient_id = Patient.objects.order_by("id").values_list("id", flat=True).first()
    client = Client()
    signed_in = Client(HTTP_AUTHORIZATION=f"Token {bench_tokens(1)[0]}")
    first_day = (datetime.now(UTC) + timedelta(days=3)).date()
    samples = {"baseline": [], "trivial list": [], "slots, 1 day": [], "slots, 7 days": [], "booking request": []}
    free: list[str] = []
    for k in range(requests + 5):
        day = first_day + timedelta(days=k % 14)
        baseline, response = timed(client.get, "/bench/baseline/", {"id": patient_id})
        assert response.status_code == 200
        trivial, response = timed(signed_in.get, "/api/v1/locations/")
        assert response.status_code == 200, response.content[:300]
        params = {"therapy_type": therapy.pk, "location": location.pk, "date": day.isoformat()}
        one, response = timed(client.get, "/api/v1/public/slots/", {**params, "days": 1})
        assert response.status_code == 200, response.content[:300]
        free.extend(slot["start"] for slot in response.json()["slots"][:1])
        week, response = timed(client.get, "/api/v1/public/slots/", {**params, "days": 7})
        assert response.status_code == 200, response.content[:300]
        if k >= 5:
            samples["baseline"].append(baseline)
            samples["trivial list"].append(trivial)
            samples["slots, 1 day"].append(one)
            samples["slots, 7 days"].append(week)
    made = []
    try:
        for k, start in enumerate(free):
            body = {
                "therapy_type": therapy.pk,
                "location": location.pk,
                "start": start,
                "first_name": "Bench",
                "last_name": f"Visitor {k}",
                "email": f"bench-visitor-{k}@example.com",
                "phone": "07700 900123",
                "date_of_birth": "1980-01-01",
                "answers": answers,
            }
            elapsed, response = timed(client.post, "/api/v1/public/booking-requests/", body, "application/json")
            if response.status_code == 202:
                made.append(response)
                if k >= 5:
                    samples["booking request"].append(elapsed)
    finally:
        holds = BookingRequest.objects.filter(email__startswith="bench-visitor-").values_list("slot_hold_id", flat=True)
        hold_ids = list(holds)
        BookingRequest.objects.filter(email__startswith="bench-visitor-").delete()
        SlotHold.objects.filter(pk__in=hold_ids).delete()
    return {
        "appointments": Appointment.objects.count(),
        "booking_requests": len(made),
        "figures": {name: percentiles(values) for name, values in samples.items() if values},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # internal: print JSON
    args = parser.parse_args()
    if args.measure:
        setup_django(DB)
        print(json.dumps(measure(args.requests)))
        return
    ensure_loaded(DB, DATA)
    out = subprocess.run(
        [PYTHON, "bench/online.py", "--measure", "--requests", str(args.requests)],
        cwd=REPO,
        env={**env_for(DB), **RATES},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    figures = result["figures"]
    floor = figures["baseline"]["p50"]
    rows = [[name, f["p50"], f["p95"], round(f["p50"] / floor, 1) if floor else "-"] for name, f in figures.items()]
    print(f"\nOnline booking on {DB} ({result['appointments']} appointments), server-side ms")
    print(markdown_table(["request", "p50 ms", "p95 ms", "p50 vs baseline"], rows))
    save("online", {"machine": machine(), "db": DB, **result, "environment": {k: os.environ.get(k) for k in RATES}})


if __name__ == "__main__":
    main()
