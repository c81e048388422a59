from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self):
        from clinic.roles import grant_clinic_admin_permissions

        # No sender: the domain apps migrate after clinic, and their permissions only exist once they have.
        post_migrate.connect(grant_clinic_admin_permissions, dispatch_uid="clinic_grant_admin_permissions")
