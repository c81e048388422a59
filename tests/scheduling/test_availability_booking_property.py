"""Availability and booking agree, over random small clinics (Hypothesis).

Availability (scheduling.availability) and booking (scheduling.booking) share the buffer and overlap rules; if
they drifted apart the desk would offer times that then fail, or refuse times it never offered. For any small
clinic (rooms, devices, practitioners with their hours and time off, appointments already booked, a therapy of any
length and buffer):
- every slot availability offers can be booked, exactly as offered (practitioner, room, device);
- every booking refused as unavailable is one availability would not offer.
"""

from contextlib import suppress
from datetime import UTC, datetime, time, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from care.booking import appointment_book
from clinic.exceptions import SlotUnavailable
from scheduling.availability import find_free_slots
from scheduling.models import Device, Room
from tests.factories import (
    DeviceFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    RoomFactory,
    TherapyTypeFactory,
    TimeOffFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db

# A Wednesday two days after tests.clock.FIXED_NOW, in winter: London's wall clock is UTC.
DAY = datetime(2030, 1, 9, tzinfo=UTC)
WEDNESDAY = 2


def at(minutes: int) -> datetime:
    return DAY + timedelta(minutes=minutes)


practitioner_days = st.fixed_dictionaries(
    {
        "opens": st.sampled_from([8 * 60, 9 * 60, 9 * 60 + 30, 10 * 60]),
        "hours": st.integers(min_value=2, max_value=7),
        # Minutes into the day and length of a time off, or none.
        "away": st.none() | st.tuples(st.integers(8 * 60, 16 * 60), st.sampled_from([30, 60, 120])),
    }
)

clinics = st.fixed_dictionaries(
    {
        "session": st.sampled_from([30, 45, 60, 90]),
        "buffer": st.sampled_from([0, 10, 15, 30]),
        "needs_device": st.booleans(),
        "rooms": st.integers(min_value=1, max_value=2),
        "devices": st.integers(min_value=1, max_value=2),
        "practitioners": st.lists(practitioner_days, min_size=1, max_size=2),
        # Bookings made before availability is asked: (practitioner index, minutes into the day), on a 5-minute grid.
        "booked": st.lists(st.tuples(st.integers(0, 1), st.integers(8 * 12, 17 * 12).map(lambda n: n * 5)), max_size=5),
        # Times a patient asks for: (practitioner index, minutes into the day), anywhere on a 5-minute grid.
        "asked": st.lists(
            st.tuples(st.integers(0, 1), st.integers(7 * 12, 18 * 12).map(lambda n: n * 5)), min_size=1, max_size=4
        ),
        # Which offered slots to book besides those next to a gap (indexes into the offer, wrapped).
        "taken": st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=3),
    }
)


def build(spec: dict):
    location = LocationFactory()
    therapy = TherapyTypeFactory(
        code=f"t-{spec['session']}-{spec['buffer']}-{int(spec['needs_device'])}",
        session_minutes=spec["session"],
        buffer_minutes=spec["buffer"],
        device_kind="centrifuge" if spec["needs_device"] else "",
    )
    for _ in range(spec["rooms"]):
        RoomFactory(location=location)
    if spec["needs_device"]:
        for _ in range(spec["devices"]):
            DeviceFactory(location=location)
    practitioners = []
    for day in spec["practitioners"]:
        practitioner = PractitionerFactory(therapy_types=[therapy], locations=[location])
        opens = day["opens"]
        WorkingHoursFactory(
            practitioner=practitioner,
            location=location,
            weekday=WEDNESDAY,
            start_time=time(opens // 60, opens % 60),
            end_time=time((opens // 60) + day["hours"], opens % 60),
        )
        if day["away"]:
            start, minutes = day["away"]
            TimeOffFactory(practitioner=practitioner, start=at(start), end=at(start + minutes))
        practitioners.append(practitioner)
    return location, therapy, practitioners


def book(therapy, practitioner, start, **resources):
    return appointment_book(
        patient=PatientFactory(), therapy_type=therapy, practitioner=practitioner, start=start, **resources
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=clinics)
def test_availability_offers_exactly_what_booking_accepts(spec):
    with transaction.atomic():
        location, therapy, practitioners = build(spec)
        for index, minutes in spec["booked"]:
            with suppress(SlotUnavailable):  # a busy clinic is what we want; a refused booking writes nothing
                book(therapy, practitioners[index % len(practitioners)], at(minutes))

        slots = find_free_slots(
            therapy_type=therapy, location=location, start=DAY, end=DAY + timedelta(days=1), limit=None
        )
        offered = {(slot.practitioner_id, slot.start) for slot in slots}

        for index, minutes in spec["asked"]:
            practitioner = practitioners[index % len(practitioners)]
            with transaction.atomic():
                try:
                    book(therapy, practitioner, at(minutes))
                except SlotUnavailable as refusal:
                    assert (practitioner.pk, at(minutes)) not in offered, f"offered but refused: {refusal.detail}"
                transaction.set_rollback(True)

        # Disagreements live at the edges of what is free: book every slot next to a gap, and a few others.
        step = timedelta(minutes=django_settings.CLINIC_SLOT_STEP_MINUTES)
        edges = [
            slot
            for slot in slots
            if (slot.practitioner_id, slot.start - step) not in offered
            or (slot.practitioner_id, slot.start + step) not in offered
        ]
        picked = [slots[pick % len(slots)] for pick in spec["taken"]] if slots else []
        for slot in dict.fromkeys(edges + picked):
            with transaction.atomic():
                appointment = book(
                    therapy,
                    next(p for p in practitioners if p.pk == slot.practitioner_id),
                    slot.start,
                    room=Room.objects.get(pk=slot.room_id),
                    device=Device.objects.get(pk=slot.device_id) if slot.device_id else None,
                )
                assert (appointment.start, appointment.end) == (slot.start, slot.end)
                assert (appointment.room_id, appointment.device_id) == (slot.room_id, slot.device_id)
                transaction.set_rollback(True)
        transaction.set_rollback(True)
