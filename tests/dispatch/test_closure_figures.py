"""结案率 and 按期结案率 over a period (dispatch.grid_cases.closure_figures), against cases written by hand."""
from __future__ import annotations

import pytest

from dispatch.grid_cases import closure_figures
from dispatch.history import epoch

START, END = epoch("2026-11-01T00:00:00.000Z"), epoch("2026-12-01T00:00:00.000Z")


def case(due: str | None, closed_at: str | None = None, on_time: bool | None = None) -> dict:
    return {"due": due, "closed_at": closed_at, "on_time": on_time}


@pytest.mark.parametrize("cases, due, closed, on_time", [
    ([], 0, 0, 0),
    # never registered: no limit, not due
    ([case(None)], 0, 0, 0),
    # due in the period, still open
    ([case("2026-11-10T00:00:00.000Z")], 1, 0, 0),
    # due in it, closed in time
    ([case("2026-11-10T00:00:00.000Z", "2026-11-09T10:00:00.000Z", True)], 1, 1, 1),
    # due in it, closed late but inside the period
    ([case("2026-11-10T00:00:00.000Z", "2026-11-12T10:00:00.000Z", False)], 1, 1, 0),
    # due in it, closed only after the period: due, not closed
    ([case("2026-11-30T00:00:00.000Z", "2026-12-02T10:00:00.000Z", False)], 1, 0, 0),
    # closed in the period ahead of a limit in the next: due (提前结案) and closed on time
    ([case("2026-12-05T00:00:00.000Z", "2026-11-28T10:00:00.000Z", True)], 1, 1, 1),
    # due after the period and still open: not due
    ([case("2026-12-05T00:00:00.000Z")], 0, 0, 0),
    # due before the period (the previous period's): not due in this one, even if closed in it
    ([case("2026-10-20T00:00:00.000Z", "2026-11-03T00:00:00.000Z", False)], 0, 0, 0),
    # the period is half-open: due exactly at its end belongs to the next
    ([case("2026-12-01T00:00:00.000Z")], 0, 0, 0),
])
def test_what_is_due_closed_and_on_time(cases, due, closed, on_time):
    figures = closure_figures(cases, START, END)
    assert (figures.due, figures.closed, figures.closed_on_time) == (due, closed, on_time)


def test_the_rates_and_a_period_with_nothing_due():
    cases = [case("2026-11-10T00:00:00.000Z", "2026-11-09T00:00:00.000Z", True),
             case("2026-11-11T00:00:00.000Z", "2026-11-20T00:00:00.000Z", False),
             case("2026-11-12T00:00:00.000Z"), case("2026-11-13T00:00:00.000Z")]
    figures = closure_figures(cases, START, END)
    assert (figures.closure_rate, figures.on_time_rate) == (0.5, 0.25)
    empty = closure_figures([], START, END)
    assert (empty.closure_rate, empty.on_time_rate) == (None, None)
