"""Benchmark: bookings per second and latency for 8 concurrent writers on PostgreSQL.

    python bench/booking.py [--writers 8] [--per-writer 120]

Same database rules and clinic as bench/availability.py (20 practitioners, 10 rooms, 3 centrifuges, the next 90
days booked to about 70%). Each writer is a process of its own (as gunicorn workers are) with its own connection,
calling care.booking.appointment_book for new patients; all start at one barrier.

- spread: each writer books its own practitioners' free slots, so writers meet only on the shared rooms and
  centrifuges (and on the locks of the rows they share);
- contended: every writer tries the same slots in the same order: each is won once and refused to the others.

Both workloads are sets of bookings that can all succeed together (found by booking them one by one first and
removing them again), so every refusal in "spread" is a race lost, and "contended" must book each slot once.

Latency is per call (refusals included). At the end every active appointment is checked against every other on
the same practitioner, room, device and patient, buffers included: the count of double bookings must be 0.
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.availability import Clinic, setup_django, wipe  # noqa: E402

DOUBLE_BOOKINGS_SQL = """
SELECT count(*) FROM scheduling_appointment a
JOIN treatments_therapytype ta ON ta.id = a.therapy_type_id
JOIN scheduling_appointment b ON a.id < b.id
     AND (a.practitioner_id = b.practitioner_id OR a.room_id = b.room_id
          OR a.device_id = b.device_id OR a.patient_id = b.patient_id)
JOIN treatments_therapytype tb ON tb.id = b.therapy_type_id
WHERE a.status IN ('booked', 'checked_in') AND b.status IN ('booked', 'checked_in')
  AND a.start < b."end" + tb.buffer_minutes * interval '1 minute'
  AND b.start < a."end" + ta.buffer_minutes * interval '1 minute'
