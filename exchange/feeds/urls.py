"""/feeds/...: a practitioner's calendar feed behind the secret in its URL."""

from django.urls import re_path

from exchange.feeds.views import CalendarFeedView

urlpatterns = [
    re_path(r"^calendar/(?P<secret>[A-Za-z0-9_-]{16,128})\.ics$", CalendarFeedView.as_view(), name="calendar-feed"),
]
