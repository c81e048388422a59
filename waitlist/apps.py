from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    """Waitlist entries, matching a freed slot, offers and claims."""

    name = "waitlist"
    verbose_name = "Waitlist"
