"""Benchmark: the front desk's question "every free PRP slot, any practitioner, next 14 days".

    python bench/availability.py [--repeat 40]

PostgreSQL only. BENCH_SCHEDULING_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/clinic_bench_sched)
names a database of its own, created when missing, migrated, and whose clinic data is replaced on every run
(its name must contain "bench"; the shared clinic_bench belongs to the API load benchmark).

The clinic: 20 practitioners (Monday to Friday 09:00-17:00, Europe/London), 10 treatment rooms, 3 centrifuges;
PRP 60 minutes + 15 buffer with a centrifuge, exosome 60 + 15. The next 90 days are booked on a 75-minute grid
(a session and its buffer) to about 70% of room and centrifuge capacity, the binding resources (10 rooms for 20
practitioners); each practitioner takes one day off. History: 50,000 past appointments, then 4x and 16x, then the
clinic doubled (40 practitioners, 20 rooms, 6 centrifuges, same fill). Each figure is the search through
scheduling.availability.find_free_slots with limit=None, timed `repeat` times after warm-up: wall-clock p50 and
p95, the median CPU time of the Python process (the part a busy machine does not inflate), and the queries.
"""

import argparse
import itertools
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/clinic_bench_sched"
ZONE_NAME = "Europe/London"
CYCLE_MINUTES = 75  # a 60-minute session and its 15-minute buffer
CYCLES_PER_DAY = 6  # 09:00, 10:15, ... 15:15: the last buffer ends at 16:30
FILL = 0.7
HISTORY = 50_000
_RUN_LOCK = None


