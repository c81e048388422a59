"""The calendar feeds in the admin: listed, never added or edited by hand; deleting one revokes its URL."""

import pytest
from django.test import Client

from exchange.feeds.services import calendar_feed_issue
from exchange.models import CalendarFeed
from tests import factories

pytestmark = pytest.mark.django_db


def test_deleting_a_feed_in_the_admin_revokes_its_url(client, clinic):
    admin_user = factories.clinic_admin_user(is_superuser=True)
    practitioner = clinic.practitioners[0]
    secret = calendar_feed_issue(practitioner=practitioner, by=admin_user)
    feed = CalendarFeed.objects.get()
    client.force_login(admin_user)
    assert client.get(f"/admin/exchange/calendarfeed/{feed.pk}/change/").status_code == 200
    assert client.get("/admin/exchange/calendarfeed/add/").status_code == 403
    response = client.post(f"/admin/exchange/calendarfeed/{feed.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not CalendarFeed.objects.exists()
    assert Client().get(f"/feeds/calendar/{secret}.ics").status_code == 404
