"""Load the demo clinic described in DESIGN.md. Idempotent: running it twice changes nothing."""

import secrets
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from clinic.exceptions import DomainError
from clinic.roles import CLINIC_ADMIN, FRONT_DESK, PRACTITIONER
from patients.choices import ConditionKind
from patients.models import Condition, Patient, PatientCondition
from scheduling.models import Appointment, Device, Location, Practitioner, Room, WorkingHours
from treatments.choices import ProductSource, RegulatoryStatus, Severity
from treatments.models import Contraindication, Product, ProductLot, TherapyType

USERS = (
    # username, first, last, group, superuser
    ("admin", "Clinic", "Admin", CLINIC_ADMIN, True),
    ("frontdesk", "Fran", "Desk", FRONT_DESK, False),
    ("practitioner", "Priya", "Shah", PRACTITIONER, False),
    ("practitioner2", "Tom", "Reid", PRACTITIONER, False),
)

THERAPIES = {
    "prp": dict(
        name="PRP (platelet-rich plasma)",
        session_minutes=60,
        buffer_minutes=15,
        default_sessions=3,
        min_interval_days=28,
        max_interval_days=42,
        requires_blood_draw=True,
        requires_product=False,
        device_kind="centrifuge",
        preparation_notes="Eat and drink normally and keep well hydrated: blood will be drawn at the start.",
    ),
    "exosome": dict(
        name="Exosome therapy",
        session_minutes=45,
        buffer_minutes=15,
        default_sessions=3,
        min_interval_days=21,
        max_interval_days=35,
        requires_blood_draw=False,
        requires_product=True,
        device_kind="",
        preparation_notes="Arrive with clean skin, without make-up on the area to be treated.",
    ),
}

CONDITIONS = (
    ("anticoagulant-therapy", "Anticoagulant therapy", ConditionKind.MEDICATION),
    ("antiplatelet-therapy", "Antiplatelet therapy", ConditionKind.MEDICATION),
    ("cardiovascular-disease", "Cardiovascular disease", ConditionKind.CONDITION),
    ("thrombocytopenia", "Thrombocytopenia (low platelet count)", ConditionKind.CONDITION),
    ("platelet-dysfunction", "Platelet dysfunction", ConditionKind.CONDITION),
    ("active-skin-infection", "Active skin infection", ConditionKind.CONDITION),
    ("pregnancy", "Pregnancy", ConditionKind.CONDITION),
    ("fish-allergy", "Fish allergy", ConditionKind.ALLERGY),
)

# (condition, therapy code or None, product source or "", severity, rationale)
RULES = (
    ("anticoagulant-therapy", "prp", "", Severity.ABSOLUTE, "Bleeding and bruising risk at draw and injection sites."),
    ("antiplatelet-therapy", "prp", "", Severity.ABSOLUTE, "Platelets are inhibited: the treatment cannot work."),
    ("thrombocytopenia", "prp", "", Severity.ABSOLUTE, "Too few platelets to concentrate."),
    ("platelet-dysfunction", "prp", "", Severity.ABSOLUTE, "Platelets do not function: the treatment cannot work."),
    ("active-skin-infection", "prp", "", Severity.ABSOLUTE, "Injecting through infected skin spreads infection."),
    ("cardiovascular-disease", "prp", "", Severity.RELATIVE, "Assess stability and medication before treating."),
    ("pregnancy", "prp", "", Severity.RELATIVE, "No safety data in pregnancy; defer unless justified."),
    ("active-skin-infection", "exosome", "", Severity.ABSOLUTE, "Treat the infection first."),
    ("pregnancy", "exosome", "", Severity.RELATIVE, "No safety data in pregnancy; defer unless justified."),
    ("fish-allergy", None, ProductSource.FISH, Severity.ABSOLUTE, "Fish-derived product: allergic reaction risk."),
)

PRODUCTS = (
    # name, therapy, source, status, lot
    ("Dermal exosome complex (human)", "exosome", ProductSource.HUMAN, RegulatoryStatus.INVESTIGATIONAL, "HX-2026-001"),
    ("Marine exosome serum (salmon)", "exosome", ProductSource.FISH, RegulatoryStatus.COSMETIC, "FX-2026-014"),
    ("Botanical exosome booster (plant)", "exosome", ProductSource.PLANT, RegulatoryStatus.COSMETIC, "PX-2026-007"),
)

PATIENTS = (
    # first, last, date of birth, email, phone, active condition codes
    ("Alice", "Morgan", date(1984, 3, 12), "alice.morgan@example.com", "+447700900101", ()),
    ("Ben", "Okafor", date(1979, 11, 2), "ben.okafor@example.com", "+447700900102", ("anticoagulant-therapy",)),
    ("Chloe", "Martin", date(1991, 6, 25), "chloe.martin@example.com", "+447700900103", ("fish-allergy",)),
    ("Dev", "Patel", date(1968, 1, 30), "dev.patel@example.com", "+447700900104", ("cardiovascular-disease",)),
    ("Emma", "Lewis", date(1995, 9, 8), "", "+447700900105", ()),
)


