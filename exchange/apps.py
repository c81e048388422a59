from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    """The outside world reading the clinic: the patient export, FHIR, calendar feeds."""

    name = "exchange"
    verbose_name = "Exchange"
