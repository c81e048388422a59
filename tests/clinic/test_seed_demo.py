import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from patients.models import Condition, Patient, PatientCondition
from scheduling.models import Appointment, Device, Location, Practitioner, Reminder, Room, WorkingHours
from treatments.models import Contraindication, Product, ProductLot, TherapyType

pytestmark = pytest.mark.django_db(transaction=True)

MODELS = (
    get_user_model(),
    Condition,
    Patient,
    PatientCondition,
    TherapyType,
    Product,
    ProductLot,
    Contraindication,
    Location,
    Room,
    Device,
    Practitioner,
    WorkingHours,
    Appointment,
    Reminder,
)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo", "--password", "demo-pass-123")
    first = counts()
    call_command("seed_demo", "--password", "demo-pass-123")
    assert counts() == first
    assert first["Appointment"] >= 3


def test_seed_demo_builds_the_clinic_of_the_design():
    call_command("seed_demo", "--password", "demo-pass-123")
    users = get_user_model().objects
    for username in ("admin", "frontdesk", "practitioner", "practitioner2"):
        assert users.get(username=username).check_password("demo-pass-123")
    assert users.get(username="admin").is_superuser
    assert set(users.get(username="frontdesk").groups.values_list("name", flat=True)) == {"front_desk"}
    location = Location.objects.get(name="Main clinic")
    assert location.time_zone == "Europe/London"
    assert location.rooms.count() == 2
    assert list(location.devices.values_list("kind", flat=True)) == ["centrifuge"]
    prp = TherapyType.objects.get(code="prp")
    assert prp.requires_blood_draw and prp.device_kind == "centrifuge"
    assert set(Product.objects.values_list("source", flat=True)) == {"human", "fish", "plant"}
    assert ProductLot.objects.count() == 3
    for practitioner in Practitioner.objects.all():
        assert set(practitioner.therapy_types.values_list("code", flat=True)) == {"prp", "exosome"}
        hours = practitioner.working_hours.order_by("weekday")
        assert [h.weekday for h in hours] == [0, 1, 2, 3, 4]
        assert {(h.start_time.hour, h.end_time.hour) for h in hours} == {(9, 17)}
    rules = {
        (r.condition.code, r.therapy_type.code if r.therapy_type else r.product_source, r.severity)
        for r in Contraindication.objects.select_related("condition", "therapy_type")
    }
    assert ("anticoagulant-therapy", "prp", "absolute") in rules
    assert ("cardiovascular-disease", "prp", "relative") in rules
    assert ("fish-allergy", "fish", "absolute") in rules
    assert ("pregnancy", "exosome", "relative") in rules
    assert len(rules) == 10


def test_seed_demo_without_password_prints_the_generated_one(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    password = out.split("password: ")[1].split()[0]
    assert get_user_model().objects.get(username="frontdesk").check_password(password)


def test_seed_demo_survives_a_demo_patient_registered_twice_by_the_desk():
    call_command("seed_demo", "--password", "demo-pass-123")
    alice = Patient.objects.get(first_name="Alice", last_name="Morgan")
    Patient.objects.create(
        first_name=alice.first_name, last_name=alice.last_name, date_of_birth=alice.date_of_birth, email=alice.email
    )
    before = counts()
    call_command("seed_demo", "--password", "demo-pass-123")
    assert counts() == before


def test_seed_demo_on_a_database_where_the_desk_registered_a_demo_name_first():
    from datetime import date

    Patient.objects.create(first_name="Alice", last_name="Morgan", date_of_birth=date(1984, 3, 12))
    Patient.objects.create(first_name="Alice", last_name="Morgan", date_of_birth=date(1984, 3, 12))
    call_command("seed_demo", "--password", "demo-pass-123")
    assert Patient.objects.filter(last_name="Morgan").count() == 2
    assert Appointment.objects.count() >= 3
