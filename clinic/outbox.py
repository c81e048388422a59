"""The one outbox: rows written in a use case's transaction (reminders, waitlist offers, webhooks) and sent later by
workers, with the same claim, lease, back-off, give-up, last error and Retry for every kind.

A kind of message is an `Outbox` subclass: its model and status values, what makes a row due, how one row is sent
(over a transport opened once per batch), when to give up and what happens then. `outbox_dispatch` does the rest:

- claim: each row goes to exactly one worker (skip-locked on PostgreSQL, a conditional UPDATE elsewhere);
- lease: while a worker holds a batch, a thread of its own re-stamps the claims every third of the claim time, so
  no second worker takes a row whose first send may still be in flight; a worker killed mid-send stops renewing
  and its rows are claimed again once the claim time has passed without a renewal;
- finish: the outcome is written only if this worker still holds the row;
- failure: the row is pending again after a back-off (`retry_delay`), or ends `failed` with its last error when
  the next try would come too late (`give_up_reason`);
- retry: a failed row is made pending again from zero attempts (`outbox_retry`).
Every send carries a deterministic id (Message-ID, webhook-id) so a receiver can drop the rare re-send.
"""

import logging
import threading
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection, connections, models, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from clinic.celery import enqueue_on_commit
from clinic.exceptions import InvalidTransition

logger = logging.getLogger(__name__)


