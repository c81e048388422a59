"""Load a large, realistic data set for the benchmarks in bench/: years of history and a busy next 90 days.

    DJANGO_SETTINGS_MODULE=bench.settings python manage.py seed_load \
        --practitioners 40 --days 1460 --appointments 200000 --patients 100000 --seed 1

A bench command, not a production one: only bench.settings installs the bench app (bench/common.py runs it so).

What it writes: locations of up to 20 practitioners (each with a treatment room of their own, one consultation
room and a centrifuge for every three), practitioners with one of a few working-hours patterns, holidays and sick
days as time off, patients (some with conditions), treatment plans whose sessions sit in their windows, consents,
appointments in every status (mostly history; the next 90 days booked to about 70 %) and their reminder outbox.

It never writes overlapping active appointments for a practitioner, room, device or patient: every practitioner
day is laid out as a sequence (session + buffer, gaps of an hour), each practitioner has a room of their own, a
centrifuge is given only where it is free for the session and its buffer, and a patient holds at most one active
appointment a day. PostgreSQL's exclusion constraints would reject anything else.

Rows are written with COPY on PostgreSQL and bulk_create elsewhere (SQLite is for the test only). The same
--seed on the same --today gives the same data. It refuses to run twice on one database: use a fresh one.
"""

import random
import time as timer
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from io import StringIO
from math import ceil
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max

from clinic.roles import PRACTITIONER
from patients.models import Condition, Patient, PatientCondition
from scheduling.choices import AppointmentStatus, ReminderKind, ReminderStatus, RoomKind
from scheduling.models import Appointment, Device, Location, Practitioner, Reminder, Room, TimeOff, WorkingHours
from treatments.choices import ConsentMethod, Indication, PlanStatus, SessionStatus
from treatments.models import Consent, Product, ProductLot, TherapyType, TreatmentPlan, TreatmentSession

LOCATION_PREFIX = "Load clinic"
TIME_ZONE = "Europe/London"
PRACTITIONERS_PER_LOCATION = 20
HORIZON_DAYS = 90
FUTURE_FILL = 0.75  # of working time laid out; the 6 % later cancelled leave about 70 % booked
GAP_MINUTES = 60
PRP_SHARE = 0.55
PLAN_START_PROBABILITY = 0.25  # about half of all appointments end up as plan sessions
CONDITION_SHARE = 0.08

# (weekdays, start, end): most practitioners work office hours, some early, some Tuesday to Saturday.
HOURS_PATTERNS = (
    ((0, 1, 2, 3, 4), time(9), time(17)),
    ((0, 1, 2, 3, 4), time(9), time(17)),
    ((0, 1, 2, 3, 4), time(9), time(17)),
    ((0, 1, 2, 3, 4), time(8), time(16)),
    ((1, 2, 3, 4, 5), time(10), time(18)),
    ((0, 2, 3), time(9), time(19)),
)


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = words(
    "Oliver George Harry Noah Jack Leo Arthur Muhammad Oscar Charlie Jacob Thomas Henry William Alfie Joshua Freddie "
    "Archie Theo James Isaac Ethan Lucas Max Adam Samuel Daniel Joseph Aarav Rohan Kwame Tomasz Mateo Yusuf Dmitri "
    "Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Willow Freya Florence Emily Ella Poppy Evie "
    "Elsie Charlotte Evelyn Sienna Sofia Daisy Alice Harper Ruby Phoebe Emilia Matilda Maya Aisha Priya Zara Chloe "
    "Hannah Leah Niamh Siobhan Agnieszka Ewa Chiara Ingrid Mei Yuki Fatima Amara Nadia Elena Lucia Beatriz Margaret "
    "Patricia Susan Deborah Helen Catherine Sarah Rebecca Laura Joanne Claire Karen Anne Janet Ruth Julia Natalie"
)
COMMON_SURNAMES = words(
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright Walker "
    "White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin Cooper Hill Ward Morris "
    "Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young "
    "Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan "
    "Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali "
    "Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher Stevens "
    "Jenkins Murray Dixon Harvey Nowak Kowalski Rossi Silva Santos Okafor Mensah Nguyen Chen Wang Kim Sato Ivanova"
)
SURNAME_HEADS = words(
    "Ash Black Brad Brook Bur Cal Card Chad Chester Clay Cran Dal Dun East Elm Fair Farn Ford Glad Green Ham Hart "
    "Haw Hay Holl Kings Lang Lind Marl Mid New North Oak Pen Ral Red Rock Rus Sand Stan Thorn Wake West Whit Win"
)
SURNAME_TAILS = words(
    "bury by combe cott dale den field ford gate ham hurst ington ley low mere more ridge stead stone ton well wick "
    "wood worth"
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "post.example")
CANCEL_REASONS = ("Patient request", "Illness", "Work commitment", "Travel", "Clinic rescheduled", "")
INDICATIONS = {
    "prp": (
        Indication.ANDROGENETIC_ALOPECIA,
        Indication.FEMALE_PATTERN_HAIR_LOSS,
        Indication.FINE_LINES_WRINKLES,
        Indication.ACNE_SCARS,
        Indication.SCARS,
    ),
    "exosome": (
        Indication.FINE_LINES_WRINKLES,
        Indication.VOLUME_LOSS,
        Indication.PIGMENTATION,
        Indication.ACNE_SCARS,
        Indication.ANDROGENETIC_ALOPECIA,
    ),
}