"""


def free_plan(clinic: Clinic, therapy, days: int = 60) -> list:
    """Free slots, at most one per practitioner per session and buffer: what one writer can book back to back."""
    from django.utils import timezone

    from scheduling.availability import find_free_slots

    now = timezone.now()
    slots = find_free_slots(
        therapy_type=therapy, location=clinic.location, start=now, end=now + timedelta(days=days), limit=None
    )
    taken_until: dict[int, object] = {}
    plan = []
    span = timedelta(minutes=therapy.session_minutes + therapy.buffer_minutes)
    for slot in slots:
        if slot.start >= taken_until.get(slot.practitioner_id, slot.start):
            plan.append(slot)
            taken_until[slot.practitioner_id] = slot.start + span
    return plan


def feasible_work(clinic: Clinic, count: int) -> list[tuple]:
    """`count` bookings that can all succeed together (up to half PRP while centrifuges last, the rest exosome),
    found by booking them one by one and removing them again: slots offered one at a time compete for rooms."""
    from care.booking import appointment_book
    from clinic.exceptions import SlotUnavailable
    from patients.models import Patient
    from scheduling.models import Appointment

    practitioners = {practitioner.pk: practitioner for practitioner in clinic.practitioners}
    slots = free_plan(clinic, clinic.exosome)
    patients = Patient.objects.bulk_create(
        Patient(first_name="Probe", last_name=str(n), date_of_birth="1980-01-01") for n in range(len(slots))
    )
    work, made = [], []
    for slot, patient in zip(slots, patients, strict=True):
        prp_turn = sum(therapy_id == clinic.prp.pk for _, therapy_id, _ in work) * 2 < len(work)
        for therapy in (clinic.prp, clinic.exosome) if prp_turn else (clinic.exosome,):
            try:
                appointment = appointment_book(
                    patient=patient,
                    therapy_type=therapy,
                    practitioner=practitioners[slot.practitioner_id],
                    start=slot.start,
                    product=clinic.exosome_product if therapy.requires_product else None,
                )
            except SlotUnavailable:
                continue
            made.append(appointment.pk)
            work.append((slot.practitioner_id, therapy.pk, slot.start))
            break
        if len(work) == count:
            break
    Appointment.objects.filter(pk__in=made).delete()
    return work


def writer(index, work, therapy_ids, barrier, results) -> None:
    """One writer process: book each (practitioner id, start) for a new patient; report latencies and outcomes."""
    from care.booking import appointment_book
    from clinic.exceptions import SlotUnavailable
    from patients.models import Patient
    from scheduling.models import Practitioner
    from treatments.models import Product, TherapyType

    therapies = TherapyType.objects.in_bulk(therapy_ids)
    products = {product.therapy_type_id: product for product in Product.objects.filter(therapy_type_id__in=therapy_ids)}
    practitioners = Practitioner.objects.in_bulk({practitioner_id for practitioner_id, _, _ in work})
    patients = Patient.objects.bulk_create(
        Patient(first_name="Writer", last_name=f"{index}-{n}", date_of_birth="1980-01-01") for n in range(len(work))
    )
    latencies, booked, refused, failed = [], 0, 0, []
    barrier.wait()
    for patient, (practitioner_id, therapy_id, start) in zip(patients, work, strict=True):
        started = time.perf_counter()
        try:
            appointment_book(
                patient=patient,
                therapy_type=therapies[therapy_id],
                practitioner=practitioners[practitioner_id],
                start=start,
                product=products.get(therapy_id),  # a one-off exosome visit names its product
            )
            booked += 1
        except SlotUnavailable:
            refused += 1
        except Exception as exc:  # noqa: BLE001 - any other outcome is a finding the report must show
            failed.append(repr(exc))
        latencies.append((time.perf_counter() - started) * 1000)
    results.put((latencies, booked, refused, failed, time.perf_counter()))


def run(label: str, works: list[list], therapy_ids: list[int]) -> None:
    from django.db import connection, connections

    connections.close_all()  # children must not share the parent's connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(works) + 1)
    results = context.Queue()
    processes = [
        context.Process(target=writer, args=(index, work, therapy_ids, barrier, results))
        for index, work in enumerate(works)
    ]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    outcomes = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    elapsed = max(finished for *_, finished in outcomes) - started
    latencies = sorted(latency for outcome in outcomes for latency in outcome[0])
    booked = sum(outcome[1] for outcome in outcomes)
    refused = sum(outcome[2] for outcome in outcomes)
    failed = [error for outcome in outcomes for error in outcome[3]]
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    with connection.cursor() as cursor:
        cursor.execute(DOUBLE_BOOKINGS_SQL)
        double = cursor.fetchone()[0]
    print(
        f"{label:<10} {len(works):>7} {len(latencies):>6} {booked:>6} {refused:>7} {len(failed):>6} "
        f"{booked / elapsed:>10.1f} {len(latencies) / elapsed:>10.1f} "
        f"{statistics.median(latencies):>7.1f} {p99:>7.1f} "
        f"{double:>6}",
        flush=True,
    )
    for error in sorted(set(failed))[:5]:
        print(f"    unexpected: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--per-writer", type=int, default=40, help="booking calls per writer and mode")
    args = parser.parse_args()
    setup_django()
    wipe()
    clinic = Clinic()
    clinic.grow(practitioners=20, rooms=10, centrifuges=3)
    print(
        f"PostgreSQL, {args.writers} writer processes, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n"
    )
    print(
        f"{'mode':<10} {'writers':>7} {'calls':>6} {'booked':>6} {'refused':>7} {'errors':>6} "
        f"{'booked/s':>10} {'calls/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'double':>6}"
    )
    therapy_ids = [clinic.prp.pk, clinic.exosome.pk]
    spread = [[] for _ in range(args.writers)]
    for item in feasible_work(clinic, args.writers * args.per_writer):
        spread[item[0] % args.writers].append(item)
    run("spread", spread, therapy_ids)
    shared = feasible_work(clinic, args.per_writer)
    run("contended", [shared for _ in range(args.writers)], therapy_ids)
    from clinic.celery import app

    app.control.purge()  # the notices the bookings queued: no worker is meant to send them


if __name__ == "__main__":
    main()
