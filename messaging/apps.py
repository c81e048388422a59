from django.apps import AppConfig


class MessagingConfig(AppConfig):
    """Every message that leaves the clinic: emails and their calendar files, reminders, offer emails, webhooks."""

    name = "messaging"
    verbose_name = "Messaging"
