"""Slots kept aside for a short while: an online booking request holds its slot until the patient confirms by email.

While a hold is active (held and not expired) availability offers its time to nobody (the desk, the waitlist,
other visitors) and booking refuses it to every booking but the one that uses it (scheduling.booking). Expiry
needs no sweep to free the slot: an expired hold keeps nothing. The sweep that ends it (slot_hold_end, called by
the use case that made it) records it and tells the waitlist the time is free again.

Placing a hold locks the practitioner, then every treatment room and device of the location (the order every
booking keeps: practitioner, room, device), then checks the slot on the committed calendar: concurrent requests for
one slot queue, and exactly one of them gets it.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from clinic.exceptions import SlotUnavailable
from clinic.transitions import transition_check
from scheduling.availability import find_free_slots
from scheduling.choices import SLOT_HOLD_TRANSITIONS, RoomKind, SlotHoldStatus
from scheduling.freed import time_freed
from scheduling.models import Device, Location, Practitioner, Room, SlotHold
from treatments.models import TherapyType

TAKEN = "That time has just been taken. Please choose another."


def _practitioners_free_at(
    *, therapy_type: TherapyType, location: Location, start: datetime, practitioner: Practitioner | None
) -> list[int]:
    """Who could give the therapy at `start` now (read without locks: the caller checks again under them)."""
    end = start + timedelta(minutes=therapy_type.session_minutes)
    slots = find_free_slots(
        therapy_type=therapy_type, location=location, start=start, end=end, practitioner=practitioner, limit=None
    )
    return [slot.practitioner_id for slot in slots if slot.start == start]


def slot_hold_place(
    *,
    therapy_type: TherapyType,
    location: Location,
    start: datetime,
    minutes: int,
    practitioner: Practitioner | None = None,
) -> SlotHold:
    """Hold the slot of the therapy at the location starting at `start` for `minutes`, with `practitioner` or the
    first practitioner free then, and the room and device a booking would use.

    Guarantees, in one transaction: the slot is one availability offers (working hours, closures, time off,
    notice, every appointment and active hold, buffers included) on the committed calendar once the practitioner,
    rooms and devices are locked, so of concurrent requests for one slot exactly one gets it; the others, and a
    slot not free, get SlotUnavailable and nothing is written.
    """
    with transaction.atomic():
        # A named practitioner is checked under the locks below; otherwise the first one free now is chosen.
        candidates = (
            [practitioner.pk]
            if practitioner is not None
            else _practitioners_free_at(therapy_type=therapy_type, location=location, start=start, practitioner=None)
        )
        if not candidates:
            raise SlotUnavailable(TAKEN)
        chosen = Practitioner.objects.select_for_update().get(pk=candidates[0])
        list(
            Room.objects.select_for_update()
            .filter(location=location, active=True, kind=RoomKind.TREATMENT)
            .order_by("id")
            .values_list("id", flat=True)
        )
        if therapy_type.device_kind:
            list(
                Device.objects.select_for_update()
                .filter(location=location, active=True, kind=therapy_type.device_kind)
                .order_by("id")
                .values_list("id", flat=True)
            )
        # Read again under the locks: a hold or booking committed meanwhile is seen now.
        end = start + timedelta(minutes=therapy_type.session_minutes)
        slot = next(
            (
                slot
                for slot in find_free_slots(
                    therapy_type=therapy_type, location=location, start=start, end=end, practitioner=chosen, limit=1
                )
                if slot.start == start
            ),
            None,
        )
        if slot is None:
            raise SlotUnavailable(TAKEN)
        return SlotHold.objects.create(
            practitioner=chosen,
            location=location,
            room_id=slot.room_id,
            device_id=slot.device_id,
            therapy_type=therapy_type,
            start=slot.start,
            end=slot.end,
            expires_at=timezone.now() + timedelta(minutes=minutes),
        )


def slot_hold_end(*, hold: SlotHold, status: str = SlotHoldStatus.RELEASED) -> bool:
    """Stop holding the slot (`released`, or `expired` by the sweep) and, when its time is still ahead, tell the
    waitlist it is free (scheduling.freed) in the same transaction. A hold already ended changes nothing (False)."""
    with transaction.atomic():
        locked = SlotHold.objects.select_for_update().get(pk=hold.pk)
        if locked.status != SlotHoldStatus.HELD:
            return False
        transition_check(SLOT_HOLD_TRANSITIONS, current=locked.status, new=status, what="slot hold")
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        time_freed(
            practitioner_id=locked.practitioner_id,
            location_id=locked.location_id,
            start=locked.start,
            end=locked.end,
            reason=f"hold {status}",
        )
    hold.status = status
    return True
