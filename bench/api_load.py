"""API load: gunicorn (2 workers) on PostgreSQL + Redis, driven over loopback by an asyncio httpx client.

    python bench/api_load.py [--duration 20] [--rounds 4] [--clients 16] [--contention-clients 50] [--workers 2]
                             [--threads 1] [--fresh]

Against the issue's data set (100,000 patients, 200,000 appointments, next 90 days about 70 % booked) this runs,
each phase bounded in time and in requests:
  1. baseline:  16 clients on /bench/baseline/ (a bare Django view, one SELECT by primary key, no auth, no DRF);
  2. mixed:     16 front-desk clients (search patient, day list, availability over 14 days at a location of 20
                practitioners, book one of the slots it offered, cancel one of their own bookings);
  3. booking:   16 clients booking distinct free slots as fast as the server answers;
  4. contention: 50 clients (each its own user and patient) booking the same 10 slots at once, then a query for
                overlapping active appointments per practitioner, room, device and patient (must be 0).
Phases 1-3 take turns in --rounds short rounds, so that the machine's changing speed (it is shared) moves the
baseline and the endpoints alike; the CPU time each group of processes (server, PostgreSQL, Redis, this driver)
spent per request is printed with each phase.
Every latency is also given as a ratio to the baseline's (machines here are noisy; ratios hold). 409 answers
are expected outcomes of a race, not errors. What the benchmark booked is deleted at the end, so runs repeat.
"""

import argparse
import asyncio
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench.common import (  # noqa: E402
    MAIN_DATA,
    MAIN_DB,
    PYTHON,
    REDIS_URL,
    REPO,
    RESULTS,
    bench_tokens,
    cpu_seconds_by_group,
    ensure_loaded,
    env_for,
    machine,
    markdown_table,
    percentiles,
    save,
    setup_django,
)

MAX_REQUESTS_PER_PHASE = 50_000
ACTIVE = ("booked", "checked_in")
# Each phase books for patients of its own, so that no booking is refused for the patient's own overlap.
BOOKING_PATIENTS, CONTENTION_PATIENTS, MIXED_PATIENTS = slice(0, 15_000), slice(15_000, 16_000), slice(16_000, None)
MIXED_WEIGHTS = {"search": 30, "day list": 25, "availability": 20, "book": 15, "cancel": 10}


# --- what the clients need, read from the database before the run -------------------------------------------
def prepare(contention_clients: int, clients: int) -> dict:
    """Tokens, patients, locations and free slots, chosen so that the runs do not collide with each other."""
    from patients.models import Patient
    from scheduling.models import Location, Practitioner, TimeOff, WorkingHours
    from treatments.models import TherapyType

    cleanup()
    rng = random.Random(5)
    tokens = bench_tokens(max(clients, contention_clients))
    therapies = dict(TherapyType.objects.values_list("code", "id"))
    locations = list(
        Location.objects.filter(name__startswith="Load clinic").order_by("id").values_list("id", flat=True)
    )
    now = datetime.now(UTC)
    busy_patients = set(
        Patient.objects.filter(appointments__status__in=ACTIVE, appointments__end__gt=now).values_list("id", flat=True)
    )
    patients = [
        pk
        for pk in Patient.objects.filter(conditions__isnull=True).order_by("id").values_list("id", flat=True)
        if pk not in busy_patients
    ]
    rng.shuffle(patients)
    hours = defaultdict(dict)
    for practitioner, location, weekday, opens, closes in WorkingHours.objects.filter(
        location__in=locations
    ).values_list("practitioner", "location", "weekday", "start_time", "end_time"):
        hours[practitioner][weekday] = (location, opens, closes)
    time_off = defaultdict(list)
    for practitioner, start, end in TimeOff.objects.filter(end__gt=now).values_list("practitioner", "start", "end"):
        time_off[practitioner].append((start, end))
    practitioners = list(
        Practitioner.objects.filter(locations__in=locations).order_by("id").values_list("id", flat=True)
    )
    exosome = TherapyType.objects.get(code="exosome")
    step = timedelta(minutes=exosome.session_minutes + 2 * exosome.buffer_minutes)
    zone = ZoneInfo(Location.objects.get(pk=locations[0]).time_zone)

    def free_slots(first_day: int, last_day: int) -> list[tuple[int, datetime]]:
        """Exosome slots on days past the seeded horizon, where nothing is booked yet."""
        slots = []
        for offset in range(first_day, last_day):
            day = (now + timedelta(days=offset)).astimezone(zone).date()
            for practitioner in practitioners:
                if day.weekday() not in hours[practitioner]:
                    continue
                _, opens, closes = hours[practitioner][day.weekday()]
                start = datetime.combine(day, opens, tzinfo=zone)
                close = datetime.combine(day, closes, tzinfo=zone)
                while start + timedelta(minutes=exosome.session_minutes) <= close:
                    if not any(a < start + step and start < b for a, b in time_off[practitioner]):
                        slots.append((practitioner, start))
                    start += step
        return slots

    booking_slots = free_slots(100, 160)
    rng.shuffle(booking_slots)
    return {
        "tokens": tokens,
        "therapies": therapies,
        "locations": locations,
        "patients": patients,
        "booking_slots": booking_slots,
        "contention_slots": contention_slots(free_slots),
        "exosome": exosome.pk,
        "search_terms": search_terms(rng),
        "now": now,
    }


