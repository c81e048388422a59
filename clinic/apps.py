from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self):
        from clinic.roles import grant_clinic_admin_permissions
        from clinic.text import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="clinic_sqlite_functions")

        # No sender: the domain apps migrate after clinic, and their permissions only exist once they have.
        post_migrate.connect(grant_clinic_admin_permissions, dispatch_uid="clinic_grant_admin_permissions")
