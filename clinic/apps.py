from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


def make_sqlite_folders() -> None:
    """SQLite creates its file but not the folder it lives in (var/ is absent in a fresh clone)."""
    for database in settings.DATABASES.values():
        if database["ENGINE"] != "django.db.backends.sqlite3":
            continue
        for name in (database["NAME"], database.get("TEST", {}).get("NAME")):
            if name and str(name) != ":memory:" and not str(name).startswith("file:"):
                Path(name).parent.mkdir(parents=True, exist_ok=True)


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self):
        from clinic.roles import grant_clinic_admin_permissions
        from clinic.text import prepare_connection

        connection_created.connect(prepare_connection, dispatch_uid="clinic_prepare_connection")

        make_sqlite_folders()
        # No sender: the domain apps migrate after clinic, and their permissions only exist once they have.
        post_migrate.connect(grant_clinic_admin_permissions, dispatch_uid="clinic_grant_admin_permissions")