class Command(BaseCommand):
    help = "Load the demo clinic (users, location, rooms, centrifuge, therapies, rules, patients). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="Password for the demo users (set on every run when given).")

    @transaction.atomic
    def handle(self, *args, password=None, **options):
        created_password = password or secrets.token_urlsafe(9)
        new_users = self._users(password, created_password)
        therapies = self._therapies()
        conditions = self._conditions()
        self._rules(conditions, therapies)
        self._products(therapies)
        location = self._location_and_resources()
        practitioners = self._practitioners(location, therapies)
        patients = self._patients(conditions)
        self._demo_appointments(location, practitioners, patients, therapies)
        self._report(new_users, password, created_password)

    def _users(self, password, created_password):
        User = get_user_model()
        new_users = []
        for username, first, last, group_name, superuser in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults=dict(
                    first_name=first,
                    last_name=last,
                    email=f"{username}@clinic.example",
                    is_staff=superuser or group_name == CLINIC_ADMIN,
                    is_superuser=superuser,
                ),
            )
            if created or password:
                user.set_password(password or created_password)
                user.save()
            if created:
                new_users.append(username)
            user.groups.add(Group.objects.get_or_create(name=group_name)[0])
        return new_users

    def _therapies(self):
        return {
            code: TherapyType.objects.get_or_create(code=code, defaults=fields)[0] for code, fields in THERAPIES.items()
        }

    def _conditions(self):
        return {
            code: Condition.objects.get_or_create(code=code, defaults=dict(name=name, kind=kind))[0]
            for code, name, kind in CONDITIONS
        }

    def _rules(self, conditions, therapies):
        for condition_code, therapy_code, source, severity, rationale in RULES:
            Contraindication.objects.get_or_create(
                condition=conditions[condition_code],
                therapy_type=therapies[therapy_code] if therapy_code else None,
                product_source=source,
                defaults=dict(severity=severity, rationale=rationale),
            )

    def _products(self, therapies):
        for name, therapy_code, source, status, lot_number in PRODUCTS:
            product, _ = Product.objects.get_or_create(
                name=name,
                defaults=dict(
                    therapy_type=therapies[therapy_code], source=source, regulatory_status=status, jurisdiction="UK"
                ),
            )
            ProductLot.objects.get_or_create(
                product=product, lot_number=lot_number, defaults=dict(expires_on=date.today() + timedelta(days=365))
            )

    def _location_and_resources(self):
        location, _ = Location.objects.get_or_create(
            name="Main clinic",
            defaults=dict(time_zone="Europe/London", address="1 Harley Street, London W1G 9QD", phone="+442079460000"),
        )
        for name in ("Treatment room 1", "Treatment room 2"):
            Room.objects.get_or_create(location=location, name=name)
        Device.objects.get_or_create(location=location, name="Centrifuge", defaults=dict(kind="centrifuge"))
        return location

    def _practitioners(self, location, therapies):
        User = get_user_model()
        practitioners = []
        for username, display_name in (("practitioner", "Dr Priya Shah"), ("practitioner2", "Dr Tom Reid")):
            practitioner, _ = Practitioner.objects.get_or_create(
                user=User.objects.get(username=username), defaults=dict(display_name=display_name)
            )
            practitioner.therapy_types.add(*therapies.values())
            practitioner.locations.add(location)
            for weekday in range(5):
                WorkingHours.objects.get_or_create(
                    practitioner=practitioner,
                    location=location,
                    weekday=weekday,
                    defaults=dict(start_time=time(9), end_time=time(17)),
                )
            practitioners.append(practitioner)
        return practitioners

    def _patients(self, conditions):
        patients = []
        for first, last, born, email, phone, condition_codes in PATIENTS:
            # The oldest record of that name and birthday is the demo's: the desk may have registered the same
            # person again (allow_duplicate), which get_or_create would refuse with MultipleObjectsReturned.
            patient = (
                Patient.objects.filter(first_name=first, last_name=last, date_of_birth=born).order_by("id").first()
            ) or Patient.objects.create(first_name=first, last_name=last, date_of_birth=born, email=email, phone=phone)
            for code in condition_codes:
                PatientCondition.objects.get_or_create(patient=patient, condition=conditions[code])
            patients.append(patient)
        return patients

    def _demo_appointments(self, location, practitioners, patients, therapies):
        """A few bookings on the next working day, once: the day view is not empty on first login."""
        if Appointment.objects.filter(patient__in=patients).exists():
            return
        from care.booking import appointment_book

        day = date.today() + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        bookings = (
            (patients[0], practitioners[0], therapies["prp"], time(10)),
            (patients[4], practitioners[1], therapies["exosome"], time(11)),
            (patients[2], practitioners[1], therapies["prp"], time(14)),
        )
        for patient, practitioner, therapy, local_time in bookings:
            start = datetime.combine(day, local_time, tzinfo=location.zone)
            # A visit outside a plan names its product where the therapy uses one: the plant-derived one here.
            product = therapy.products.filter(source=ProductSource.PLANT).first() if therapy.requires_product else None
            try:
                appointment_book(
                    patient=patient, therapy_type=therapy, practitioner=practitioner, start=start, product=product
                )
            except DomainError as refusal:
                # The desk's own data comes first (a booking already there, a screening that now blocks).
                self.stdout.write(f"Demo booking for {patient} skipped: {refusal.detail}")

    def _report(self, new_users, password, created_password):
        if new_users:
            shown = password or created_password
            self.stdout.write(self.style.SUCCESS(f"Demo users {', '.join(new_users)} created with password: {shown}"))
        elif password:
            self.stdout.write(self.style.SUCCESS(f"Demo users' password set to: {password}"))
        self.stdout.write("Demo clinic is ready.")