@dataclass
class Slot:
    """One appointment laid out on a practitioner's day, before a patient is given to it."""

    location: int
    practitioner: int
    room: int
    device: int | None
    therapy: str
    day: date
    start: datetime
    end: datetime
    patient: int | None = None
    session: int | None = None
    plan: int | None = None


@dataclass
class Rows:
    """Rows to write per model, as dicts keyed by attname, in an order that respects foreign keys."""

    by_model: dict = field(default_factory=lambda: defaultdict(list))

    def add(self, model, **values) -> None:
        self.by_model[model].append(values)


class Command(BaseCommand):
    help = "Load a large realistic data set for benchmarks (PostgreSQL, COPY). Refuses a database already loaded."

    def add_arguments(self, parser):
        parser.add_argument("--practitioners", type=int, default=40)
        parser.add_argument("--days", type=int, default=1460, help="Days of history before today.")
        parser.add_argument("--appointments", type=int, default=200_000, help="Total, history and future.")
        parser.add_argument("--patients", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--today", type=date.fromisoformat, help="Pretend today is this date (YYYY-MM-DD).")

    def handle(self, *args, practitioners, days, appointments, patients, seed, today, **options):
        if min(practitioners, days, appointments, patients) < 1:
            raise CommandError("--practitioners, --days, --appointments and --patients must be positive.")
        if Location.objects.filter(name__startswith=LOCATION_PREFIX).exists():
            raise CommandError("This database already holds a load data set; seed_load needs a fresh database.")
        started = timer.monotonic()
        call_command("seed_demo", stdout=StringIO())  # the catalog: therapies, products, conditions, rules
        zone = ZoneInfo(TIME_ZONE)
        now = (
            datetime.combine(today, time(12, 30), tzinfo=zone).astimezone(UTC)
            if today
            else datetime.now(UTC).replace(microsecond=0)
        )
        builder = LoadBuilder(
            rng=random.Random(seed),
            now=now,
            zone=zone,
            n_practitioners=practitioners,
            history_days=days,
            n_appointments=appointments,
            n_patients=patients,
        )
        rows = builder.build()
        with transaction.atomic():
            for model, model_rows in rows.by_model.items():
                write_rows(model, model_rows)
            reset_sequences(list(rows.by_model))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        counts = ", ".join(f"{len(r)} {m._meta.verbose_name_plural}" for m, r in rows.by_model.items() if len(r) > 50)
        self.stdout.write(f"Loaded {counts} in {timer.monotonic() - started:.1f}s.")
        for warning in builder.warnings:
            self.stderr.write(warning)


class LoadBuilder:
    """Builds every row in memory from one random generator, so a seed reproduces the data exactly."""

    def __init__(self, *, rng, now, zone, n_practitioners, history_days, n_appointments, n_patients):
        self.rng = rng
        self.now = now
        self.zone = zone
        self.today = now.astimezone(zone).date()
        self.first_day = self.today - timedelta(days=history_days)
        self.last_day = self.today + timedelta(days=HORIZON_DAYS - 1)
        self.n_practitioners = n_practitioners
        self.n_appointments = n_appointments
        self.n_patients = n_patients
        self.rows = Rows()
        self.warnings = []
        self.ids = defaultdict(int)
        self.therapies = {t.code: t for t in TherapyType.objects.filter(code__in=("prp", "exosome"))}
        self.products = list(Product.objects.filter(therapy_type__code="exosome", active=True).order_by("id"))
        self.conditions = list(Condition.objects.order_by("code").values_list("id", flat=True))
        self.location_devices = {}
        self.mean_block = sum(
            share * (t.session_minutes + t.buffer_minutes)
            for share, t in ((PRP_SHARE, self.therapies["prp"]), (1 - PRP_SHARE, self.therapies["exosome"]))
        )

    def next_id(self, model) -> int:
        if model not in self.ids:
            self.ids[model] = model.objects.aggregate(m=Max("pk"))["m"] or 0
        self.ids[model] += 1
        return self.ids[model]

    def add(self, model, **values) -> int:
        pk = self.next_id(model)
        self.rows.add(model, id=pk, **values)
        return pk

    def build(self) -> Rows:
        self.build_staff_and_places()
        self.build_lots()
        self.build_patients()
        slots = self.lay_out_future() + self.lay_out_history()
        slots.sort(key=lambda s: (s.start, s.practitioner))
        self.give_patients_and_plans(slots)
        self.build_appointments(slots)
        return self.rows

    # --- clinic, staff, hours -------------------------------------------------------------------------------
    def build_staff_and_places(self) -> None:
        User = get_user_model()
        group_id = Group.objects.get_or_create(name=PRACTITIONER)[0].pk
        n_locations = ceil(self.n_practitioners / PRACTITIONERS_PER_LOCATION)
        self.practitioners = []  # dicts: id, user, location, room, weekdays, start, end, days_off
        per_location = ceil(self.n_practitioners / n_locations)
        for loc_index in range(n_locations):
            location = self.add(
                Location,
                name=f"{LOCATION_PREFIX} {loc_index + 1}",
                time_zone=TIME_ZONE,
                address=f"{loc_index + 10} High Street",
                phone=f"+44207946{loc_index:04d}",
            )
            staff = range(loc_index * per_location, min(self.n_practitioners, (loc_index + 1) * per_location))
            self.add(
                Room, location_id=location, name="Consultation room", kind=RoomKind.CONSULTATION.value, active=True
            )
            devices = [
                self.add(Device, location_id=location, name=f"Centrifuge {k + 1}", kind="centrifuge", active=True)
                for k in range(max(1, ceil(len(staff) / 3)))
            ]
            self.location_devices[location] = devices
            for k in staff:
                self.practitioners.append(self.build_practitioner(User, group_id, location, k))
        self.users_by_practitioner = {p["id"]: p["user"] for p in self.practitioners}

    def build_practitioner(self, User, group_id: int, location: int, k: int) -> dict:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(COMMON_SURNAMES)
        user = self.add(
            User,
            username=f"load-practitioner-{k + 1}",
            first_name=first,
            last_name=last,
            email=f"load-practitioner-{k + 1}@clinic.example",
            password=make_password(None),
            is_staff=False,
            is_superuser=False,
            is_active=True,
            date_joined=self.now,
        )
        self.add(User.groups.through, user_id=user, group_id=group_id)
        practitioner = self.add(Practitioner, user_id=user, display_name=f"Dr {first} {last}", active=True)
        self.add(Practitioner.locations.through, practitioner_id=practitioner, location_id=location)
        for therapy in self.therapies.values():
            self.add(Practitioner.therapy_types.through, practitioner_id=practitioner, therapytype_id=therapy.pk)
        room = self.add(
            Room, location_id=location, name=f"Treatment room {k + 1}", kind=RoomKind.TREATMENT.value, active=True
        )
        weekdays, start, end = self.rng.choice(HOURS_PATTERNS)
        for weekday in weekdays:
            self.add(
                WorkingHours,
                practitioner_id=practitioner,
                location_id=location,
                weekday=weekday,
                start_time=start,
                end_time=end,
            )
        return dict(
            id=practitioner,
            user=user,
            location=location,
            room=room,
            weekdays=weekdays,
            start=start,
            end=end,
            days_off=self.build_time_off(practitioner),
        )

    def build_time_off(self, practitioner: int) -> set[date]:
        """Three holiday weeks and a few sick days a year, from the first day of history to the horizon."""
        days_off = set()
        span = (self.last_day - self.first_day).days + 1
        years = max(1, span // 365)
        for _ in range(3 * years):
            monday = self.first_day + timedelta(days=self.rng.randrange(span))
            monday -= timedelta(days=monday.weekday())
            self.add_time_off(practitioner, monday, 5, "Annual leave", days_off)
        for _ in range(4 * years):
            day = self.first_day + timedelta(days=self.rng.randrange(span))
            self.add_time_off(practitioner, day, 1, "Sick leave" if day <= self.today else "Training", days_off)
        return days_off

    def add_time_off(self, practitioner: int, first: date, length: int, reason: str, days_off: set) -> None:
        days = {first + timedelta(days=d) for d in range(length)}
        if days & days_off:
            return  # keep time-off rows apart, as a person entering them would
        days_off |= days
        self.add(
            TimeOff,
            practitioner_id=practitioner,
            start=self.local(first, time(0)),
            end=self.local(first + timedelta(days=length), time(0)),
            reason=reason,
        )

    def local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(UTC)

    def build_lots(self) -> None:
        """A lot per exosome product and quarter, each kept a year: sessions record the lot in date at the time."""
        self.lots = {}  # (product, quarter index) -> lot id
        quarters = (self.last_day - self.first_day).days // 91 + 1
        for product in self.products:
            for q in range(quarters):
                received = self.first_day + timedelta(days=91 * q)
                self.lots[product.pk, q] = self.add(
                    ProductLot,
                    product_id=product.pk,
                    lot_number=f"LD-{product.pk}-{q + 1:03d}",
                    expires_on=received + timedelta(days=365),
                    received_on=received,
                )

    def lot_for(self, product: int, day: date) -> int:
        return self.lots[product, (day - self.first_day).days // 91]

    # --- patients -------------------------------------------------------------------------------------------
    def build_patients(self) -> None:
        surnames = list(COMMON_SURNAMES) + [h + t for h in SURNAME_HEADS for t in SURNAME_TAILS]
        phone_offset = self.rng.randrange(10**8)
        self.eligible_patients = []  # without recorded conditions: they get plans and appointments
        self.reminder_patients = set()
        for k in range(self.n_patients):
            first = self.rng.choice(FIRST_NAMES)
            last = self.rng.choice(COMMON_SURNAMES) if self.rng.random() < 0.6 else self.rng.choice(surnames)
            email = "" if self.rng.random() < 0.03 else f"{first}.{last}{k}@{self.rng.choice(EMAIL_DOMAINS)}".lower()
            reminders = self.rng.random() < 0.95
            born = date(1945, 1, 1) + timedelta(days=self.rng.randrange(60 * 365))
            created = self.local(self.first_day, time(9)) + timedelta(minutes=self.rng.randrange(60 * 24 * 365))
            patient = self.add(
                Patient,
                first_name=first,
                last_name=last,
                date_of_birth=born,
                email=email,
                phone=f"+4477{(k * 7919 + phone_offset) % 10**8:08d}",  # 7919 is prime: distinct for 10^8 patients
                email_reminders=reminders,
                created_at=created,
                updated_at=created,
            )
            if email and reminders:
                self.reminder_patients.add(patient)
            if self.conditions and self.rng.random() < CONDITION_SHARE:
                self.add(
                    PatientCondition,
                    patient_id=patient,
                    condition_id=self.rng.choice(self.conditions),
                    active=True,
                    since=born + timedelta(days=self.rng.randrange(20 * 365)),
                    note="",
                    recorded_by_id=None,
                    created_at=created,
                    updated_at=created,
                )
            else:
                self.eligible_patients.append(patient)
        if not self.eligible_patients:
            raise CommandError("No patient without conditions to book: raise --patients.")

    # --- laying out practitioner days -----------------------------------------------------------------------
    def working_minutes(self, first: date, last: date) -> int:
        total = 0
        for p in self.practitioners:
            minutes = (p["end"].hour - p["start"].hour) * 60
            total += minutes * sum(
                1
                for d in range((last - first).days + 1)
                if (first + timedelta(days=d)).weekday() in p["weekdays"]
                and first + timedelta(days=d) not in p["days_off"]
            )
        return total

    def place_probability(self, fill: float) -> float:
        """Chance to place a session at each step so that sessions and buffers cover `fill` of working time."""
        fill = min(fill, 0.97)
        return GAP_MINUTES * fill / (self.mean_block * (1 - fill) + GAP_MINUTES * fill)

    def lay_out(self, first: date, last: date, fill: float) -> list[Slot]:
        probability = self.place_probability(fill)
        slots = []
        day = first
        while day <= last:
            device_busy = defaultdict(int)  # device id -> bit mask of busy quarter hours this day
            for p in self.practitioners:
                if day.weekday() in p["weekdays"] and day not in p["days_off"]:
                    slots.extend(self.lay_out_day(p, day, probability, device_busy))
            day += timedelta(days=1)
        return slots

    def lay_out_day(self, p: dict, day: date, probability: float, device_busy: dict) -> list[Slot]:
        slots = []
        opens = p["start"].hour * 60
        closes = p["end"].hour * 60
        t = opens
        while t + self.therapies["exosome"].session_minutes <= closes:
            if self.rng.random() >= probability:
                t += GAP_MINUTES
                continue
            therapy = self.therapies["prp" if self.rng.random() < PRP_SHARE else "exosome"]
            device = None
            if therapy.device_kind:
                device = self.free_device(p["location"], t, therapy, device_busy)
                if device is None or t + therapy.session_minutes > closes:
                    therapy, device = self.therapies["exosome"], None
            start = self.local(day, time(t // 60, t % 60))
            slots.append(
                Slot(
                    location=p["location"],
                    practitioner=p["id"],
                    room=p["room"],
                    device=device,
                    therapy=therapy.code,
                    day=day,
                    start=start,
                    end=start + timedelta(minutes=therapy.session_minutes),
                )
            )
            t += therapy.session_minutes + therapy.buffer_minutes
        return slots

    def free_device(self, location: int, t: int, therapy, device_busy: dict) -> int | None:
        quarters = (therapy.session_minutes + therapy.buffer_minutes + 14) // 15
        mask = ((1 << quarters) - 1) << (t // 15)
        for device in self.location_devices[location]:
            if not device_busy[device] & mask:
                device_busy[device] |= mask
                return device
        return None

    def lay_out_future(self) -> list[Slot]:
        slots = self.lay_out(self.today, self.last_day, FUTURE_FILL)
        self.n_future = min(len(slots), self.n_appointments // 3)  # the future never outweighs the history
        return self.sample(slots, self.n_future)

    def lay_out_history(self) -> list[Slot]:
        wanted = self.n_appointments - self.n_future
        minutes = self.working_minutes(self.first_day, self.today - timedelta(days=1))
        fill = wanted * self.mean_block / max(1, minutes)
        slots = self.lay_out(self.first_day, self.today - timedelta(days=1), fill * 1.1 + 0.02)
        if len(slots) < wanted:
            self.warnings.append(
                f"Only {len(slots)} history appointments fit in {minutes // 60} working hours (asked {wanted}): "
                "raise --days or --practitioners for more."
            )
        return self.sample(slots, min(wanted, len(slots)))

    def sample(self, slots: list[Slot], keep: int) -> list[Slot]:
        return [slots[i] for i in sorted(self.rng.sample(range(len(slots)), keep))]

    # --- patients, plans and sessions on the laid-out slots ---------------------------------------------------
    def give_patients_and_plans(self, slots: list[Slot]) -> None:
        self.active_days = defaultdict(set)  # patient -> days with an active appointment (never two a day)
        self.open_slots = defaultdict(list)  # (therapy, day) -> indexes of slots without a patient yet
        for index, slot in enumerate(slots):
            self.open_slots[slot.therapy, slot.day].append(index)
        for index, slot in enumerate(slots):
            if slot.patient is not None:
                continue
            if self.rng.random() < PLAN_START_PROBABILITY:
                self.build_plan(slots, index)
            else:
                slot.patient = self.free_patient(slot)

    def free_patient(self, slot: Slot) -> int:
        """A patient for the slot; one still to come (possibly active) goes to a patient free that day."""
        for _ in range(50):
            patient = self.rng.choice(self.eligible_patients)
            if slot.end <= self.now:
                return patient
            if slot.day not in self.active_days[patient]:
                self.active_days[patient].add(slot.day)
                return patient
        raise CommandError("Too few patients for the future appointments: raise --patients.")

    def take_slot(self, slots: list[Slot], therapy: str, first: date, last: date, patient: int) -> Slot | None:
        """A free slot of this therapy between two dates, tried over the window's days in random order."""
        days = [first + timedelta(days=d) for d in range((last - first).days + 1)]
        self.rng.shuffle(days)
        for day in days[:12]:
            if day in self.active_days[patient]:
                continue
            candidates = self.open_slots.get((therapy, day))
            while candidates:
                slot = slots[candidates.pop(self.rng.randrange(len(candidates)))]
                if slot.patient is None:
                    return slot
        return None

    def build_plan(self, slots: list[Slot], index: int) -> None:
        first = slots[index]
        therapy = self.therapies[first.therapy]
        patient = self.free_patient(first)
        first.patient = patient
        sessions_planned = therapy.default_sessions + (self.rng.choice((1, 2, 3)) if self.rng.random() < 0.2 else 0)
        product = self.rng.choice(self.products).pk if therapy.requires_product and self.products else None
        start_date = first.day - timedelta(days=self.rng.randrange(8))
        prescriber = self.users_by_practitioner[first.practitioner]
        booked = [first]
        window = (start_date, start_date + timedelta(days=therapy.max_interval_days))
        windows = [window]
        while len(booked) < sessions_planned and booked[-1] is not None:
            previous = booked[-1].day
            window = (
                previous + timedelta(days=therapy.min_interval_days),
                previous + timedelta(days=therapy.max_interval_days),
            )
            windows.append(window)
            slot = self.take_slot(slots, therapy.code, *window, patient) if window[0] <= self.last_day else None
            if slot is not None:
                slot.patient = patient
                if slot.end > self.now:
                    self.active_days[patient].add(slot.day)
            booked.append(slot)
        while len(windows) < sessions_planned:  # sessions after an unplaced one: windows follow the last window
            last_start, last_end = windows[-1]
            windows.append(
                (
                    last_start + timedelta(days=therapy.min_interval_days),
                    last_end + timedelta(days=therapy.max_interval_days),
                )
            )
        self.write_plan(therapy, patient, product, prescriber, start_date, sessions_planned, booked, windows)

    def write_plan(self, therapy, patient, product, prescriber, start_date, planned, booked, windows) -> None:
        booked = booked + [None] * (planned - len(booked))
        unplaced_past = any(slot is None and windows[k][1] < self.today for k, slot in enumerate(booked))
        all_done = all(slot is not None and slot.end <= self.now for slot in booked)
        status = PlanStatus.CANCELLED if unplaced_past else PlanStatus.COMPLETED if all_done else PlanStatus.ACTIVE
        closing = [k for k, slot in enumerate(booked) if slot is None and self.today <= windows[k][1] <= self.last_day]
        attention = status == PlanStatus.ACTIVE and bool(closing)
        created = self.local(start_date, time(9)) - timedelta(days=1)
        plan = self.add(
            TreatmentPlan,
            patient_id=patient,
            therapy_type_id=therapy.pk,
            product_id=product,
            indication=self.rng.choice(INDICATIONS[therapy.code]),
            sessions_planned=planned,
            min_interval_days=therapy.min_interval_days,
            max_interval_days=therapy.max_interval_days,
            start_date=start_date,
            status=status,
            prescriber_id=prescriber,
            needs_attention=attention,
            attention_reason=f"Session {closing[0] + 1} could not be placed in its window." if attention else "",
            override_reason="",
            override_by_id=None,
            override_at=None,
            overridden_findings="[]" if connection.vendor == "postgresql" else [],
            notes="",
            created_at=min(created, self.now),
            updated_at=min(created, self.now),
        )
        self.add(
            Consent,
            patient_id=patient,
            plan_id=plan,
            consented_to=f"{therapy.name}, course of {planned} sessions",
            text_version="v3",
            method=self.rng.choice(ConsentMethod.values),
            consented_at=min(created, self.now),
            recorded_by_id=prescriber,
        )
        for k, slot in enumerate(booked):
            if slot is None:
                session_status = SessionStatus.CANCELLED if status == PlanStatus.CANCELLED else SessionStatus.PLANNED
            else:
                session_status = SessionStatus.COMPLETED if slot.end <= self.now else SessionStatus.BOOKED
            done = session_status == SessionStatus.COMPLETED
            session = self.add(
                TreatmentSession,
                plan_id=plan,
                sequence=k + 1,
                status=session_status,
                window_start=windows[k][0],
                window_end=windows[k][1],
                completed_at=slot.end if done else None,
                completed_by_id=self.users_by_practitioner[slot.practitioner] if done else None,
                notes="Treated as planned; tolerated well." if done else "",
                product_lot_id=self.lot_for(product, slot.day) if done and product else None,
            )
            if slot is not None:
                slot.session, slot.plan = session, plan

    # --- appointments and their reminder outbox -------------------------------------------------------------
    def appointment_status(self, slot: Slot) -> str:
        if slot.start <= self.now < slot.end:
            return AppointmentStatus.CHECKED_IN
        roll = self.rng.random()
        if slot.end <= self.now:
            if slot.session:
                return AppointmentStatus.COMPLETED
            return (
                AppointmentStatus.COMPLETED
                if roll < 0.86
                else AppointmentStatus.CANCELLED
                if roll < 0.94
                else AppointmentStatus.NO_SHOW
            )
        if slot.session is None and roll < 0.06:
            return AppointmentStatus.CANCELLED
        return AppointmentStatus.BOOKED

    def build_appointments(self, slots: list[Slot]) -> None:
        for slot in slots:
            status = self.appointment_status(slot)
            created = min(
                slot.start - timedelta(days=self.rng.randint(1, 42), minutes=self.rng.randrange(600)),
                self.now - timedelta(minutes=self.rng.randint(5, 600)),
            )
            cancelled_at = None
            if status == AppointmentStatus.CANCELLED:
                cancelled_at = created + (min(slot.start, self.now) - created) * self.rng.uniform(0.2, 0.95)
                cancelled_at = cancelled_at.replace(microsecond=0)
            checked_in = status in (AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)
            appointment = self.add(
                Appointment,
                patient_id=slot.patient,
                practitioner_id=slot.practitioner,
                location_id=slot.location,
                room_id=slot.room,
                device_id=slot.device,
                therapy_type_id=self.therapies[slot.therapy].pk,
                session_id=slot.session,
                plan_id=slot.plan,
                start=slot.start,
                end=slot.end,
                status=status,
                sequence=0,
                cancel_reason=self.rng.choice(CANCEL_REASONS) if cancelled_at else "",
                cancelled_at=cancelled_at,
                checked_in_at=slot.start - timedelta(minutes=self.rng.randint(2, 15)) if checked_in else None,
                completed_at=slot.end if status == AppointmentStatus.COMPLETED else None,
                patient_confirmed_at=created + timedelta(hours=2) if self.rng.random() < 0.4 else None,
                created_by_id=None,
                created_at=created,
                updated_at=cancelled_at or min(slot.end, self.now),
            )
            self.build_reminders(appointment, slot, created, cancelled_at)

    def build_reminders(self, appointment: int, slot: Slot, created: datetime, cancelled_at: datetime | None):
        """The outbox as the booking would have left it: sent before now, pending after, cancelled on cancel."""
        wanted = slot.patient in self.reminder_patients
        owed = [(ReminderKind.CONFIRMATION.value, created)]
        for hours in settings.CLINIC_REMINDER_OFFSETS_HOURS:
            due = slot.start - timedelta(hours=hours)
            if due > created:
                owed.append((f"{ReminderKind.REMINDER.value}_{hours}h", due))
        if cancelled_at:
            owed.append((ReminderKind.CANCELLATION.value, cancelled_at))
        for kind, due in owed:
            if not wanted:
                status = ReminderStatus.SKIPPED
            elif cancelled_at and kind.startswith(ReminderKind.REMINDER.value) and due >= cancelled_at:
                status = ReminderStatus.CANCELLED
            else:
                status = ReminderStatus.SENT if due <= self.now else ReminderStatus.PENDING
            sent = due + timedelta(seconds=self.rng.randint(5, 90)) if status == ReminderStatus.SENT else None
            self.add(
                Reminder,
                appointment_id=appointment,
                kind=kind,
                due_at=due,
                status=status,
                attempts=1 if sent else 0,
                next_attempt_at=None,
                claimed_at=sent,
                sent_at=sent,
                last_error="",
                created_at=created,
                updated_at=sent or created,
            )


def _text(field) -> bool:
    return isinstance(field, models.CharField | models.TextField)


def write_rows(model, rows: list[dict]) -> None:
    """COPY on PostgreSQL (explicit ids, every column given); bulk_create in batches elsewhere."""
    if not rows:
        return
    # Columns added to a model after this loader was written take their default (COPY would write NULL): the
    # declared one, or "" for a text column without one (blank=True, e.g. Appointment.override_reason); a column
    # with only a database default is left to the database.
    defaults = {
        field.attname: field.get_default()
        for field in model._meta.concrete_fields
        if field.attname not in rows[0]
        and (field.has_default() or (_text(field) and not field.null and not field.has_db_default()))
    }
    if defaults:
        rows = [{**defaults, **row} for row in rows]
    attnames = list(rows[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=500)
        return
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(a).column) for a in attnames)
    with connection.cursor() as cursor, cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[a] for a in attnames])


def reset_sequences(models: list) -> None:
    """Explicit ids were written: move the id sequences past them (PostgreSQL; SQLite follows by itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
