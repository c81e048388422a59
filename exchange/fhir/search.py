"""FHIR search parameters as query filters: dates with prefixes, references, tokens, strings; `_count` paging.

A value that cannot be read is a SearchError (400 OperationOutcome), never an empty or a full result.
"""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from clinic.api.fields import BOUNDS_MESSAGE, MAX_ID, within_bounds

DEFAULT_COUNT = 50
MAX_COUNT = 200
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")
DATE_VALUE = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?(?P<offset>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


class SearchError(Exception):
    """A search parameter that cannot be read: `parameter` names it, the message says what to send."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


def split_values(values: list[str]) -> list[list[str]]:
    """Each repetition of a parameter (all must match) as its comma-separated alternatives (any may match)."""
    return [value.split(",") for value in values]


def _prefixed(parameter: str, raw: str) -> tuple[str, str]:
    # A '+' in a query string reads as a space: a time zone offset sent unencoded arrives as " 01:00".
    raw = raw.strip().replace(" ", "+")
    prefix = raw[:2] if raw[:2] in PREFIXES else "eq"
    value = raw[2:] if raw[:2] in PREFIXES else raw
    if not value:
        raise SearchError(parameter, "Give a date such as 2027-03-28 or ge2027-03-28T09:00:00+01:00.")
    return prefix, value


def _date_span(parameter: str, value: str, zone: ZoneInfo | None) -> tuple[date | datetime, date | datetime]:
    """The half-open span a FHIR date value stands for: a year, a month, a day (local days in `zone`; plain dates
    when `zone` is None) or, with a time, that second."""
    match = DATE_VALUE.match(value)
    if not match:
        raise SearchError(parameter, f"{value!r} is not a date (YYYY, YYYY-MM, YYYY-MM-DD or a date-time).")
    parts = match.groupdict()
    year, month, day = int(parts["year"]), int(parts["month"] or 1), int(parts["day"] or 1)
    try:
        first = date(year, month, day)
    except ValueError:
        raise SearchError(parameter, f"{value!r} is not a date of the calendar.") from None
    if not within_bounds(first):
        raise SearchError(parameter, BOUNDS_MESSAGE)
    if parts["hour"] is not None:
        return _instant_span(parameter, parts, first, zone)
    if parts["day"] is not None:
        after = first + timedelta(days=1)
    elif parts["month"] is not None:
        after = date(year + month // 12, month % 12 + 1, 1)
    else:
        after = date(year + 1, 1, 1)
    if zone is None:
        return first, after
    return datetime.combine(first, time(), tzinfo=zone), datetime.combine(after, time(), tzinfo=zone)


def _instant_span(parameter: str, parts: dict, day: date, zone: ZoneInfo | None) -> tuple[datetime, datetime]:
    if zone is None:
        raise SearchError(parameter, "Give a date without a time.")
    if parts["offset"] is None:
        raise SearchError(parameter, "A time needs its offset, e.g. 2027-03-28T09:00:00+01:00 or ...Z.")
    text = f"{day.isoformat()}T{parts['hour']}:{parts['minute']}:{parts['second'] or '00'}{parts['offset']}"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SearchError(parameter, f"{text!r} is not a time of day.") from None
    return moment, moment + timedelta(seconds=1 if parts["second"] else 60)


def date_filter(field: str, parameter: str, values: list[str], zone: ZoneInfo | None) -> Q:
    """FHIR date search on a point in time (`field`): every repetition must hold, any comma-separated value of one
    may. `eq` (no prefix) means within the value's span, `ge` from its start, `lt` before it, `gt`/`sa` after its
    end, `le` before its end, `ne` outside it."""
    combined = Q()
    for alternatives in split_values(values):
        any_of = Q()
        for raw in alternatives:
            prefix, value = _prefixed(parameter, raw)
            low, high = _date_span(parameter, value, zone)
            within = Q(**{f"{field}__gte": low, f"{field}__lt": high})
            any_of |= {
                "eq": within,
                "ne": ~within,
                "gt": Q(**{f"{field}__gte": high}),
                "sa": Q(**{f"{field}__gte": high}),
                "ge": Q(**{f"{field}__gte": low}),
                "lt": Q(**{f"{field}__lt": low}),
                "eb": Q(**{f"{field}__lt": low}),
                "le": Q(**{f"{field}__lt": high}),
            }[prefix]
        combined &= any_of
    return combined


def reference_ids(parameter: str, values: list[str], resource_type: str) -> list[set[int]]:
    """The ids a reference parameter names (`123`, `Patient/123` or a full URL), per repetition."""
    found = []
    for alternatives in split_values(values):
        ids = set()
        for raw in alternatives:
            # `12`, `Patient/12` or a full URL ending in Patient/12: the last two segments tell.
            *_, named_type, pk = ["", *raw.strip().split("/")]
            wrong_type = bool(named_type) and named_type != resource_type
            if wrong_type or not (pk.isascii() and pk.isdigit()) or int(pk) > MAX_ID:
                example = f"12 or {resource_type}/12" if resource_type else "12"
                raise SearchError(parameter, f"Give an id, e.g. {example}.")
            ids.add(int(pk))
        found.append(ids)
    return found


def reference_filter(field: str, parameter: str, values: list[str], resource_type: str) -> Q:
    combined = Q()
    for ids in reference_ids(parameter, values, resource_type):
        combined &= Q(**{f"{field}__in": ids})
    return combined


def token_filter(field: str, parameter: str, values: list[str], codes: dict[str, list[str]]) -> Q:
    """A token parameter (e.g. an Appointment status): each FHIR code maps to the stored values it stands for."""
    combined = Q()
    for alternatives in split_values(values):
        stored = []
        for raw in alternatives:
            code = raw.strip().rpartition("|")[2]
            if code not in codes:
                raise SearchError(parameter, f"{code!r} is not one of {', '.join(sorted(codes))}.")
            stored += codes[code]
        combined &= Q(**{f"{field}__in": stored})
    return combined


def string_filter(fields: list[str], parameter: str, values: list[str], lookup: str = "istartswith") -> Q:
    """FHIR string search: each word of the value starts one of `fields` (or, with lookup="icontains", occurs in
    one), ignoring case."""
    combined = Q()
    for alternatives in split_values(values):
        any_of = Q()
        for raw in alternatives:
            words = raw.split()
            if not words:
                raise SearchError(parameter, "Give some text to search for.")
            all_words = Q()
            for word in words:
                one_field = Q()
                for field in fields:
                    one_field |= Q(**{f"{field}__{lookup}": word})
                all_words &= one_field
            any_of |= all_words
        combined &= any_of
    return combined


def count_and_offset(params) -> tuple[int, int]:
    """`_count` (at most MAX_COUNT: a larger one is served as MAX_COUNT, as FHIR lets a server do) and `_offset`."""
    count = _whole_number(params, "_count", DEFAULT_COUNT)
    offset = _whole_number(params, "_offset", 0)
    return min(count, MAX_COUNT), offset


def _whole_number(params, name: str, default: int) -> int:
    values = params.getlist(name)
    if not values:
        return default
    if len(values) > 1:
        raise SearchError(name, "Give it once.")
    value = values[0].strip()
    if not (value.isascii() and value.isdigit()) or int(value) > 1_000_000_000:
        raise SearchError(name, "Give a whole number from 0.")
    return int(value)
