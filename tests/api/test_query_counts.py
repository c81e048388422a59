"""Each list endpoint runs a fixed number of queries whatever the number of rows on the page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import AccessLog
from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment
from tests import factories

pytestmark = pytest.mark.django_db


def add_patients(records, n):
    factories.PatientFactory.create_batch(n)


def add_conditions(records, n):
    factories.ConditionFactory.create_batch(n)


def add_patient_conditions(records, n):
    for _ in range(n):
        factories.PatientConditionFactory(patient=records.patient)


def add_products(records, n):
    factories.ProductFactory.create_batch(n, therapy_type=records.clinic.exosome)


def add_lots(records, n):
    factories.ProductLotFactory.create_batch(n, product=records.clinic.plant_product)


def add_rules(records, n):
    for _ in range(n):
        factories.ContraindicationFactory(therapy_type=records.clinic.exosome)


def add_plans(records, n):
    for _ in range(n):
        plan = factories.TreatmentPlanFactory(therapy_type=records.clinic.prp)
        session = factories.TreatmentSessionFactory(plan=plan)
        factories.TreatmentSessionFactory(plan=plan, sequence=2)
        start = records.appointment.start + timedelta(days=plan.pk)
        factories.AppointmentFactory(
            patient=plan.patient,
            practitioner=records.clinic.practitioners[0],
            location=records.clinic.location,
            room=records.clinic.rooms[0],
            therapy_type=plan.therapy_type,
            session=session,
            plan=plan,
            start=start,
            end=start + timedelta(hours=1),
        )


def add_locations(records, n):
    for i in range(n):
        factories.LocationFactory(name=f"Branch {i}")


def add_practitioners(records, n):
    factories.PractitionerFactory.create_batch(
        n, therapy_types=[records.clinic.prp, records.clinic.exosome], locations=[records.clinic.location]
    )


def add_rooms(records, n):
    factories.RoomFactory.create_batch(n, location=records.clinic.location)


def add_devices(records, n):
    factories.DeviceFactory.create_batch(n, location=records.clinic.location)


def add_appointments(records, n):
    days_taken = Appointment.objects.count()
    for i in range(n):
        start = records.appointment.start + timedelta(days=days_taken + i)
        factories.AppointmentFactory(
            practitioner=records.clinic.practitioners[i % 2],
            location=records.clinic.location,
            room=records.clinic.rooms[0],
            therapy_type=records.clinic.prp,
            start=start,
            end=start + timedelta(hours=1),
        )


def add_reminders(records, n):
    factories.ReminderFactory.create_batch(n)


def add_access_log(records, n):
    for _ in range(n):
        AccessLog.objects.create(user=factories.UserFactory(), patient=records.patient, endpoint="/x/", method="GET")


def add_recipients(records, n):
    for i in range(n):
        plan = factories.TreatmentPlanFactory(therapy_type=records.clinic.exosome, product=records.clinic.plant_product)
        factories.TreatmentSessionFactory(plan=plan, sequence=i + 1, status="completed", product_lot=records.lot)


def add_everything_for_export(records, n):
    add_patient_conditions(records, n)
    for _ in range(n):
        plan = factories.TreatmentPlanFactory(patient=records.patient, therapy_type=records.clinic.prp)
        factories.TreatmentSessionFactory(plan=plan)
        factories.ConsentFactory(plan=plan)
    for i in range(n):
        start = records.appointment.start + timedelta(days=i + 1)
        appointment = factories.AppointmentFactory(
            patient=records.patient,
            practitioner=records.clinic.practitioners[0],
            location=records.clinic.location,
            room=records.clinic.rooms[0],
            therapy_type=records.clinic.prp,
            start=start,
            end=start + timedelta(hours=1),
            status=AppointmentStatus.COMPLETED,
        )
        factories.ReminderFactory(appointment=appointment)


ENDPOINTS = [
    ("/api/v1/patients/?search=e", add_patients),
    ("/api/v1/conditions/", add_conditions),
    ("/api/v1/patients/{patient}/conditions/", add_patient_conditions),
    ("/api/v1/therapy-types/", None),
    ("/api/v1/products/", add_products),
    ("/api/v1/product-lots/", add_lots),
    ("/api/v1/contraindications/", add_rules),
    ("/api/v1/plans/", add_plans),
    ("/api/v1/locations/", add_locations),
    ("/api/v1/practitioners/", add_practitioners),
    ("/api/v1/rooms/", add_rooms),
    ("/api/v1/devices/", add_devices),
    ("/api/v1/appointments/", add_appointments),
    ("/api/v1/reminders/", add_reminders),
    ("/api/v1/patients/{patient}/access-log/", add_access_log),
    ("/api/v1/product-lots/{lot}/recipients/", add_recipients),
    ("/api/v1/patients/{patient}/export/", add_everything_for_export),
]
MAX_QUERIES = 12


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


@pytest.mark.parametrize(("url", "add"), ENDPOINTS, ids=[url for url, _ in ENDPOINTS])
def test_list_query_count_does_not_grow_with_rows(records, clinic_admin_api, url, add, django_assert_max_num_queries):
    url = url.format(patient=records.patient.pk, lot=records.lot.pk)
    if add is not None:
        add(records, 2)
    few = count_queries(clinic_admin_api, url)
    if add is not None:
        add(records, 8)
    with django_assert_max_num_queries(min(few, MAX_QUERIES)):
        clinic_admin_api.get(url)
    assert few <= MAX_QUERIES
