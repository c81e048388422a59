"""One budget per request for waits on services that can hang (clinic.budget)."""

import time

import pytest

from clinic import budget
from clinic.budget import BudgetSpent, within_budget


@pytest.fixture
def one_second():
    token = budget._left.set(1.0)
    yield
    budget._left.reset(token)


def hang() -> str:
    time.sleep(3)
    return "late"


def test_two_hung_calls_cost_a_request_one_budget_in_all(one_second):
    began = time.monotonic()
    for _ in range(2):
        with pytest.raises(BudgetSpent):
            within_budget(hang)
    assert time.monotonic() - began < 1.3


def test_answers_and_errors_pass_through_and_their_time_is_taken_off(one_second):
    assert within_budget(lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        within_budget(lambda: 1 / 0)
    within_budget(lambda: time.sleep(0.6), bounded=True)  # runs here, its time debited
    with pytest.raises(BudgetSpent):
        within_budget(hang)
    assert budget._left.get() <= 0
    with pytest.raises(BudgetSpent):
        within_budget(lambda: 42)


def test_outside_a_request_calls_run_as_they_are():
    assert budget._left.get() is None
    assert within_budget(lambda: "direct") == "direct"
