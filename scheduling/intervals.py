"""Interval arithmetic on epoch seconds for the free-slot search (scheduling.availability): instants as seconds
computed by the database, merged open intervals of forbidden starts, and resources free at a start."""

from bisect import bisect_right

from django.db.models import FloatField, Func

Interval = tuple[float, float]


class EpochSeconds(Func):
    """An instant as seconds since 1970, computed by the database.

    Turning thousands of timestamps into datetime objects in Python would cost more than the whole search.
    """

    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::float8", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps UTC text; julianday() parses it. Rounded to the millisecond: whole seconds stay exact.
        template = "ROUND((julianday(%(expressions)s) - 2440587.5) * 86400.0, 3)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


# --- interval arithmetic on epoch seconds ---------------------------------------------------------------


class Forbidden:
    """Merged open intervals of forbidden start times; (a, b) leaves a and b themselves free (back to back)."""

    def __init__(self, intervals: list[Interval]):
        merged: list[list[float]] = []
        for lo, hi in sorted(intervals):
            if merged and lo < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        self.los = [lo for lo, _ in merged]
        self.his = [hi for _, hi in merged]

    def contains(self, point: float) -> bool:
        index = bisect_right(self.los, point) - 1
        return index >= 0 and self.los[index] < point < self.his[index]

    def subtract_from(self, lo: float, hi: float) -> list[Interval]:
        """The closed interval [lo, hi] minus these open intervals, as closed intervals."""
        pieces = []
        index = bisect_right(self.his, lo)  # the first interval that ends after lo
        while lo <= hi and index < len(self.los) and self.los[index] < hi:
            if self.los[index] >= lo:
                pieces.append((lo, self.los[index]))
            lo = max(lo, self.his[index])
            index += 1
        if lo <= hi:
            pieces.append((lo, hi))
        return pieces


class Resources:
    """Rooms or devices with their forbidden starts: answers "the lowest id free at s"."""

    def __init__(self, ids: list[int], busy: dict[int, list[Interval]]):
        self.forbidden = [(pk, Forbidden(busy.get(pk, []))) for pk in sorted(ids)]

    def free_at(self, start: float) -> int | None:
        return next((pk for pk, forbidden in self.forbidden if not forbidden.contains(start)), None)
