"""The access log moved from the clinic app to the patients app (clinic 0003, patients 0004) without losing a row."""

import pytest
from django.contrib.auth.models import Permission

from patients.models import AccessLog
from tests.migrating import at_migration, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("clinic", "0002_idempotency_keys_and_access_log"), ("patients", "0003_patient_search_text_trigram")]


def test_access_log_rows_and_permissions_survive_the_move():
    with at_migration(BEFORE) as old:
        user = old.get_model("auth", "User").objects.create(username="auditor")
        patient = old.get_model("patients", "Patient").objects.create(
            first_name="Ada", last_name="Lovelace", date_of_birth="1815-12-10"
        )
        old.get_model("clinic", "AccessLog").objects.create(
            user=user, patient=patient, endpoint=f"/api/v1/patients/{patient.pk}/", method="GET"
        )
        # Migrating back moved the content type back to clinic, where a database of that time had it.
        content_type = old.get_model("contenttypes", "ContentType").objects.get_or_create(
            app_label="clinic", model="accesslog"
        )[0]
        old.get_model("auth", "Permission").objects.get_or_create(
            content_type=content_type, codename="view_accesslog", defaults={"name": "Can view access log"}
        )
        migrate_to_latest()

        moved = AccessLog.objects.get()
        assert (moved.user.username, moved.patient.last_name, moved.method) == ("auditor", "Lovelace", "GET")
        assert moved.endpoint == f"/api/v1/patients/{moved.patient_id}/"
        # The permission (and every group holding it) followed the model to its new app.
        assert Permission.objects.filter(content_type__app_label="patients", codename="view_accesslog").exists()
        assert not Permission.objects.filter(content_type__app_label="clinic", codename="view_accesslog").exists()
        AccessLog.objects.create(user=moved.user, patient=moved.patient, endpoint="/x/", method="GET")
        assert AccessLog.objects.count() == 2
