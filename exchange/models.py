from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from scheduling.models import Practitioner


class CalendarFeed(models.Model):
    """A practitioner's private calendar feed (exchange.feeds). Only the SHA-256 of the URL's secret is kept: the
    URL is shown once, when issued; issuing again replaces the secret and revoking deletes the row, so an old URL
    stops working either way."""

    practitioner = models.OneToOneField(Practitioner, on_delete=models.CASCADE, related_name="calendar_feed")
    secret_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 (hex) of the URL's secret.")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField()
    history = HistoricalRecords(excluded_fields=["secret_hash"])

    class Meta:
        ordering = ["practitioner"]

    def __str__(self):
        return f"calendar feed of {self.practitioner}"
