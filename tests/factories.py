"""factory_boy factories for the whole domain, plus `build_clinic()` for tests that need a working clinic."""

from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from clinic.roles import CLINIC_ADMIN, FRONT_DESK, PRACTITIONER
from patients.choices import ConditionKind
from patients.models import Condition, Patient, PatientCondition
from scheduling.models import Appointment, Device, Location, Practitioner, Reminder, Room, TimeOff, WorkingHours
from tests import clock
from treatments.choices import Indication, ProductSource, RegulatoryStatus, Severity
from treatments.consent import consent_record
from treatments.models import (
    Consent,
    Contraindication,
    Product,
    ProductLot,
    TherapyType,
    TreatmentPlan,
    TreatmentSession,
)
from treatments.plans import plan_create

PASSWORD = "test-pass-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.example")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            # get_or_create: transactional tests flush the groups that the data migration created.
            self.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in extracted))
        if create:
            self.save()


def user_with_role(role: str, **kwargs):
    return UserFactory(roles=[role], **kwargs)


def front_desk_user(**kwargs):
    return user_with_role(FRONT_DESK, **kwargs)


def practitioner_user(**kwargs):
    return user_with_role(PRACTITIONER, **kwargs)


def clinic_admin_user(**kwargs):
    return user_with_role(CLINIC_ADMIN, is_staff=True, **kwargs)


class ConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Condition
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"condition-{n}")
    name = factory.LazyAttribute(lambda c: c.code.replace("-", " ").capitalize())
    kind = ConditionKind.CONDITION


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=20, maximum_age=80)
    email = factory.Sequence(lambda n: f"patient{n}@example.com")
    phone = factory.Sequence(lambda n: f"+4477009{n % 100000:05d}")
    email_reminders = True


class PatientConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientCondition

    patient = factory.SubFactory(PatientFactory)
    condition = factory.SubFactory(ConditionFactory)
    active = True


class TherapyTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TherapyType
        django_get_or_create = ("code",)

    code = "prp"
    name = "PRP"
    session_minutes = 60
    buffer_minutes = 15
    default_sessions = 3
    min_interval_days = 28
    max_interval_days = 42
    requires_blood_draw = True
    requires_product = False
    device_kind = "centrifuge"
    preparation_notes = "Eat and drink normally: blood will be drawn."


class ExosomeTherapyFactory(TherapyTypeFactory):
    code = "exosome"
    name = "Exosome therapy"
    session_minutes = 45
    min_interval_days = 21
    max_interval_days = 35
    requires_blood_draw = False
    requires_product = True
    device_kind = ""
    preparation_notes = "Arrive with clean skin."


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Exosome product {n}")
    therapy_type = factory.SubFactory(ExosomeTherapyFactory)
    source = ProductSource.PLANT
    regulatory_status = RegulatoryStatus.COSMETIC


class ProductLotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLot

    product = factory.SubFactory(ProductFactory)
    lot_number = factory.Sequence(lambda n: f"LOT-{n:05d}")
    expires_on = factory.LazyFunction(lambda: clock.today() + timedelta(days=365))


class ContraindicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contraindication

    condition = factory.SubFactory(ConditionFactory)
    therapy_type = factory.SubFactory(TherapyTypeFactory)
    product_source = ""
    severity = Severity.ABSOLUTE
    rationale = "Test rule."


class TreatmentPlanFactory(factory.django.DjangoModelFactory):
    """A bare plan row; use treatments.plans.plan_create in tests of behaviour."""

    class Meta:
        model = TreatmentPlan

    patient = factory.SubFactory(PatientFactory)
    therapy_type = factory.SubFactory(TherapyTypeFactory)
    indication = Indication.FINE_LINES_WRINKLES
    sessions_planned = 3
    min_interval_days = 28
    max_interval_days = 42
    start_date = factory.LazyFunction(clock.today)


class TreatmentSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TreatmentSession

    plan = factory.SubFactory(TreatmentPlanFactory)
    sequence = 1
    window_start = factory.LazyFunction(clock.today)
    window_end = factory.LazyFunction(lambda: clock.today() + timedelta(days=42))


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    plan = factory.SubFactory(TreatmentPlanFactory)
    patient = factory.SelfAttribute("plan.patient")
    consented_to = "PRP course of 3 sessions"
    text_version = "v1"
    method = "written"
    consented_at = factory.LazyFunction(clock.now)
    recorded_by = factory.SubFactory(UserFactory)