def outbox_claim(rows: QuerySet, *, claimable: Q, limit: int, mark: dict, pk: int | None = None) -> list:
    """Mark up to `limit` claimable `rows` (the outbox, in the order to send, with what the sender reads) with
    `mark` for this worker alone, and return them; `pk` claims that row only, if it is claimable.

    Guarantees: of several workers claiming at once, each row goes to exactly one. On PostgreSQL rows another worker
    is claiming right now are skipped, not waited for; elsewhere each UPDATE re-checks `claimable` itself, so of two
    workers racing for a row exactly one changes it.
    """
    model = rows.model
    candidates = rows.select_related(None).filter(claimable)
    if pk is not None:
        candidates = candidates.filter(pk=pk)
    with transaction.atomic(using=rows.db):
        if connections[rows.db].vendor == "postgresql":
            ids = list(candidates.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            model.objects.filter(pk__in=ids).update(**mark)
        else:
            ids = [
                candidate
                for candidate in candidates.values_list("pk", flat=True)[:limit]
                if model.objects.filter(claimable, pk=candidate).update(**mark)
            ]
    return list(rows.filter(pk__in=ids))


class SendFailed(Exception):
    """A send that did not go through; `fields` are stored on the row with the error (e.g. last_status_code)."""

    def __init__(self, message: str, **fields):
        super().__init__(message)
        self.fields = fields


class Outbox:
    """One kind of outgoing message. Subclasses set the model and say what differs; the sender does the rest."""

    model: type[models.Model]
    name = "outbox"
    field = "status"  # the row's delivery state
    PENDING, SENDING, DONE, FAILED = "pending", "sending", "sent", "failed"
    task = ""  # the Celery task that sends one row now: task(pk)

    def rows(self) -> QuerySet:
        """The rows in the order to send, with what `send` reads."""
        return self.model.objects.order_by("pk")

    def eligible(self) -> Q:
        """What any row must be to be claimed at all (pending or abandoned)."""
        return Q()

    def due(self, now: datetime) -> Q:
        """What makes a pending row due, besides its retry time."""
        return Q()

    def claim_seconds(self) -> float:
        """How long a claim lasts without renewal before another worker may take the row."""
        raise NotImplementedError

    def retry_delay(self, attempts: int) -> timedelta:
        raise NotImplementedError

    def give_up_reason(self, row, *, next_attempt_at: datetime) -> str | None:
        """Why no further try is worth making (the row ends failed), or None to try again at `next_attempt_at`."""
        return None

    def refusal(self, row) -> tuple[dict, str] | None:
        """(fields, reason) when this row must not go out now, e.g. a reminder of a cancelled appointment."""
        return None

    def transport(self) -> AbstractContextManager:
        """What a batch sends over (an SMTP connection, an HTTP client), opened once for the batch."""
        return nullcontext()

    def send(self, row, transport) -> dict:
        """Send one row; raise on failure. Returns fields to store with the success."""
        raise NotImplementedError

    def sent_fields(self, row) -> dict:
        return {"sent_at": timezone.now()}

    def failed_fields(self, row) -> dict:
        """Fields written besides the status when the sender gives up."""
        return {}

    def after(self, row, *, outcome: str, fields: dict, now: datetime) -> None:
        """Called inside the transaction that recorded `outcome` (DONE, FAILED or PENDING after a failure, or a
        refusal's status) with the `fields` written."""

    def claimable(self, now: datetime) -> Q:
        stale = now - timedelta(seconds=self.claim_seconds())
        retry_time = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        pending = Q(**{self.field: self.PENDING}) & self.due(now) & retry_time
        abandoned = Q(**{self.field: self.SENDING, "claimed_at__lte": stale})
        return self.eligible() & (pending | abandoned)


class OutboxRun(NamedTuple):
    claimed: int
    sent: int


class _Lease:
    """A batch's claims, renewed by a thread of this worker every third of the claim time while the batch is
    being sent. `finish` writes a row's outcome only while the claim is still this worker's."""

    def __init__(self, box: Outbox, rows: list, stamp: datetime):
        self.box = box
        self.ids = {row.pk for row in rows}
        self.stamp = stamp
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.interval = box.claim_seconds() / 3
        self.thread = threading.Thread(target=self._renew_until_done, name=f"{box.name}-lease", daemon=True)

    def __enter__(self) -> "_Lease":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join()

    def _renew_until_done(self) -> None:
        try:
            while not self.done.wait(self.interval):
                self.renew()
        except Exception:  # a database hiccup: the claims may expire, and the finish checks will tell
            logger.warning("%s: renewing the claims failed", self.box.name, exc_info=True)
        finally:
            connection.close()  # this thread's own connection, if it opened one

    def _mine(self, ids) -> QuerySet:
        return self.box.model.objects.filter(pk__in=ids, claimed_at=self.stamp, **{self.box.field: self.box.SENDING})

    def renew(self) -> None:
        with self.lock:
            if not self.ids:
                return
            at = timezone.now()
            self._mine(self.ids).update(claimed_at=at)
            self.stamp = at
            self.ids = set(self._mine(self.ids).values_list("pk", flat=True))

    def holds(self, row) -> bool:
        with self.lock:
            return row.pk in self.ids

    def finish(self, row, fields: dict, *, outcome: str, now: datetime) -> bool:
        """Write the outcome if the row is still this worker's; True when written."""
        with self.lock:
            if row.pk not in self.ids:
                return False
            self.ids.discard(row.pk)
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    # Without waiting for the WAL flush: one commit per message would otherwise bound throughput by
                    # the disk. Only a crash of PostgreSQL itself within a fraction of a second can forget a mark,
                    # and the row is then sent again with the same id.
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL synchronous_commit TO OFF")
                written = self._mine([row.pk]).update(updated_at=timezone.now(), **fields)
                if written:
                    self.box.after(row, outcome=outcome, fields=fields, now=now)
            return bool(written)


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


def outbox_send_claimed(box: Outbox, rows: list, *, now: datetime) -> int:
    """Send rows this worker claimed at `now` (outbox_claim_due) under a lease; returns how many were sent."""
    if not rows:
        return 0
    sent = 0
    with _Lease(box, rows, rows[0].claimed_at) as lease, box.transport() as transport:
        for row in rows:
            if timezone.now() - lease.stamp > timedelta(seconds=lease.interval):
                lease.renew()  # this worker stalled (or the renewals failed): is the row still its own?
            if not lease.holds(row):
                continue
            refusal = box.refusal(row)
            if refusal:
                fields, reason = refusal
                lease.finish(row, {**fields, "last_error": reason}, outcome=fields.get(box.field, ""), now=now)
                continue
            attempts = row.attempts + 1
            try:
                extra = box.send(row, transport)
            except Exception as exc:  # refusals, network errors, timeouts: all mean "try again later"
                extra = getattr(exc, "fields", {})
                next_attempt_at = now + box.retry_delay(attempts)  # from the claim: a caller may set the clock
                gave_up = box.give_up_reason(row, next_attempt_at=next_attempt_at)
                error = _error_text(exc)
                if gave_up:
                    fields = {box.field: box.FAILED, "next_attempt_at": None, **box.failed_fields(row)}
                    error = f"Gave up: {gave_up}. Last error: {error}"
                else:
                    fields = {box.field: box.PENDING, "next_attempt_at": next_attempt_at}
                fields.update(extra, attempts=attempts, last_error=error[:2000])
                lease.finish(row, fields, outcome=fields[box.field], now=now)
                logger.warning("%s %s attempt %s failed: %s", box.name, row.pk, attempts, exc)
                continue
            fields = {box.field: box.DONE, "attempts": F("attempts") + 1, **box.sent_fields(row), **(extra or {})}
            if lease.finish(row, fields, outcome=box.DONE, now=now):
                sent += 1
    logger.info("%s: %s claimed, %s sent", box.name, len(rows), sent)
    return sent


def outbox_due_count(box: Outbox, *, now: datetime | None = None) -> int:
    """How many rows a sweep could claim now (due, retry time reached, or abandoned while sending)."""
    return box.model.objects.filter(box.claimable(now or timezone.now())).count()


def outbox_dispatch(box: Outbox, *, now: datetime | None = None, limit: int = 100, pk: int | None = None) -> OutboxRun:
    """Claim up to `limit` due rows of `box` (or row `pk` only, if due and unclaimed) and send them.

    Guarantees: each claimed row ends DONE, refused (the box's own status and reason), PENDING again with a later
    `next_attempt_at` and its last error (back-off by `retry_delay`), or FAILED with its last error once
    `give_up_reason` says no further try is worth it; concurrent callers never claim the same row, and a row is
    never claimed by a second worker while the first still renews its lease.
    """
    now = now or timezone.now()
    rows = outbox_claim_due(box, now=now, limit=limit, pk=pk)
    return OutboxRun(len(rows), outbox_send_claimed(box, rows, now=now))


def outbox_claim_due(box: Outbox, *, now: datetime, limit: int, pk: int | None = None) -> list:
    """Claim up to `limit` rows of `box` due at `now` (or row `pk` only) for this worker: `sending`, stamped `now`."""
    return outbox_claim(
        box.rows(),
        claimable=box.claimable(now),
        limit=limit,
        mark={box.field: box.SENDING, "claimed_at": now, "updated_at": now},
        pk=pk,
    )


def outbox_retry(box: Outbox, row, *, by: Any = None, what: str = "message", fields: dict | None = None) -> Any:
    """Give a failed row a fresh round of attempts and ask a worker to send it now.

    Guarantees: only a FAILED row changes (anything else raises InvalidTransition and writes nothing, also when
    another request retried it a moment ago); it becomes PENDING with its attempts counted from zero, its last
    error kept until the next attempt, and `fields` written with it; after commit a worker is asked to send it
    (the sweep does if the broker is down). Who asked is logged.
    """
    with transaction.atomic():
        retried = box.model.objects.filter(pk=row.pk, **{box.field: box.FAILED}).update(
            **{box.field: box.PENDING},
            attempts=0,
            next_attempt_at=None,
            claimed_at=None,
            updated_at=timezone.now(),
            **(fields or {}),
        )
        row.refresh_from_db()
        if not retried:
            current = getattr(row, box.field)
            raise InvalidTransition(f"Only a failed {what} can be retried; this one is {current}.", current=current)
        if box.task:
            enqueue_on_commit(box.task, row.pk)
    logger.info("%s %s re-queued by %s", box.name, row.pk, by)
    return row
