"""Time that opens up when time off is removed or shortened, or working hours are widened, is offered to the
waitlist like a cancelled slot: through the services and through the admin pages that call them."""

from datetime import time, timedelta

import pytest
from django.urls import reverse

from scheduling import working_time
from scheduling.models import FreedTime, TimeOff, WaitlistOffer, WorkingHours
from tests.factories import PatientFactory, TimeOffFactory, clinic_admin_user, future_weekday, local_time
from waitlist import entries as waitlist_entries
from waitlist import matching as waitlist_matching

pytestmark = pytest.mark.django_db
MONDAY = 0


@pytest.fixture
def admin_client(client):
    client.force_login(clinic_admin_user())
    return client


@pytest.fixture
def monday():
    return future_weekday(MONDAY)


def waiting(clinic, day, **kwargs):
    return waitlist_entries.waitlist_entry_create(
        patient=PatientFactory(),
        therapy_type=clinic.exosome,
        product=clinic.plant_product,
        location=clinic.location,
        earliest=day,
        latest=day,
        practitioner=clinic.practitioners[0],
        **kwargs,
    )


def match_all() -> list[WaitlistOffer]:
    for freed in FreedTime.objects.filter(matched_at__isnull=True):
        waitlist_matching.freed_time_match(freed_id=freed.pk)
    return list(WaitlistOffer.objects.order_by("start", "id"))


def test_time_off_deleted_in_the_admin_is_offered_to_the_waitlist(clinic, monday, admin_client):
    practitioner = clinic.practitioners[0]
    away = TimeOffFactory(practitioner=practitioner, start=local_time(monday, 9), end=local_time(monday, 17))
    entry = waiting(clinic, monday)

    answer = admin_client.post(reverse("admin:scheduling_timeoff_delete", args=[away.pk]), {"post": "yes"})

    assert answer.status_code == 302
    assert not TimeOff.objects.exists()
    freed = FreedTime.objects.get()
    assert (freed.reason, freed.start, freed.end) == ("time_off_removed", away.start, away.end)
    offers = match_all()
    assert [(offer.entry_id, offer.practitioner_id, offer.start) for offer in offers] == [
        (entry.pk, practitioner.pk, local_time(monday, 9))
    ]


def test_time_off_deleted_from_the_practitioners_page_is_offered_too(clinic, monday, admin_client):
    practitioner = clinic.practitioners[0]
    away = TimeOffFactory(practitioner=practitioner, start=local_time(monday, 9), end=local_time(monday, 17))
    entry = waiting(clinic, monday)
    page = reverse("admin:scheduling_practitioner_change", args=[practitioner.pk])
    hours = list(practitioner.working_hours.order_by("pk"))
    data = {
        "user": practitioner.user_id,
        "display_name": practitioner.display_name,
        "active": "on",
        "therapy_types": [clinic.prp.pk, clinic.exosome.pk],
        "locations": [clinic.location.pk],
        "working_hours-TOTAL_FORMS": len(hours),
        "working_hours-INITIAL_FORMS": len(hours),
        "time_off-TOTAL_FORMS": 1,
        "time_off-INITIAL_FORMS": 1,
        "time_off-0-id": away.pk,
        "time_off-0-practitioner": practitioner.pk,
        "time_off-0-start_0": local_time(monday, 9).strftime("%Y-%m-%d"),
        "time_off-0-start_1": "09:00:00",
        "time_off-0-end_0": local_time(monday, 17).strftime("%Y-%m-%d"),
        "time_off-0-end_1": "17:00:00",
        "time_off-0-DELETE": "on",
    }
    for index, row in enumerate(hours):
        data |= {
            f"working_hours-{index}-id": row.pk,
            f"working_hours-{index}-practitioner": practitioner.pk,
            f"working_hours-{index}-location": row.location_id,
            f"working_hours-{index}-weekday": row.weekday,
            f"working_hours-{index}-start_time": row.start_time.strftime("%H:%M"),
            f"working_hours-{index}-end_time": row.end_time.strftime("%H:%M"),
        }

    answer = admin_client.post(page, data)

    assert answer.status_code == 302, answer.context["adminform"].form.errors if answer.context else answer
    assert not TimeOff.objects.exists()
    assert [(offer.entry_id, offer.start) for offer in match_all()] == [(entry.pk, local_time(monday, 9))]


def test_shortened_time_off_frees_only_the_time_given_back(clinic, monday):
    practitioner = clinic.practitioners[0]
    away = TimeOffFactory(practitioner=practitioner, start=local_time(monday, 9), end=local_time(monday, 17))
    entry = waiting(clinic, monday)

    away.end = local_time(monday, 13)
    working_time.time_off_save(time_off=away)

    freed = FreedTime.objects.get()
    assert (freed.start, freed.end) == (local_time(monday, 13), local_time(monday, 17))
    assert [(offer.entry_id, offer.start) for offer in match_all()] == [(entry.pk, local_time(monday, 13))]


def test_new_time_off_frees_nothing(clinic, monday):
    waiting(clinic, monday)
    working_time.time_off_save(
        time_off=TimeOff(practitioner=clinic.practitioners[0], start=local_time(monday, 9), end=local_time(monday, 12))
    )
    assert not FreedTime.objects.exists()


def test_working_hours_widened_in_the_admin_are_offered_on_the_days_the_waitlist_wants(clinic, monday, admin_client):
    practitioner = clinic.practitioners[0]
    hours = WorkingHours.objects.get(practitioner=practitioner, weekday=MONDAY)
    entry = waiting(clinic, monday)
    later = waiting(clinic, monday + timedelta(days=7))  # the list wants two Mondays

    answer = admin_client.post(
        reverse("admin:scheduling_workinghours_change", args=[hours.pk]),
        {
            "practitioner": practitioner.pk,
            "location": clinic.location.pk,
            "weekday": MONDAY,
            "start_time": "07:00",
            "end_time": "17:00",
        },
    )

    assert answer.status_code == 302
    hours.refresh_from_db()
    assert hours.start_time == time(7)
    freed = list(FreedTime.objects.order_by("start").values_list("reason", "start", "end"))
    assert freed[-2:] == [
        ("hours_widened", local_time(monday, 7), local_time(monday, 9)),
        ("hours_widened", local_time(monday + timedelta(days=7), 7), local_time(monday + timedelta(days=7), 9)),
    ]
    offers = match_all()
    assert [(offer.entry_id, offer.start) for offer in offers] == [
        (entry.pk, local_time(monday, 7)),
        (later.pk, local_time(monday + timedelta(days=7), 7)),
    ]


def test_narrowed_working_hours_free_nothing(clinic, monday):
    waiting(clinic, monday)
    hours = WorkingHours.objects.get(practitioner=clinic.practitioners[0], weekday=MONDAY)
    hours.start_time = time(10)
    working_time.working_hours_save(hours=hours)
    assert not FreedTime.objects.exists()


def test_widened_hours_free_nothing_when_nobody_waits(clinic, monday):
    hours = WorkingHours.objects.get(practitioner=clinic.practitioners[0], weekday=MONDAY)
    hours.end_time = time(19)
    working_time.working_hours_save(hours=hours)
    assert not FreedTime.objects.exists()
