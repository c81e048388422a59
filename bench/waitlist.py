"""Matching freed time against the waitlist: 10,000 waiting entries, a freed slot, the p50 of one match.

Each round frees one slot (an hour of a practitioner's day) and times waitlist.matching.waitlist_offer_time,
which finds the free start, reads the open entries in join order, screens the first candidates and writes the
three offers; the round is rolled back so every round sees the same 10,000 entries. A fifth of the patients have a
condition some rule ties to the therapy (they need the screening service's verdict), and the entries are spread
over dates, weekdays and practitioners as a real list is.

    [DATABASE_URL=postgres://...] python bench/waitlist.py [--entries 10000] [--rounds 50]

The run uses a test database of its own (created and dropped around it).
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from patients.models import Patient, PatientCondition  # noqa: E402
from scheduling.models import WaitlistEntry  # noqa: E402
from tests import factories  # noqa: E402
from waitlist import matching  # noqa: E402


class Rollback(Exception):
    pass


def load(entries: int):
    clinic = factories.build_clinic()
    rng = random.Random(17)
    blood_thinner = factories.ConditionFactory(code="anticoagulant-therapy")
    factories.ContraindicationFactory(condition=blood_thinner, therapy_type=clinic.exosome)
    patients = Patient.objects.bulk_create(
        Patient(first_name=f"P{i}", last_name="Waiting", date_of_birth="1980-01-01", email=f"p{i}@example.org")
        for i in range(entries)
    )
    PatientCondition.objects.bulk_create(
        PatientCondition(patient=patient, condition=blood_thinner) for patient in patients if rng.random() < 0.2
    )
    today = timezone.now().date()
    rows = []
    for patient in patients:
        first = today + timedelta(days=rng.randint(0, 20))
        therapy = rng.choice([clinic.prp, clinic.exosome])
        rows.append(
            WaitlistEntry(
                patient=patient,
                therapy_type=therapy,
                product=clinic.plant_product if therapy.requires_product else None,
                location=clinic.location,
                practitioner=rng.choice([None, None, *clinic.practitioners]),
                earliest=first,
                latest=first + timedelta(days=rng.randint(0, 30)),
                weekday_mask=rng.choice([0, 0, 1, 3, 31, 4]),
            )
        )
    WaitlistEntry.objects.bulk_create(rows, batch_size=1000)
    if connection.vendor == "postgresql":  # planner statistics, as a database in use has them
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return clinic


def run(entries: int, rounds: int) -> tuple[list[float], list[float]]:
    clinic = load(entries)
    samples, cpu = [], []
    for index in range(rounds):
        day = factories.future_weekday(index % 5, after_days=3 + 7 * (index // 5 % 2))
        start = factories.local_time(day, 9 + index % 7)
        practitioner = clinic.practitioners[index % 2]
        try:
            with transaction.atomic():
                began, began_cpu = time.perf_counter(), time.process_time()
                offers = matching.waitlist_offer_time(
                    practitioner=practitioner, location=clinic.location, start=start, end=start + timedelta(hours=1)
                )
                samples.append((time.perf_counter() - began) * 1000)
                cpu.append((time.process_time() - began_cpu) * 1000)
                assert offers, "every round should find entries to offer the slot to"
                raise Rollback
        except Rollback:
            pass
    return samples, cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        samples, cpu = run(args.entries, args.rounds)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    samples.sort()
    p50 = statistics.median(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"{connection.vendor}: {args.entries} waiting entries, {args.rounds} freed slots")
    print(f"match + 3 offers written: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {samples[-1]:.1f} ms")
    # The machine is shared: wall time moves with the load, this process's CPU time much less (on PostgreSQL it
    # leaves out the server's share).
    print(f"CPU of this process: p50 {statistics.median(cpu):.1f} ms")


if __name__ == "__main__":
    main()
