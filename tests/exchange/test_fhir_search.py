"""FHIR searches: the contract's parameters, date prefixes on the location's clock, paging by `next`, _count."""

from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling.choices import AppointmentStatus
from tests import factories
from tests.exchange.fhir_client import bundle_resources, parsed

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def search(client, query: str):
    bundle = parsed(client.get(f"/fhir/R4/{query}"))
    assert bundle.type == "searchset"
    return bundle


def ids(bundle) -> list[int]:
    return [int(resource.id) for resource in bundle_resources(bundle)]


def test_patient_by_name_and_birthdate(front_desk_api, chart):
    other = factories.PatientFactory(first_name="Janet", last_name="Smith", date_of_birth=date(1970, 5, 1))
    chart.patient.date_of_birth = date(1985, 2, 3)
    chart.patient.save()
    assert ids(search(front_desk_api, "Patient?name=doe")) == [chart.patient.pk]
    assert set(ids(search(front_desk_api, "Patient?name=jan"))) == {chart.patient.pk, other.pk}
    assert ids(search(front_desk_api, "Patient?name=jane%20doe")) == [chart.patient.pk]
    assert ids(search(front_desk_api, "Patient?name=jan&birthdate=1985-02-03")) == [chart.patient.pk]
    assert ids(search(front_desk_api, "Patient?birthdate=lt1980")) == [other.pk]
    assert ids(search(front_desk_api, "Patient?birthdate=1985-02")) == [chart.patient.pk]
    assert search(front_desk_api, "Patient?name=nobody").total == 0


def test_a_deactivated_patient_is_read_by_id_but_not_found(front_desk_api, chart):
    chart.patient.active = False
    chart.patient.save()
    assert search(front_desk_api, "Patient?name=doe").total == 0
    assert parsed(front_desk_api.get(f"/fhir/R4/Patient/{chart.patient.pk}")).active is False


def test_appointments_of_a_patient_by_status_and_dates(practitioner_api, chart):
    patient = f"patient={chart.patient.pk}"
    assert set(ids(search(practitioner_api, f"Appointment?{patient}"))) == {
        chart.visit.pk,
        chart.booked.pk,
        chart.one_off.pk,
    }
    assert ids(search(practitioner_api, f"Appointment?{patient}&status=fulfilled")) == [chart.visit.pk]
    booked_or_missed = search(practitioner_api, f"Appointment?patient=Patient/{chart.patient.pk}&status=booked,noshow")
    assert ids(booked_or_missed) == [chart.booked.pk, chart.one_off.pk]  # by start
    day = chart.booked.start.astimezone(LONDON).date()
    one_day = f"date=ge{day}&date=lt{day + timedelta(days=1)}"
    found = ids(search(practitioner_api, f"Appointment?{patient}&{one_day}"))
    assert chart.booked.pk in found and chart.visit.pk not in found
    assert ids(search(practitioner_api, f"Appointment?{patient}&date=lt{day - timedelta(days=7)}")) == [chart.visit.pk]


def test_a_day_is_the_locations_local_day_across_the_clocks_change(front_desk_api, clinic):
    """28 March 2027: London's clocks go forward; 00:30 and 23:30 local are both that day, 00:30 the next is not."""
    day = date(2027, 3, 28)
    times = [datetime(2027, 3, 28, 0, 30), datetime(2027, 3, 28, 23, 30), datetime(2027, 3, 29, 0, 30)]
    made = [
        factories.AppointmentFactory(
            location=clinic.location,
            room=clinic.rooms[0],
            practitioner=clinic.practitioners[0],
            start=moment.replace(tzinfo=LONDON),
            end=moment.replace(tzinfo=LONDON) + timedelta(minutes=20),
        )
        for moment in times
    ]
    location = f"location={clinic.location.pk}"
    assert ids(search(front_desk_api, f"Appointment?{location}&date={day}")) == [made[0].pk, made[1].pk]
    assert ids(search(front_desk_api, f"Appointment?{location}&date=ge2027-03-28T23:00:00%2B01:00")) == [
        made[1].pk,
        made[2].pk,
    ]
    # An offset sent unencoded reads as a space; it is still understood.
    assert ids(search(front_desk_api, f"Appointment?{location}&date=lt2027-03-28T01:00:00+00:00")) == [made[0].pk]
    bundle = search(front_desk_api, f"Appointment?{location}&date={day}")
    assert bundle_resources(bundle)[1].start.utcoffset() == timedelta(hours=1)  # BST, on the location's clock


