"""Project-wide records that belong to no domain app: idempotent request replay."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from knox.models import AbstractAuthToken


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key` header, replayed for retries until `expires_at`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    # Empty only inside the transaction of the first request, which fills them before it commits.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_expires_idx")]

    def __str__(self):
        return f"{self.key} ({self.response_status})"


class ApiToken(AbstractAuthToken):
    """A django-rest-knox token (stored as a SHA-512 digest, expiring), bound to the password it was issued under:
    once the user's password changes, every token issued before no longer signs anything in
    (clinic.api.authentication), whichever way the password was changed (admin, command, API)."""

    password_fingerprint = models.CharField(max_length=128, editable=False)

    class Meta:
        verbose_name = "API token"

    def __str__(self):
        return f"{self.token_key}... of {self.user} (expires {self.expiry:%Y-%m-%d %H:%M})"


class Event(models.Model):
    """Something that happened which the clinic's other systems may be told about (webhooks): written by the use
    case in the transaction of the change itself (clinic.events.event_record), so it exists exactly when the change
    does; messaging turns it into one delivery per subscribed endpoint (`fanned_out_at`)."""

    uuid = models.UUIDField(unique=True, editable=False, help_text="The webhook-id of every delivery of it.")
    type = models.CharField(max_length=40)
    occurred_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(help_text="Ids, times and status only: never clinical text.")
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], condition=models.Q(fanned_out_at__isnull=True), name="event_to_fan_out_idx")
        ]

    def __str__(self):
        return f"{self.type} #{self.pk}"