def contention_slots(free_slots, wanted: int = 10) -> list[tuple[int, datetime]]:
    """`wanted` practitioners free at one same time, on the first day far ahead where that many work."""
    for offset in range(170, 200):
        by_start = defaultdict(list)
        for practitioner, start in free_slots(offset, offset + 1):
            by_start[start].append(practitioner)
        for start, practitioners in sorted(by_start.items()):
            if len(practitioners) >= wanted:
                return [(p, start) for p in practitioners[:wanted]]
    raise SystemExit(f"no time with {wanted} free practitioners found for the contention run")


def search_terms(rng: random.Random) -> list[str]:
    from patients.models import Patient

    top = Patient.objects.order_by("-id").values_list("id", flat=True).first()
    rows = Patient.objects.filter(id__in=[rng.randint(1, top) for _ in range(400)]).values_list(
        "first_name", "last_name", "phone"
    )
    terms = []
    for first, last, phone in rows:
        terms += [last[: rng.randint(3, 5)].lower(), f"{first} {last}", phone[-7:]]
    return terms


def cleanup() -> None:
    """Remove what earlier runs booked (appointments made by bench users), so every run starts from the seed."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.id FROM scheduling_appointment a JOIN auth_user u ON u.id = a.created_by_id "
            "WHERE u.username LIKE 'bench-desk-%%'"
        )
        ids = [row[0] for row in cursor.fetchall()]
        if ids:
            cursor.execute("DELETE FROM scheduling_reminder WHERE appointment_id = ANY(%s)", [ids])
            cursor.execute("DELETE FROM scheduling_historicalappointment WHERE id = ANY(%s)", [ids])
            cursor.execute("DELETE FROM scheduling_appointment WHERE id = ANY(%s)", [ids])
        for table in ("clinic_idempotencykey", "patients_accesslog"):
            cursor.execute(
                f"DELETE FROM {table} WHERE user_id IN (SELECT id FROM auth_user WHERE username LIKE 'bench-desk-%%')"
            )
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def double_bookings() -> dict:
    """Pairs of overlapping active appointments per resource, over the whole table: must all be 0."""
    from django.db import connection

    found = {}
    with connection.cursor() as cursor:
        for resource in ("practitioner", "room", "device", "patient"):
            cursor.execute(
                f"""SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b
                    ON a.{resource}_id = b.{resource}_id AND a.id < b.id AND a.start < b."end" AND b.start < a."end"
                    WHERE a.status IN ('booked', 'checked_in') AND b.status IN ('booked', 'checked_in')"""
            )
            found[resource] = cursor.fetchone()[0]
    return found


# --- the server --------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(db: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = open(RESULTS / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
    command = [PYTHON, "-m", "gunicorn", "clinic.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--threads", str(threads), "--backlog", "2048", "--timeout", "60"]
    server = subprocess.Popen(command, cwd=REPO, env=env_for(db), stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/bench/baseline/?id=1", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer in 30 s; see {RESULTS / 'gunicorn.log'}")


# --- the clients -------------------------------------------------------------------------------------------
class Recorder:
    def __init__(self):
        self.latencies = defaultdict(list)
        self.outcomes = defaultdict(lambda: defaultdict(int))
        self.requests = 0

    async def call(self, client: httpx.AsyncClient, endpoint: str, method: str, url: str, **kwargs):
        started = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
            status = response.status_code
        except httpx.HTTPError as exc:
            response, status = None, type(exc).__name__
        self.latencies[endpoint].append((time.perf_counter() - started) * 1000)
        self.outcomes[endpoint][status] += 1
        self.requests += 1
        return response

    def summary(self, seconds: float) -> dict:
        rows = {}
        for endpoint, samples in self.latencies.items():
            outcomes = self.outcomes[endpoint]
            errors = sum(n for status, n in outcomes.items() if not (isinstance(status, int) and status < 400))
            conflicts = outcomes.get(409, 0)
            rows[endpoint] = {
                **percentiles(samples),
                "rps": round(len(samples) / seconds, 1),
                "409": conflicts,
                "errors": errors - conflicts,
                "error_rate": round((errors - conflicts) / len(samples), 4),
                "statuses": {str(k): v for k, v in outcomes.items()},
            }
        every = [ms for samples in self.latencies.values() for ms in samples]
        total_errors = sum(row["errors"] for row in rows.values())
        rows["all"] = {
            **percentiles(every),
            "rps": round(len(every) / seconds, 1),
            "409": sum(row["409"] for row in rows.values()),
            "errors": total_errors,
            "error_rate": round(total_errors / max(1, len(every)), 4),
        }
        return rows


def headers(token: str) -> dict:
    return {"Authorization": f"Token {token}", "Accept": "application/json"}


async def run_phase(clients: int, seconds: float, worker, recorder: Recorder | None = None) -> tuple[Recorder, float]:
    """`clients` coroutines calling worker(client_index, client, recorder, deadline) until the deadline; the
    answers are added to `recorder` (a new one by default)."""
    recorder = recorder or Recorder()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=BASE_URL, timeout=30, limits=limits) as client:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(worker(k, client, recorder, deadline) for k in range(clients)))
        return recorder, time.perf_counter() - started


def keep_going(recorder: Recorder, deadline: float) -> bool:
    return time.perf_counter() < deadline and recorder.requests < MAX_REQUESTS_PER_PHASE


def baseline_worker(plan: dict):
    top = len(plan["patients"])

    async def worker(k, client, recorder, deadline):
        rng = random.Random(k)
        while keep_going(recorder, deadline):
            patient = plan["patients"][rng.randrange(top)]
            await recorder.call(client, "baseline", "GET", f"/bench/baseline/?id={patient}")

    return worker


def mixed_worker(plan: dict):
    """A front desk: mostly reading (search, the day, free slots), sometimes booking or cancelling."""
    actions, weights = zip(*MIXED_WEIGHTS.items(), strict=True)
    patients = iter(plan["patients"][MIXED_PATIENTS])
    tomorrow = (plan["now"] + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)

    async def availability(client, recorder, rng, auth):
        location = rng.choice(plan["locations"])
        therapy = rng.choice(list(plan["therapies"].values()))
        start = tomorrow + timedelta(days=rng.randrange(7))
        params = {
            "therapy_type": therapy,
            "location": location,
            "start": start.isoformat(),
            "end": (start + timedelta(days=14)).isoformat(),
            "limit": 50,
        }
        response = await recorder.call(
            client, "availability", "GET", "/api/v1/availability/", params=params, headers=auth
        )
        slots = response.json().get("slots", []) if response is not None and response.status_code == 200 else []
        return therapy, slots

    async def worker(k, client, recorder, deadline):
        rng = random.Random(100 + k)
        auth = headers(plan["tokens"][k])
        mine = []
        while keep_going(recorder, deadline):
            action = rng.choices(actions, weights)[0]
            if action == "search":
                term = rng.choice(plan["search_terms"])
                await recorder.call(client, "search", "GET", "/api/v1/patients/", params={"search": term}, headers=auth)
            elif action == "day list":
                day = (tomorrow + timedelta(days=rng.randrange(14))).date().isoformat()
                params = {"date": day, "location": rng.choice(plan["locations"])}
                await recorder.call(client, "day list", "GET", "/api/v1/appointments/", params=params, headers=auth)
            elif action == "availability":
                await availability(client, recorder, rng, auth)
            elif action == "book":
                therapy, slots = await availability(client, recorder, rng, auth)
                if not slots:
                    continue
                slot = rng.choice(slots)
                body = {"patient": next(patients), "therapy_type": therapy, "practitioner": slot["practitioner"]}
                body["start"] = slot["start"]
                response = await recorder.call(
                    client,
                    "book",
                    "POST",
                    "/api/v1/appointments/",
                    json=body,
                    headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
                )
                if response is not None and response.status_code == 201:
                    mine.append(response.json()["id"])
            elif action == "cancel" and mine:
                appointment = mine.pop(rng.randrange(len(mine)))
                await recorder.call(
                    client,
                    "cancel",
                    "POST",
                    f"/api/v1/appointments/{appointment}/cancel/",
                    json={"reason": "Patient request"},
                    headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
                )

    return worker


def booking_worker(plan: dict):
    """Book distinct free slots back to back: the throughput of the one booking function."""
    work = iter(zip(plan["booking_slots"], plan["patients"][BOOKING_PATIENTS], strict=False))

    async def worker(k, client, recorder, deadline):
        auth = headers(plan["tokens"][k])
        while keep_going(recorder, deadline):
            try:
                (practitioner, start), patient = next(work)
            except StopIteration:
                return
            body = {"patient": patient, "therapy_type": plan["exosome"], "practitioner": practitioner}
            body["start"] = start.isoformat()
            await recorder.call(
                client,
                "book",
                "POST",
                "/api/v1/appointments/",
                json=body,
                headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
            )

    return worker


async def contention(plan: dict, clients: int) -> dict:
    """`clients` users at once, each trying the same slots in its own order until one is booked."""
    slots = plan["contention_slots"]
    patients = plan["patients"][CONTENTION_PATIENTS][:clients]
    recorder = Recorder()
    go = asyncio.Event()
    won = []

    async def one(k, client):
        rng = random.Random(1000 + k)
        order = slots[:]
        rng.shuffle(order)
        auth = headers(plan["tokens"][k])
        await go.wait()
        for practitioner, start in order:
            body = {"patient": patients[k], "therapy_type": plan["exosome"], "practitioner": practitioner}
            body["start"] = start.isoformat()
            response = await recorder.call(client, "book", "POST", "/api/v1/appointments/", json=body, headers=auth)
            if response is not None and response.status_code == 201:
                won.append(response.json()["id"])
                return

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=BASE_URL, timeout=60, limits=limits) as client:
        tasks = [asyncio.create_task(one(k, client)) for k in range(clients)]
        await asyncio.sleep(0.2)
        started = time.perf_counter()
        go.set()
        await asyncio.gather(*tasks)
        seconds = time.perf_counter() - started
    outcomes = recorder.outcomes["book"]
    return {
        "clients": clients,
        "slots": len(slots),
        "attempts": sum(outcomes.values()),
        "successes": outcomes.get(201, 0),
        "409": outcomes.get(409, 0),
        "other errors": sum(n for s, n in outcomes.items() if s not in (201, 409)),
        "statuses": {str(k): v for k, v in outcomes.items()},
        "seconds": round(seconds, 2),
        "booked ids": won,
        **percentiles(recorder.latencies["book"]),
    }


def cpu_per_request(spent: dict, requests: int) -> dict:
    """CPU milliseconds per request spent by each group of processes during a phase (see cpu_seconds_by_group)."""
    spent = {**spent, "all": sum(spent.values())}
    return {group: round(1000 * seconds / max(1, requests), 2) for group, seconds in spent.items()}


# --- the report --------------------------------------------------------------------------------------------
def ratio(value, base):
    return round(value / base, 2) if value is not None and base else None


def report_rows(phase: dict, base: dict) -> list[list]:
    return [
        [
            endpoint,
            row["n"],
            row["rps"],
            row["p50"],
            row["p95"],
            row["p99"],
            ratio(row["p50"], base["p50"]),
            ratio(row["p95"], base["p95"]),
            ratio(row["p99"], base["p99"]),
            row["409"],
            row["errors"],
            f"{100 * row['error_rate']:.2f}%",
        ]
        for endpoint, row in phase.items()
    ]


HEADERS = [
    "endpoint",
    "n",
    "rps",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "p50 x",
    "p95 x",
    "p99 x",
    "409",
    "errors",
    "error rate",
]


def main() -> None:
    global BASE_URL
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=20, help="Seconds per phase, over all rounds.")
    parser.add_argument("--rounds", type=int, default=4, help="The phases take turns this many times.")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--contention-clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers.")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (1: sync workers).")
    parser.add_argument("--fresh", action="store_true", help="Reload the data set even if it is there.")
    args = parser.parse_args()
    ensure_loaded(MAIN_DB, MAIN_DATA, fresh=args.fresh)
    setup_django(MAIN_DB)
    from django.db import connection

    plan = prepare(args.contention_clients, args.clients)
    connection.close()
    port = free_port()
    BASE_URL = f"http://127.0.0.1:{port}"
    server = start_gunicorn(MAIN_DB, port, args.workers, args.threads)
    results = {"machine": machine(), "settings": vars(args)}
    try:
        asyncio.run(run_phase(args.clients, 3, mixed_worker(plan)))  # warm both workers; not recorded
        # The phases take turns in short rounds, so that a change in the machine's speed (it is shared) moves the
        # baseline and the endpoints alike and the ratios hold.
        workers = {"baseline": baseline_worker(plan), "mixed": mixed_worker(plan), "booking": booking_worker(plan)}
        recorders = {name: Recorder() for name in workers}
        seconds, spent = defaultdict(float), {name: defaultdict(float) for name in workers}
        for _ in range(args.rounds):
            for name, worker in workers.items():
                before = cpu_seconds_by_group(server.pid)
                _, took = asyncio.run(run_phase(args.clients, args.duration / args.rounds, worker, recorders[name]))
                seconds[name] += took
                for group, used in cpu_seconds_by_group(server.pid).items():
                    spent[name][group] += used - before.get(group, 0)
        results["phases"] = {name: recorders[name].summary(seconds[name]) for name in workers}
        results["cpu ms per request"] = {
            name: cpu_per_request(spent[name], recorders[name].requests) for name in workers
        }
        results["contention"] = asyncio.run(contention(plan, args.contention_clients))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    results["double bookings"] = double_bookings()
    contention_slots = plan["contention_slots"]
    from scheduling.models import Appointment

    results["contention"]["active in the contended slots"] = Appointment.objects.filter(
        status__in=ACTIVE,
        start=contention_slots[0][1],
        practitioner__in=[p for p, _ in contention_slots],
    ).count()
    cleanup()
    print_report(results, args)
    save("api_load", results)


def print_report(results: dict, args) -> None:
    base = results["phases"]["baseline"]["baseline"]
    print(
        f"\nAPI load: gunicorn {args.workers} workers x {args.threads} threads, {args.clients} clients, "
        f"{args.duration:.0f} s per phase; ratios (x) are to the baseline's percentiles"
    )
    for name in ("baseline", "mixed", "booking"):
        print(f"\n{name}")
        print(markdown_table(HEADERS, report_rows(results["phases"][name], base)))
        print("CPU ms per request: " + ", ".join(f"{k} {v}" for k, v in results["cpu ms per request"][name].items()))
    c = results["contention"]
    print(
        f"\ncontention: {c['clients']} clients on {c['slots']} slots: {c['successes']} booked, {c['409']} x 409, "
        f"{c['other errors']} other errors, {c['attempts']} attempts in {c['seconds']} s "
        f"(p50 {c['p50']} ms, p99 {c['p99']} ms); active appointments in those slots afterwards: "
        f"{c['active in the contended slots']}"
    )
    print(f"double bookings found by query afterwards: {results['double bookings']}")
    booking = results["phases"]["booking"]["book"]
    print(
        f"\ntargets: booking >= 150/s: {booking['rps']}/s; p99 < 150 ms: {booking['p99']} ms; "
        f"0 errors other than 409: {booking['errors']}; no endpoint over 5x baseline p50: "
        + ", ".join(f"{e} {ratio(r['p50'], base['p50'])}x" for e, r in results["phases"]["mixed"].items() if e != "all")
    )


BASE_URL = ""

if __name__ == "__main__":
    main()
