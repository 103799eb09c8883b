"""``wait_until``: returns the condition's value as soon as it holds, fails clearly otherwise."""

from __future__ import annotations

import itertools
import time

import pytest

from jiapei.testing.waiting import ConditionTimeout, wait_until


def test_returns_the_first_truthy_value_without_waiting_longer():
    calls = itertools.count(1)
    began = time.monotonic()
    assert wait_until(lambda: next(calls) >= 3 and "ready", timeout=5, interval=0.01) == "ready"
    assert next(calls) == 4  # called exactly three times
    assert time.monotonic() - began < 1


def test_a_condition_that_never_holds_fails_naming_it_and_what_was_seen():
    def police_answers() -> dict[str, int]:
        return {}

    began = time.monotonic()
    with pytest.raises(ConditionTimeout) as caught:
        wait_until(police_answers, timeout=0.2, interval=0.05, describe=lambda: "outbox: 2 pending")
    assert time.monotonic() - began >= 0.2
    assert isinstance(caught.value, AssertionError)  # a test failure, not an error
    message = str(caught.value)
    assert "0.2 s for police_answers" in message
    assert "last value: {}" in message and "outbox: 2 pending" in message


def test_the_predicate_gets_a_last_chance_at_the_deadline():
    began = time.monotonic()
    assert wait_until(lambda: time.monotonic() - began >= 0.3, timeout=0.3, interval=10)
