"""The clinic_admin group can work in the admin on every model of the project's apps, found without a hand list."""

import pytest
from django.contrib.auth.models import Group

from clinic.roles import CLINIC_ADMIN, grant_clinic_admin_permissions, project_app_labels

pytestmark = pytest.mark.django_db


def test_the_project_apps_are_found_in_the_registry_not_in_a_list():
    labels = project_app_labels()
    assert {
        "clinic",
        "patients",
        "treatments",
        "scheduling",
        "messaging",
        "care",
        "waitlist",
        "portal",
        "exchange",
        "frontdesk",
    } == set(labels)


def test_clinic_admin_may_manage_every_project_model_and_users_but_not_third_party_records():
    grant_clinic_admin_permissions()
    granted = set(Group.objects.get(name=CLINIC_ADMIN).permissions.values_list("content_type__app_label", "codename"))
    for app_label, codename in [
        ("patients", "view_accesslog"),
        ("patients", "change_patient"),
        ("treatments", "add_contraindication"),
        ("scheduling", "change_workinghours"),
        ("clinic", "view_idempotencykey"),
        ("auth", "add_user"),
    ]:
        assert (app_label, codename) in granted
    assert not {label for label, _ in granted} & {"axes", "authtoken", "sessions", "contenttypes", "admin"}
