"""One bounded wait per request for the shared services that can hang: the throttle's cache and the broker.

A Redis that accepts connections and never answers would hold each call until its socket timeout (1.5 s, kept above
the 1 s a worker's poll waits); a booking counts its rate and publishes its tasks, so it waited twice. Here every
such call of a request draws on one budget, CLINIC_REQUEST_BUDGET_SECONDS (1 s) of waiting in all, and the time
each call took is taken off. A call that bounds itself (the cache: its socket timeout is the budget) runs in the
request's thread; any other (publishing) runs on a helper thread and the request waits at most what is left.
Once the budget is spent the remaining calls are refused at once (BudgetSpent); the caller goes on without them
(the throttle lets the request through, a task waits for its safety net) and a helper thread gives up by itself at
the socket timeout. Outside a request (workers, commands) calls run directly, with their own timeouts.
"""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextvars import ContextVar
from typing import TypeVar

from django.conf import settings

T = TypeVar("T")
_left: ContextVar[float | None] = ContextVar("clinic_request_budget_left", default=None)
# Threads that may sit in a hung socket until its timeout; more calls than threads wait in the queue, within budget.
_helpers = ThreadPoolExecutor(max_workers=16, thread_name_prefix="clinic-budget")


class BudgetSpent(Exception):
    """The request's budget for shared services is spent: go on without this call."""


def within_budget(call: Callable[[], T], *, bounded: bool = False) -> T:
    """`call()`, waiting at most what is left of this request's budget. Guarantees: inside a request the total wait
    of all such calls is at most CLINIC_REQUEST_BUDGET_SECONDS (plus thread hand-overs); BudgetSpent when it is
    spent (the call may still finish on its thread); the call's own exceptions propagate. `bounded`: the call gives
    up within the budget by itself and runs here. Outside a request, `call()` as it is."""
    left = _left.get()
    if left is None:
        return call()
    if left <= 0:
        raise BudgetSpent
    began = time.monotonic()
    try:
        if bounded:
            return call()
        return _helpers.submit(call).result(timeout=left)
    except FutureTimeout:
        raise BudgetSpent from None
    finally:
        _left.set(left - (time.monotonic() - began))  # spent: later calls of this request are refused at once


class RequestBudgetMiddleware:
    """Gives each request its budget and ends it with the answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _left.set(settings.CLINIC_REQUEST_BUDGET_SECONDS)
        try:
            return self.get_response(request)
        finally:
            _left.reset(token)
