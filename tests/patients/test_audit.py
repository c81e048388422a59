"""The one access-log rule: every answer that carries a patient's clinical data writes an access-log row for that
patient and is sent with `Cache-Control: no-store`; answers without clinical data write none. One test per read
path: the appointment detail and lists (a practitioner's ?patient=, ?status=completed, a week), the other API reads
of clinical data, and the admin's change, history and list pages of patients, conditions, patients' notes,
appointments and plans."""

from datetime import timedelta

import pytest
from django.urls import reverse

from patients.models import AccessLog, PatientNote
from scheduling.choices import AppointmentStatus
from tests import factories
from tests.conftest import api_client_for
from tests.factories import future_weekday, local_time

pytestmark = pytest.mark.django_db

NOTES = "Injected 4 ml; mild bruising expected."
PATIENTS_WORDS = "I take apixaban every morning."


@pytest.fixture
def visit(clinic):
    """A completed visit with notes (the clinical record), and another patient's plain booked visit that day."""
    day = future_weekday(1, after_days=3)
    completed = factories.AppointmentFactory(
        practitioner=clinic.practitioners[0],
        location=clinic.location,
        room=clinic.rooms[0],
        therapy_type=clinic.prp,
        start=local_time(day, 10),
        end=local_time(day, 11),
        status=AppointmentStatus.COMPLETED,
        notes=NOTES,
    )
    booked = factories.AppointmentFactory(
        practitioner=clinic.practitioners[1],
        location=clinic.location,
        room=clinic.rooms[1],
        therapy_type=clinic.prp,
        start=local_time(day, 12),
        end=local_time(day, 13),
    )
    return clinic, completed, booked, day


def logged(patient_id) -> list[str]:
    return list(AccessLog.objects.filter(patient_id=patient_id).values_list("endpoint", flat=True))


def assert_no_store(response):
    assert response.status_code == 200, response.content[:300]
    assert "no-store" in response["Cache-Control"], response.headers


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/appointments/{completed}/",
        "/api/v1/appointments/?patient={patient}",
        "/api/v1/appointments/?status=completed",
        "/api/v1/appointments/?date_from={day}&date_to={week_end}&location={location}",
    ],
    ids=["detail", "patient", "completed", "week"],
)
def test_a_practitioners_appointment_read_with_notes_is_logged_and_not_cached(visit, practitioner_api, path):
    clinic, completed, booked, day = visit
    path = path.format(
        completed=completed.pk,
        patient=completed.patient_id,
        day=day,
        week_end=day + timedelta(days=6),
        location=clinic.location.pk,
    )
    response = practitioner_api.get(path)
    assert_no_store(response)
    assert NOTES in response.content.decode()
    assert logged(completed.patient_id) == [path.split("?")[0]]
    assert logged(booked.patient_id) == []  # its row carried no clinical data


def test_the_front_desk_reads_no_notes_and_leaves_no_clinical_read(visit, front_desk_api):
    _, completed, _, _ = visit
    response = front_desk_api.get(f"/api/v1/appointments/{completed.pk}/")
    assert response.status_code == 200 and NOTES not in response.content.decode()
    assert response.json()["record"] is None
    assert logged(completed.patient_id) == []
    assert "no-store" not in response.get("Cache-Control", "")


def test_a_clinical_life_cycle_answer_is_logged(visit, practitioner_api):
    _, _, booked, _ = visit
    booked.override_reason = "Cardiologist agrees."
    booked.save(update_fields=["override_reason"])
    response = practitioner_api.post(f"/api/v1/appointments/{booked.pk}/cancel/", {"reason": "Ill"}, format="json")
    assert_no_store(response)
    assert logged(booked.patient_id) == [f"/api/v1/appointments/{booked.pk}/cancel/"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/patients/{patient}/",
        "/api/v1/patients/{patient}/conditions/",
        "/api/v1/patients/{patient}/conditions/{condition}/",
        "/api/v1/plans/",
        "/api/v1/plans/{plan}/",
        "/api/v1/patients/{patient}/export/",
    ],
)
def test_the_other_clinical_reads_are_logged_and_not_cached(clinic, practitioner_api, path):
    patient = factories.PatientFactory()
    condition = factories.PatientConditionFactory(patient=patient)
    plan = factories.TreatmentPlanFactory(patient=patient, therapy_type=clinic.prp)
    path = path.format(patient=patient.pk, condition=condition.pk, plan=plan.pk)
    assert_no_store(practitioner_api.get(path))
    assert logged(patient.pk) == [path]


@pytest.fixture
def admin_client_signed_in(client):
    client.force_login(factories.clinic_admin_user(is_superuser=True))
    return client


