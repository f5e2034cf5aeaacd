"""Waiting on something outside the test (a process, a socket, a log): a poll with a deadline, not a sleep."""
from __future__ import annotations

import time


def wait_until(condition, timeout: float, what: str, interval: float = 0.02):
    """`condition()`'s first true value within `timeout` seconds; else an AssertionError naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not within {timeout} s: {what}")
