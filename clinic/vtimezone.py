"""VTIMEZONE components (RFC 5545 3.6.5) computed from the zoneinfo database, for every calendar file we write.

RFC 5545 gives each STANDARD / DAYLIGHT onset (DTSTART, RDATE) as the local time *before* the change, read with
TZOFFSETFROM: London's spring change is 01:00 (01:00 GMT becomes 02:00 BST) and its autumn change 02:00.
icalendar 6.3's `Timezone.from_tzid` writes the wall time after the change instead (02:00 and 01:00), which makes a
strict client move every event near the change by an hour; so the onsets here come from the zone's own transitions,
found on the UTC time line and written as UTC + TZOFFSETFROM.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

# No zone in the database changes its offset twice within this step (the shortest real gap is weeks).
SCAN_STEP = timedelta(hours=6)
# Looking back for the change in force when a span starts: far enough for any zone without DST since 1970.
LOOK_BACK = timedelta(days=60 * 365)
LOOK_BACK_STEP = timedelta(days=30)


@dataclass(frozen=True)
class Transition:
    """One change of a zone's rules: at `at` (UTC) the offset goes from `offset_from` to `offset_to`."""

    at: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    is_dst: bool

    @property
    def local_onset(self) -> datetime:
        """The wall-clock time at which the change happens, read on the clock before it (RFC 5545's DTSTART)."""
        return (self.at + self.offset_from).replace(tzinfo=None)


def _state(zone: ZoneInfo, instant: datetime) -> tuple[timedelta, timedelta, str]:
    local = instant.astimezone(zone)
    return local.utcoffset(), local.dst(), local.tzname()


def _change_between(zone: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The first whole UTC second in (before, after] whose rules differ from those at `before` (bisection)."""
    state = _state(zone, before)
    low, high = before, after
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            middle = low + timedelta(seconds=1)
        if _state(zone, middle) == state:
            low = middle
        else:
            high = middle
    return high


def _transition(zone: ZoneInfo, at: datetime) -> Transition:
    offset_from = _state(zone, at - timedelta(seconds=1))[0]
    offset_to, dst, name = _state(zone, at)
    return Transition(at=at, offset_from=offset_from, offset_to=offset_to, name=name, is_dst=bool(dst))


def _previous_change(zone: ZoneInfo, instant: datetime) -> datetime | None:
    """The last change at or before `instant`, or None when the zone had none in LOOK_BACK."""
    state = _state(zone, instant)
    later = instant
    while later > instant - LOOK_BACK:
        earlier = later - LOOK_BACK_STEP
        if _state(zone, earlier) != state:
            return _change_between(zone, earlier, later)
        later = earlier
    return None


def zone_transitions(tzid: str, first: date, last: date) -> list[Transition]:
    """Every change of the zone's rules from the one in force at the start of `first` to the end of `last`
    (both local days), oldest first. The first may be before `first`: it is the observance in force then."""
    zone = ZoneInfo(tzid)
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone).astimezone(UTC)
    changes = []
    in_force = _previous_change(zone, start)
    if in_force is not None:
        changes.append(in_force)
    cursor = start
    while cursor < end:
        step_end = min(cursor + SCAN_STEP, end)
        if _state(zone, step_end) != _state(zone, cursor):
            changes.append(_change_between(zone, cursor, step_end))
        cursor = step_end
    return [_transition(zone, at) for at in changes]


@lru_cache(maxsize=64)
def vtimezone(tzid: str, first: date, last: date) -> Timezone:
    """The VTIMEZONE for `tzid` valid for every local time from `first` to `last` (dates), one STANDARD or DAYLIGHT
    per observance with its first onset as DTSTART and the later ones as RDATE. Cached: a calendar file for the
    same zone and span is asked for again and again. A zone without any change (UTC) gets one STANDARD."""
    zone = ZoneInfo(tzid)
    observances: dict[tuple, list[datetime]] = defaultdict(list)
    for change in zone_transitions(tzid, first, last):
        key = (change.is_dst, change.offset_from, change.offset_to, change.name)
        observances[key].append(change.local_onset)
    if not observances:
        offset, dst, name = _state(zone, datetime.combine(first, datetime.min.time(), tzinfo=UTC))
        observances[(bool(dst), offset, offset, name)].append(datetime(1970, 1, 1))  # noqa: DTZ001 (local time)
    component = Timezone()
    component.add("tzid", tzid)
    for (is_dst, offset_from, offset_to, name), onsets in sorted(observances.items(), key=lambda item: item[1][0]):
        observance = TimezoneDaylight() if is_dst else TimezoneStandard()
        observance.add("tzname", name)
        observance.add("tzoffsetfrom", offset_from)
        observance.add("tzoffsetto", offset_to)
        observance.add("dtstart", onsets[0])
        if len(onsets) > 1:
            observance.add("rdate", onsets[1:])
        component.add_component(observance)
    return component


def vtimezone_for_years(tzid: str, first_year: int, last_year: int) -> Timezone:
    """vtimezone() for whole calendar years."""
    return vtimezone(tzid, date(first_year, 1, 1), date(last_year, 12, 31))