def setup_django(url: str | None = None) -> None:
    """Production-like settings (DEBUG off) on the bench database, created when missing."""
    url = url or os.environ.get("BENCH_SCHEDULING_DATABASE_URL", DEFAULT_URL)
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if parsed.scheme not in ("postgres", "postgresql") or "bench" not in name:
        sys.exit(f"refusing {url}: the benchmark needs a PostgreSQL database whose name contains 'bench'")
    import psycopg

    with psycopg.connect(url.replace(f"/{name}", "/postgres"), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    # One run at a time: a second one would wipe the data under the first. The lock lives as long as this
    # connection, which is kept for the life of the process (forked writers leave it alone).
    global _RUN_LOCK
    _RUN_LOCK = psycopg.connect(url, autocommit=True)
    if not _RUN_LOCK.execute("SELECT pg_try_advisory_lock(hashtext('bench/scheduling'))").fetchone()[0]:
        sys.exit(f"another scheduling benchmark is running on {name}: wait for it to finish")
    sys.path.insert(0, str(REPO))
    os.environ.update(
        DATABASE_URL=url,
        # Production's broker: the notice each booking hands to a worker goes to Redis (no worker reads it here).
        REDIS_URL=os.environ.get("BENCH_SCHEDULING_REDIS_URL", "redis://127.0.0.1:6379/2"),
        DJANGO_SETTINGS_MODULE="clinic.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def wipe() -> None:
    from django.db import connection

    tables = [
        name
        for name in connection.introspection.table_names()
        if name.startswith(("scheduling_", "treatments_", "patients_")) or name == "auth_user"
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def working_days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(count) if (first + timedelta(days=n)).weekday() < 5]


class Clinic:
    """The bench clinic; `grow` adds practitioners, rooms and centrifuges with their share of bookings."""

    def __init__(self, seed: int = 1):
        from scheduling.models import Location
        from treatments.models import Product, TherapyType

        self.random = random.Random(seed)
        self.location = Location.objects.create(name="Bench clinic", time_zone=ZONE_NAME)
        self.prp = TherapyType.objects.create(
            code="prp", name="PRP", session_minutes=60, buffer_minutes=15, device_kind="centrifuge"
        )
        self.exosome = TherapyType.objects.create(
            code="exosome", name="Exosome", session_minutes=60, buffer_minutes=15, requires_product=True
        )
        # A visit of exosome therapy outside a plan names its product (and is screened by its source).
        self.exosome_product = Product.objects.create(
            name="Bench exosomes", therapy_type=self.exosome, source="plant", regulatory_status="cosmetic"
        )
        self.practitioners, self.rooms, self.centrifuges, self.patients = [], [], [], []
        self.history = 0
        self.patient_turn = itertools.count()  # patients take turns: never one patient twice at once

    def grow(self, *, practitioners: int, rooms: int, centrifuges: int, patients: int = 2_500) -> None:
        from django.contrib.auth import get_user_model

        from patients.models import Patient
        from scheduling.models import Device, Practitioner, Room, TimeOff, WorkingHours

        offset = len(self.practitioners)
        users = get_user_model().objects.bulk_create(
            get_user_model()(username=f"bench-practitioner-{offset + n}", password="!") for n in range(practitioners)
        )
        new_practitioners = Practitioner.objects.bulk_create(
            Practitioner(user=user, display_name=f"Dr Bench {offset + n}") for n, user in enumerate(users)
        )
        for practitioner in new_practitioners:
            practitioner.therapy_types.add(self.prp, self.exosome)
            practitioner.locations.add(self.location)
        WorkingHours.objects.bulk_create(
            WorkingHours(
                practitioner=practitioner, location=self.location, weekday=day, start_time=clock(9), end_time=clock(17)
            )
            for practitioner in new_practitioners
            for day in range(5)
        )
        new_rooms = Room.objects.bulk_create(
            Room(location=self.location, name=f"Room {len(self.rooms) + n}") for n in range(rooms)
        )
        new_centrifuges = Device.objects.bulk_create(
            Device(location=self.location, name=f"Centrifuge {len(self.centrifuges) + n}", kind="centrifuge")
            for n in range(centrifuges)
        )
        self.patients += Patient.objects.bulk_create(
            Patient(first_name="Bench", last_name=f"Patient {len(self.patients) + n}", date_of_birth=date(1980, 1, 1))
            for n in range(patients)
        )
        self.practitioners += new_practitioners
        self.rooms += new_rooms
        self.centrifuges += new_centrifuges
        days = working_days(date.today() + timedelta(days=1), 90)
        TimeOff.objects.bulk_create(
            TimeOff(
                practitioner=practitioner,
                start=self.at(day, clock(0)),
                end=self.at(day + timedelta(days=1), clock(0)),
                reason="Day off",
            )
            for practitioner, day in zip(
                new_practitioners, self.random.choices(days, k=len(new_practitioners)), strict=True
            )
        )
        self._book_future(days, new_practitioners, new_rooms, new_centrifuges)

    def at(self, day: date, moment: clock) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.location.zone)

    def _book_future(self, days, practitioners, rooms, centrifuges) -> None:
        """About 70% of each new room and centrifuge cycle booked, by practitioners free in that cycle."""
        from scheduling.models import Appointment

        rows = []
        for day in days:
            for cycle in range(CYCLES_PER_DAY):
                start = self.at(day, clock(9)) + timedelta(minutes=CYCLE_MINUTES * cycle)
                busy_rooms = [room for room in rooms if self.random.random() < FILL]
                busy_centrifuges = [device for device in centrifuges if self.random.random() < FILL]
                people = self.random.sample(practitioners, len(busy_rooms))
                for index, (room, practitioner) in enumerate(zip(busy_rooms, people, strict=True)):
                    device = busy_centrifuges[index] if index < len(busy_centrifuges) else None
                    rows.append(
                        Appointment(
                            patient=self.patients[next(self.patient_turn) % len(self.patients)],
                            practitioner=practitioner,
                            location=self.location,
                            room=room,
                            device=device,
                            therapy_type=self.prp if device else self.exosome,
                            start=start,
                            end=start + timedelta(minutes=60),
                        )
                    )
        Appointment.objects.bulk_create(rows, batch_size=5_000)

    def add_history(self, count: int) -> None:
        """`count` more completed (some cancelled or missed) appointments over the past two years, in SQL."""
        from django.db import connection

        practitioner_ids = [p.pk for p in self.practitioners]
        room_ids = [r.pk for r in self.rooms]
        patient_ids = [p.pk for p in self.patients]
        centrifuge_ids = [d.pk for d in self.centrifuges]
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO scheduling_appointment (
                    patient_id, practitioner_id, location_id, room_id, device_id, therapy_type_id, start, "end",
                    status, sequence, cancel_reason, created_at, updated_at)
                SELECT (%(patients)s::bigint[])[1 + (g * 7919) %% cardinality(%(patients)s::bigint[])],
                       (%(practitioners)s::bigint[])[1 + g %% cardinality(%(practitioners)s::bigint[])],
                       %(location)s,
                       (%(rooms)s::bigint[])[1 + g %% cardinality(%(rooms)s::bigint[])],
                       CASE WHEN g %% 3 = 0
                            THEN (%(centrifuges)s::bigint[])[1 + g %% cardinality(%(centrifuges)s::bigint[])] END,
                       CASE WHEN g %% 3 = 0 THEN %(prp)s ELSE %(exosome)s END,
                       s, s + interval '60 minutes',
                       CASE WHEN g %% 25 = 0 THEN 'cancelled' WHEN g %% 40 = 0 THEN 'no_show' ELSE 'completed' END,
                       0, '', s, s
                FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g,
                     LATERAL (SELECT date_trunc('day', now()) - (1 + g %% 730) * interval '1 day'
                                     + interval '9 hours' + ((g / 730) %% 6) * interval '75 minutes' AS s) AS t
                """,
                {
                    "patients": patient_ids,
                    "practitioners": practitioner_ids,
                    "rooms": room_ids,
                    "centrifuges": centrifuge_ids,
                    "location": self.location.pk,
                    "prp": self.prp.pk,
                    "exosome": self.exosome.pk,
                    "first": self.history + 1,
                    "last": self.history + count,
                },
            )
            # As a live database would be: vacuumed and analysed, not busy with the aftermath of a bulk load.
            cursor.execute("VACUUM ANALYZE scheduling_appointment")
        self.history += count

    def fill_ratio(self) -> tuple[float, float, float]:
        """Booked share, over the next 90 days, of the sessions the rooms can hold, of room and practitioner time."""
        from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES
        from scheduling.models import Appointment

        days = len(working_days(date.today() + timedelta(days=1), 90))
        booked = Appointment.objects.filter(status__in=ACTIVE_APPOINTMENT_STATUSES).count()
        return (
            booked / (len(self.rooms) * days * CYCLES_PER_DAY),
            booked * 60 / (len(self.rooms) * days * 480),
            booked * 60 / (len(self.practitioners) * days * 480),
        )


def search(clinic: Clinic, days: int = 14):
    from django.utils import timezone

    from scheduling.availability import find_free_slots

    now = timezone.now()
    return find_free_slots(
        therapy_type=clinic.prp, location=clinic.location, start=now, end=now + timedelta(days=days), limit=None
    )


def measure(clinic: Clinic, label: str, repeat: int, days: int = 14) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        search(clinic, days)
    timings, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        slots = search(clinic, days)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    with CaptureQueriesContext(connection) as queries:
        search(clinic, days)
    timings.sort()
    row = {
        "label": label,
        "practitioners": len(clinic.practitioners),
        "days": days,
        "history": clinic.history,
        "p50": statistics.median(timings),
        "p95": timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))],
        "cpu": statistics.median(cpu),
        "queries": len(queries),
        "slots": len(slots),
    }
    print(
        f"{row['label']:<28} {row['practitioners']:>4} {row['days']:>4} {row['history']:>9,} "
        f"{row['p50']:>8.1f} {row['p95']:>8.1f} {row['cpu']:>8.1f} {row['queries']:>7} {row['slots']:>6}",
        flush=True,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40, help="timed searches per figure")
    args = parser.parse_args()
    setup_django()
    built = time.perf_counter()
    wipe()
    clinic = Clinic()
    clinic.grow(practitioners=20, rooms=10, centrifuges=3)
    clinic.add_history(HISTORY)
    sessions_fill, rooms_fill, practitioners_fill = clinic.fill_ratio()
    print(
        f"built in {time.perf_counter() - built:.0f} s. Next 90 days: {sessions_fill:.0%} of the sessions the rooms "
        f"can hold are booked ({rooms_fill:.0%} of room time, {practitioners_fill:.0%} of practitioner time). "
        f"PostgreSQL, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n"
    )
    print(
        f"{'case':<28} {'prac':>4} {'days':>4} {'history':>9} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>8} "
        f"{'queries':>7} {'slots':>6}"
    )
    measure(clinic, "1x history", args.repeat)
    measure(clinic, "1x history, 28 days", args.repeat, days=28)
    clinic.add_history(3 * HISTORY)
    measure(clinic, "4x history", args.repeat)
    clinic.add_history(12 * HISTORY)
    measure(clinic, "16x history", args.repeat)
    clinic.grow(practitioners=20, rooms=10, centrifuges=3)
    measure(clinic, "16x history, 2x clinic", args.repeat)


if __name__ == "__main__":
    main()