@pytest.mark.parametrize(
    "view",
    [
        "patients_patient_change",
        "patients_patient_history",
        "patients_patientcondition_change",
        "patients_patientcondition_history",
        "patients_patientnote_change",
        "patients_patientnote_history",
        "scheduling_appointment_change",
        "scheduling_appointment_history",
        "treatments_treatmentplan_change",
        "treatments_treatmentplan_history",
    ],
)
def test_an_admin_page_of_clinical_data_is_logged_and_not_cached(visit, admin_client_signed_in, view):
    clinic, completed, _, _ = visit
    patient = completed.patient
    rows = {
        "patients_patient": patient,
        "patients_patientcondition": factories.PatientConditionFactory(patient=patient, note="On warfarin"),
        "patients_patientnote": PatientNote.objects.create(patient=patient, text=PATIENTS_WORDS),
        "scheduling_appointment": completed,
        "treatments_treatmentplan": factories.TreatmentPlanFactory(patient=patient, therapy_type=clinic.prp),
    }
    row = rows[view.rsplit("_", 1)[0]]
    url = reverse(f"admin:{view}", args=[row.pk])
    assert_no_store(admin_client_signed_in.get(url))
    assert logged(patient.pk) == [url]


@pytest.mark.parametrize("model", ["patients_patientcondition", "patients_patientnote", "treatments_treatmentplan"])
def test_an_admin_list_of_clinical_rows_logs_each_patient_on_the_page(clinic, admin_client_signed_in, model):
    patients = [factories.PatientFactory(), factories.PatientFactory()]
    for patient in patients:
        factories.PatientConditionFactory(patient=patient)
        factories.TreatmentPlanFactory(patient=patient, therapy_type=clinic.prp)
        PatientNote.objects.create(patient=patient, text=PATIENTS_WORDS)
    url = reverse(f"admin:{model}_changelist")
    assert_no_store(admin_client_signed_in.get(url))
    assert sorted(AccessLog.objects.values_list("patient_id", flat=True)) == sorted(p.pk for p in patients)


def test_a_patients_note_in_the_admin_is_logged_on_each_page_that_shows_its_words(admin_client_signed_in):
    """The note's page, its history and an old version of it all show the patient's words: each is a read of that
    patient. A search of the notes that finds none shows nobody's words and logs nobody."""
    note = PatientNote.objects.create(patient=factories.PatientFactory(), text=PATIENTS_WORDS)
    version = note.history.get()
    pages = [
        reverse("admin:patients_patientnote_change", args=[note.pk]),
        reverse("admin:patients_patientnote_simple_history", args=[note.pk, version.pk]),
        reverse("admin:patients_patientnote_changelist"),
    ]
    for url in pages:
        response = admin_client_signed_in.get(url)
        assert_no_store(response)
        assert PATIENTS_WORDS in response.content.decode()
    assert list(AccessLog.objects.order_by("id").values_list("patient", "endpoint")) == [
        (note.patient_id, url) for url in pages
    ]
    nothing = admin_client_signed_in.get(reverse("admin:patients_patientnote_changelist"), {"q": "ibuprofen"})
    assert nothing.status_code == 200 and PATIENTS_WORDS not in nothing.content.decode()
    assert AccessLog.objects.count() == len(pages)


def test_an_admin_list_of_appointments_carries_no_clinical_data_and_is_not_logged(visit, admin_client_signed_in):
    response = admin_client_signed_in.get(reverse("admin:scheduling_appointment_changelist"))
    assert response.status_code == 200
    assert not AccessLog.objects.exists()


def test_exports_are_rate_limited_per_user_and_a_burst_reaches_the_admins_attention_list(
    practitioner_api, admin_client_signed_in, monkeypatch
):
    from rest_framework.throttling import SimpleRateThrottle

    from patients.models import AccessAlert

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"sign_in": "60/min", "booking": "600/min", "export": "3/hour"}
    )
    patients = [factories.PatientFactory() for _ in range(6)]
    answers = [practitioner_api.get(f"/api/v1/patients/{p.pk}/export/") for p in patients]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429, 429]
    assert answers[3].json()["code"] == "throttled" and int(answers[3]["Retry-After"]) > 0
    assert AccessLog.objects.count() == 3  # refused exports read nothing
    alert = AccessAlert.objects.get()  # one alert for the burst, not one per refusal
    assert alert.user == practitioner_api.user and "3 whole patient records" in alert.what
    # Another user's exports are counted apart.
    assert (
        api_client_for(factories.practitioner_user()).get(f"/api/v1/patients/{patients[0].pk}/export/").status_code
        == 200
    )
    listed = admin_client_signed_in.get(reverse("admin:patients_accessalert_changelist"))
    assert practitioner_api.user.username in listed.content.decode()
