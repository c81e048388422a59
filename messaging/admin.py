"""The messaging app's admin pages, kept in the modules of their feature."""

from messaging.webhooks import admin as webhooks_admin  # noqa: F401 - registers its pages
