"""Each list endpoint runs a fixed number of queries whatever the number of rows on the page."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.dateparse import parse_datetime

from patients.api.views import PatientViewSet
from patients.models import AccessLog, PatientNote
from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment
from tests import factories
from tests.api.conftest import next_weekday_at
from tests.conftest import api_client_for

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
        PatientNote.objects.create(patient=records.patient, text=f"I take apixaban ({i})")


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
# The export reads one list more than any other endpoint: the patient's notes in their own words.
MAX_EXPORT_QUERIES = MAX_QUERIES + 1


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
    most = MAX_EXPORT_QUERIES if url.endswith("/export/") else MAX_QUERIES
    with django_assert_max_num_queries(min(few, most)):
        clinic_admin_api.get(url)
    assert few <= most


# One booking through the API, on the path every booking takes: the token with the user's roles; the body's
# patient, therapy type, product (a one-off exosome visit names it) and practitioner; the therapy check;
# screening; locks on practitioner and patient; working hours (with time off and the largest buffer); the conflict
# read; the lowest free room read and locked at once, and its re-check; the insert and its history row. Savepoints
# and the outboxes (the reminders, messaging.reminders; the webhook event row, clinic.events) are left out.
BOOKING_QUERIES = 15


def test_booking_through_the_api_runs_a_fixed_number_of_queries(clinic, front_desk_api):
    patient = factories.PatientFactory()
    start = next_weekday_at(11)
    body = {
        "patient": patient.pk,
        "therapy_type": clinic.exosome.pk,
        "product": clinic.plant_product.pk,
        "practitioner": clinic.practitioners[0].pk,
        "start": start.isoformat(),
    }
    with CaptureQueriesContext(connection) as queries:
        response = front_desk_api.post("/api/v1/appointments/", body, format="json")
    assert response.status_code == 201, response.content
    answer = response.json()
    assert parse_datetime(answer["start"]) == start
    assert answer["patient_name"] == patient.full_name
    outboxes = ("scheduling_reminder", "clinic_event", "SAVEPOINT")
    booking = [q["sql"] for q in queries if not any(name in q["sql"] for name in outboxes)]
    assert len(booking) <= BOOKING_QUERIES, "\n".join(booking)
    assert Appointment.objects.filter(patient=patient, start=start, status=AppointmentStatus.BOOKED).count() == 1


def test_roles_come_with_the_token_and_follow_the_groups(clinic):
    """One statement reads the token, the user and their roles; a role taken away counts from the next request."""
    user = factories.UserFactory(roles=["other-team", "front_desk"])  # a group that is no clinic role as well
    client = api_client_for(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/locations/").status_code == 200
    assert [q["sql"] for q in queries if "auth_group" in q["sql"]] == [queries[0]["sql"]]
    assert "clinic_apitoken" in queries[0]["sql"]

    user.groups.remove(Group.objects.get(name="front_desk"))
    assert client.get("/api/v1/locations/").status_code == 403
    user.groups.clear()
    assert client.get("/api/v1/locations/").status_code == 403
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/api/v1/locations/").status_code == 401


def test_patient_search_reads_the_page_and_its_count_in_one_statement(front_desk_api, monkeypatch):
    """The search's matches are built once: one statement for the page with the exact total, plus the token."""
    monkeypatch.setattr(PatientViewSet.pagination_class, "page_size", 3)
    factories.PatientFactory.create_batch(7, last_name="Quenby")
    factories.PatientFactory(last_name="Other")
    with CaptureQueriesContext(connection) as queries:
        first = front_desk_api.get("/api/v1/patients/", {"search": "quenb"})
    assert first.status_code == 200
    assert [q for q in queries if "patients_patient" in q["sql"]] == [queries[1]]
    assert len(queries) == 2
    assert first.json()["count"] == 7
    assert len(first.json()["results"]) == 3
    assert first.json()["next"] is not None and first.json()["previous"] is None

    last = front_desk_api.get("/api/v1/patients/", {"search": "quenb", "page": 3}).json()
    assert (last["count"], len(last["results"]), last["next"]) == (7, 1, None)
    assert front_desk_api.get("/api/v1/patients/", {"search": "quenb", "page": "last"}).json() == last
    assert front_desk_api.get("/api/v1/patients/", {"search": "quenb", "page": 4}).status_code == 404
    assert front_desk_api.get("/api/v1/patients/", {"search": "quenb", "page": 0}).status_code == 404
    none = front_desk_api.get("/api/v1/patients/", {"search": "nobody-like-this"}).json()
    assert (none["count"], none["results"]) == (0, [])
    assert front_desk_api.get("/api/v1/patients/", {"search": "nobody-like-this", "page": 2}).status_code == 404


def test_day_list_reads_its_page_and_count_together(records, front_desk_api):
    """The day list: the token, the location of the filter, one statement for the page with its total (each row's
    attention flags computed in it, a closed day too), one grouped statement for the page's patients' attendance (no
    subquery per row), and the location's closures that day."""
    day = records.appointment.start.date()
    with CaptureQueriesContext(connection) as queries:
        response = front_desk_api.get("/api/v1/appointments/", {"date": day, "location": records.clinic.location.pk})
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert [r["id"] for r in response.json()["results"]] == [records.appointment.pk]
    assert not [q for q in queries if "COUNT(*) AS" in q["sql"]]
    assert len(queries) == 5
    page = next(q["sql"] for q in queries if "LIMIT" in q["sql"] and "scheduling_appointment" in q["sql"])
    assert "GROUP BY" not in page  # the page's statement reads rows only
    assert sum("GROUP BY" in q["sql"] for q in queries) == 1