def open_plan(*, patient=None, therapy_type=None, product=None, by=None, consent=True, **kwargs) -> TreatmentPlan:
    """A plan opened the real way (screening, sessions, windows), by a practitioner, with consent unless told not."""
    therapy_type = therapy_type or (product.therapy_type if product else TherapyTypeFactory())
    if therapy_type.requires_product and product is None:
        product = ProductFactory(therapy_type=therapy_type)
    by = by or practitioner_user()
    plan = plan_create(
        patient=patient or PatientFactory(),
        therapy_type=therapy_type,
        product=product,
        indication=kwargs.pop("indication", Indication.FINE_LINES_WRINKLES),
        by=by,
        **kwargs,
    )
    if consent:
        consent_record(plan=plan, method="written", text_version="v1", by=by)
    return plan


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("name",)

    name = "Main clinic"
    time_zone = "Europe/London"
    address = "1 Harley Street, London"


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Room {n}")


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Centrifuge {n}")
    kind = "centrifuge"


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, roles=[PRACTITIONER])
    display_name = factory.Sequence(lambda n: f"Dr Practitioner {n}")

    @factory.post_generation
    def therapy_types(self, create, extracted, **kwargs):
        if create and extracted:
            self.therapy_types.add(*extracted)

    @factory.post_generation
    def locations(self, create, extracted, **kwargs):
        if create and extracted:
            self.locations.add(*extracted)


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingHours

    practitioner = factory.SubFactory(PractitionerFactory)
    location = factory.SubFactory(LocationFactory)
    weekday = 0
    start_time = time(9)
    end_time = time(17)


class TimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeOff

    practitioner = factory.SubFactory(PractitionerFactory)
    start = factory.LazyFunction(clock.now)
    end = factory.LazyAttribute(lambda t: t.start + timedelta(hours=8))


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A raw appointment row, bypassing the booking service: for invariant and query-count tests only."""

    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    practitioner = factory.SubFactory(PractitionerFactory)
    location = factory.SubFactory(LocationFactory)
    room = factory.SubFactory(RoomFactory, location=factory.SelfAttribute("..location"))
    therapy_type = factory.SubFactory(TherapyTypeFactory)
    start = factory.LazyFunction(lambda: clock.now().replace(microsecond=0) + timedelta(days=1))
    end = factory.LazyAttribute(lambda a: a.start + timedelta(minutes=60))


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reminder

    appointment = factory.SubFactory(AppointmentFactory)
    kind = "confirmation"
    due_at = factory.LazyFunction(clock.now)


def build_clinic():
    """A working clinic: Europe/London location, 2 rooms, 1 centrifuge, PRP + exosome, 2 practitioners Mon-Fri 9-17."""
    location = LocationFactory()
    prp = TherapyTypeFactory()
    exosome = ExosomeTherapyFactory()
    rooms = [RoomFactory(location=location, name="Room A"), RoomFactory(location=location, name="Room B")]
    centrifuge = DeviceFactory(location=location, name="Centrifuge 1")
    practitioners = []
    for _ in range(2):
        practitioner = PractitionerFactory(therapy_types=[prp, exosome], locations=[location])
        for weekday in range(5):
            WorkingHoursFactory(practitioner=practitioner, location=location, weekday=weekday)
        practitioners.append(practitioner)
    plant_product = ProductFactory(therapy_type=exosome, source=ProductSource.PLANT, name="Plant exosomes")
    fish_product = ProductFactory(therapy_type=exosome, source=ProductSource.FISH, name="Fish exosomes")
    return SimpleNamespace(
        location=location,
        prp=prp,
        exosome=exosome,
        rooms=rooms,
        centrifuge=centrifuge,
        practitioners=practitioners,
        plant_product=plant_product,
        fish_product=fish_product,
        plant_lot=ProductLotFactory(product=plant_product),
        fish_lot=ProductLotFactory(product=fish_product),
    )


def future_weekday(weekday: int = 0, *, after_days: int = 2) -> date:
    """The first date with that weekday (0 = Monday) at least `after_days` from today: safely past any notice."""
    day = clock.today() + timedelta(days=after_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def local_time(day: date, hour: int, minute: int = 0, zone: str = "Europe/London") -> datetime:
    """An aware instant from a wall-clock time at the clinic, as the front desk would say it."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))
