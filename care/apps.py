from django.apps import AppConfig


class CareConfig(AppConfig):
    """Use cases that join the floors: a condition recorded -> re-screen and hold; plan follow-ups and cascade;
    completing a visit; questionnaire answers."""

    name = "care"
    verbose_name = "Care"
