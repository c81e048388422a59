from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Every page a patient opens without signing in: email links, the questionnaire, offer claims, online booking."""

    name = "portal"
    verbose_name = "Patient portal"
