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
