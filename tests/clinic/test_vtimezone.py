"""VTIMEZONE onsets against the zoneinfo database: each change at the wall time before it, read in TZOFFSETFROM."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from clinic.vtimezone import vtimezone, vtimezone_for_years, zone_transitions

ZONES = ["Europe/London", "America/New_York", "Pacific/Auckland"]
YEARS = (2026, 2030)


def onsets(component) -> list[tuple[str, datetime, timedelta, timedelta]]:
    """(kind, local onset, offset from, offset to) of every DTSTART and RDATE in a parsed VTIMEZONE."""
    found = []
    for observance in component.walk():
        if observance.name not in ("STANDARD", "DAYLIGHT"):
            continue
        rdates = observance.get("RDATE", [])
        rdates = rdates if isinstance(rdates, list) else [rdates]
        moments = [observance["DTSTART"].dt] + [leaf.dt for rdate in rdates for leaf in rdate.dts]
        found += [
            (observance.name, moment, observance["TZOFFSETFROM"].td, observance["TZOFFSETTO"].td) for moment in moments
        ]
    return sorted(found, key=lambda item: item[1])


def parsed_vtimezone(tzid: str, first_year: int, last_year: int):
    text = vtimezone_for_years(tzid, first_year, last_year).to_ical()
    return Calendar.from_ical(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + text + b"END:VCALENDAR\r\n").walk("VTIMEZONE")[0]


@pytest.mark.parametrize("tzid", ZONES)
def test_every_onset_is_a_real_change_of_the_zone_at_the_wall_time_before_it(tzid):
    zone = ZoneInfo(tzid)
    found = onsets(parsed_vtimezone(tzid, *YEARS))
    changes_per_year = {}
    for kind, onset, offset_from, offset_to in found:
        at = (onset - offset_from).replace(tzinfo=UTC)  # RFC 5545: DTSTART is read with TZOFFSETFROM
        assert (at - timedelta(seconds=1)).astimezone(zone).utcoffset() == offset_from, (tzid, onset)
        assert at.astimezone(zone).utcoffset() == offset_to, (tzid, onset)
        assert (kind == "DAYLIGHT") == bool(at.astimezone(zone).dst())
        changes_per_year[onset.year] = changes_per_year.get(onset.year, 0) + 1
    # Two changes a year, every year asked for, none missing.
    assert all(changes_per_year[year] == 2 for year in range(YEARS[0], YEARS[1] + 1))


def test_every_change_of_zoneinfo_is_in_it():
    """Hour by hour through 2027: wherever zoneinfo's offset changes, the VTIMEZONE has that onset."""
    for tzid in ZONES:
        zone = ZoneInfo(tzid)
        expected, moment = [], datetime(2027, 1, 1, tzinfo=UTC)
        while moment.year == 2027:
            after = moment + timedelta(hours=1)
            if after.astimezone(zone).utcoffset() != moment.astimezone(zone).utcoffset():
                expected.append(after)
            moment = after
        found = [
            (onset - offset_from).replace(tzinfo=UTC)
            for _, onset, offset_from, _ in onsets(parsed_vtimezone(tzid, 2027, 2027))
        ]
        assert [at for at in found if at.year == 2027] == expected, tzid


@pytest.mark.parametrize(
    ("tzid", "daylight", "standard"),
    [
        ("Europe/London", "20270328T010000", "20271031T020000"),
        ("America/New_York", "20270314T020000", "20271107T020000"),
        ("Pacific/Auckland", "20270926T020000", "20270404T030000"),
    ],
)
def test_the_2027_changes_as_rfc_5545_writes_them(tzid, daylight, standard):
    text = vtimezone_for_years(tzid, 2026, 2028).to_ical().decode()
    daylight_part = text.split("BEGIN:DAYLIGHT")[1].split("END:DAYLIGHT")[0]
    standard_part = text.split("BEGIN:STANDARD")[1].split("END:STANDARD")[0]
    assert daylight in daylight_part and standard in standard_part


def test_the_observance_in_force_when_the_span_starts_is_included():
    """A span from May: the spring change before it is there, so May's times are BST."""
    changes = zone_transitions("Europe/London", date(2027, 5, 1), date(2027, 6, 30))
    assert [change.local_onset for change in changes] == [datetime(2027, 3, 28, 1)]  # noqa: DTZ001


def test_a_zone_without_changes_has_one_standard_observance():
    text = vtimezone("Asia/Tokyo", date(2027, 1, 1), date(2027, 12, 31)).to_ical().decode()
    assert text.count("BEGIN:STANDARD") == 1 and "DAYLIGHT" not in text
    assert "TZOFFSETFROM:+0900" in text and "TZOFFSETTO:+0900" in text