def test_clinical_searches_by_patient(practitioner_api, chart):
    other = factories.PatientFactory()
    factories.PatientConditionFactory(patient=other)
    patient = f"patient={chart.patient.pk}"
    assert ids(search(practitioner_api, f"CarePlan?{patient}")) == [chart.plan.pk]
    assert ids(search(practitioner_api, f"CarePlan?{patient}&status=revoked")) == []
    assert ids(search(practitioner_api, f"Procedure?{patient}")) == [chart.visit.pk]
    assert set(ids(search(practitioner_api, f"Condition?{patient}"))) == {
        chart.conditions.heart.pk,
        chart.conditions.warfarin.pk,
    }
    assert ids(search(practitioner_api, f"AllergyIntolerance?{patient}")) == [chart.conditions.fish.pk]
    assert set(ids(search(practitioner_api, f"Consent?{patient}"))) == {
        chart.plan_consent.pk,
        chart.one_off_consent.pk,
    }


def test_pages_follow_next_with_total_and_count(front_desk_api, clinic):
    patient = factories.PatientFactory()
    start = datetime(2030, 2, 4, 9, 0, tzinfo=LONDON)
    made = [
        factories.AppointmentFactory(
            patient=patient,
            location=clinic.location,
            room=clinic.rooms[0],
            practitioner=clinic.practitioners[0],
            start=start + timedelta(hours=hour),
            end=start + timedelta(hours=hour, minutes=30),
        )
        for hour in range(5)
    ]
    url, seen = f"/fhir/R4/Appointment?patient={patient.pk}&_count=2", []
    while url:
        bundle = parsed(front_desk_api.get(url))
        assert bundle.total == 5 and len(bundle.entry) <= 2
        seen += ids(bundle)
        links = {link.relation: link.url for link in bundle.link}
        assert parse_qs(urlsplit(links["self"]).query)["patient"] == [str(patient.pk)]
        url = links.get("next")
    assert seen == [appointment.pk for appointment in made]
    assert parsed(front_desk_api.get(f"/fhir/R4/Appointment?patient={patient.pk}&_count=0")).entry is None


def test_count_is_at_most_200(front_desk_api, clinic):
    patients = factories.PatientFactory.create_batch(205)
    bundle = search(front_desk_api, "Patient?_count=500")
    assert bundle.total == len(patients) and len(bundle.entry) == 200
    assert parse_qs(urlsplit({link.relation: link.url for link in bundle.link}["next"]).query)["_count"] == ["200"]


def test_a_days_search_reads_in_a_fixed_number_of_statements(front_desk_api, clinic):
    def day_search(count: int) -> int:
        start = datetime(2030, 3, 4, 9, 0, tzinfo=LONDON) + timedelta(days=count)
        for minute in range(0, 30 * count, 30):
            factories.AppointmentFactory(
                location=clinic.location,
                room=clinic.rooms[0],
                practitioner=clinic.practitioners[0],
                start=start + timedelta(minutes=minute),
                end=start + timedelta(minutes=minute + 25),
                status=AppointmentStatus.BOOKED,
            )
        query = f"/fhir/R4/Appointment?location={clinic.location.pk}&date={start.date()}"
        with CaptureQueriesContext(connection) as queries:
            assert search(front_desk_api, query.removeprefix("/fhir/R4/")).total == count
        return len(queries)

    assert day_search(2) == day_search(12)


@pytest.mark.parametrize("resource_type", ["CarePlan", "Procedure", "Consent", "Condition"])
def test_a_patients_clinical_search_reads_in_a_fixed_number_of_statements(practitioner_api, chart, resource_type):
    def statements() -> int:
        with CaptureQueriesContext(connection) as queries:
            search(practitioner_api, f"{resource_type}?patient={chart.patient.pk}")
        return len(queries)

    before = statements()
    # A second course, given and consented, and another condition: more rows, the same statements.
    plan = factories.TreatmentPlanFactory(patient=chart.patient, therapy_type=chart.clinic.prp)
    session = factories.TreatmentSessionFactory(plan=plan, sequence=1)
    consent = factories.ConsentFactory(plan=plan, patient=chart.patient)
    start = chart.visit.start - timedelta(days=7)
    factories.AppointmentFactory(
        patient=chart.patient,
        practitioner=chart.clinic.practitioners[1],
        location=chart.clinic.location,
        room=chart.clinic.rooms[1],
        therapy_type=chart.clinic.prp,
        session=session,
        plan=plan,
        start=start,
        end=start + timedelta(minutes=60),
        status=AppointmentStatus.COMPLETED,
        consent=consent,
    )
    factories.PatientConditionFactory(patient=chart.patient)
    assert statements() == before
