"""seed_load (bench/): a small load is realistic, reproducible from its seed, and never double-books anyone."""

from collections import defaultdict
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from bench.management.commands.seed_load import Command as SeedLoad
from scheduling.choices import ACTIVE_APPOINTMENT_STATUSES, AppointmentStatus, ReminderStatus
from scheduling.models import Appointment, Reminder, TimeOff, WorkingHours
from treatments.models import TreatmentPlan

SMALL = dict(practitioners=4, days=120, appointments=600, patients=300, today=date(2026, 3, 20))


def load(seed: int) -> None:
    # The command object itself: the bench app is installed by bench.settings only, not by the test settings.
    call_command(SeedLoad(), seed=seed, stdout=StringIO(), stderr=StringIO(), **SMALL)


def snapshot() -> list[tuple]:
    return list(
        Appointment.objects.order_by("start", "practitioner__display_name").values_list(
            "start", "end", "status", "practitioner__display_name", "room__name", "patient__email", "session__sequence"
        )
    )


def overlaps(rows) -> list[tuple]:
    """Pairs of active appointments that overlap on the same resource."""
    by_resource = defaultdict(list)
    for appointment_id, start, end, *resources in rows:
        for kind, resource in zip(("practitioner", "room", "device", "patient"), resources, strict=True):
            if resource is not None:
                by_resource[kind, resource].append((start, end, appointment_id))
    clashes = []
    for intervals in by_resource.values():
        intervals.sort()
        for (_, end, first), (start, _, second) in zip(intervals, intervals[1:], strict=False):
            if start < end:
                clashes.append((first, second))
    return clashes


@pytest.mark.django_db
def test_a_small_load_is_realistic_and_never_double_books():
    load(seed=7)

    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert {AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED} <= statuses
    assert Appointment.objects.filter(location__name__startswith="Load clinic").count() == 600
    assert WorkingHours.objects.filter(practitioner__display_name__startswith="Dr ").exists()
    assert TimeOff.objects.exists()
    assert TreatmentPlan.objects.filter(appointments__isnull=False).exists()
    assert Reminder.objects.filter(status=ReminderStatus.PENDING).exists()
    assert Reminder.objects.filter(status=ReminderStatus.SENT).exists()
    active = Appointment.objects.filter(status__in=ACTIVE_APPOINTMENT_STATUSES).values_list(
        "id", "start", "end", "practitioner", "room", "device", "patient"
    )
    assert active.count() > 50
    assert overlaps(active) == []


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    runs = {}
    for label, seed in (("first", 3), ("again", 3), ("other", 4)):
        with transaction.atomic():
            load(seed=seed)
            runs[label] = snapshot()
            transaction.set_rollback(True)

    assert runs["first"] == runs["again"]
    assert runs["first"] != runs["other"]


@pytest.mark.django_db
def test_it_refuses_a_database_that_already_holds_a_load():
    load(seed=1)
    with pytest.raises(CommandError, match="fresh database"):
        load(seed=1)
