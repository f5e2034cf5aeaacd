"""The statistics a server writes by itself (自动统计, issue #15): when a day, an ISO week or a month of the
centre's zone has ended, its figures against the period before go into a folder of their own
(`day-2026-12-03`, `week-2026-W49`, `month-2026-11`), as `onemap stats` writes them. The daily roll-ups
(reports/rollups.py) are kept in the folder's `rollups.db`, so each report computes only the days it has
not seen.

A report is due while its folder does not exist: the first check after the period's end writes it, and a
server that was down at the end writes it when it starts. Each report is written by a child process
(`onemap stats`), one at a time at a lower CPU priority, so the server's loop never waits on it. Servers of
one PostgreSQL log given the same folder may both start one: the second finds the folder taken and stops
(docs/statistics.md). A report that fails is logged and not tried again until the server restarts.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Callable

from reports.stats import PREVIOUS, Period, resolve_period

SCHEDULED_PERIODS = ("day", "week", "month")
CHECK_EVERY_S = 30.0
STATS_NICENESS = 10

log = logging.getLogger("onemap.reports")


def reports_due(folder: Path, now: float, zone: tzinfo) -> list[tuple[Period, Path]]:
    """The periods ended by `now` whose report is not in `folder` yet: the last complete day, week and month."""
    due = []
    for kind in SCHEDULED_PERIODS:
        period = resolve_period(kind, PREVIOUS, zone, now)
        target = folder / f"{kind}-{period.label}"
        if not target.exists():
            due.append((period, target))
    return due


ROLLUPS_FILE = "rollups.db"


def stats_command(store: str, namespace: str, period: Period, zone: tzinfo, target: Path) -> list[str]:
    """`onemap stats` for one period of the log the server runs on (`--db`'s path or `--store`'s URL), its
    roll-ups kept beside the reports."""
    source = ["--store", store] if "://" in store else ["--db", store]
    first_day = datetime.fromtimestamp(period.start, zone).date().isoformat()
    return [sys.executable, "-m", "console.cli", "stats", *source, "--namespace", namespace, "--period", period.kind,
            "--at", first_day, "--out", str(target), "--tz", zone.key, "--rollups", str(target.parent / ROLLUPS_FILE)]


async def write_reports(store: str, namespace: str, folder: Path, zone: tzinfo, stop: asyncio.Event, *,
                        clock: Callable[[], float] = time.time, check_every_s: float = CHECK_EVERY_S) -> None:
    """Until `stop`: every `check_every_s`, each report due (`reports_due` at `clock()`) written in turn."""
    folder.mkdir(parents=True, exist_ok=True)
    failed: set[Path] = set()
    while not stop.is_set():
        for period, target in reports_due(folder, clock(), zone):
            if target in failed or stop.is_set():
                continue
            command = stats_command(store, namespace, period, zone, target)
            child = await asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
                preexec_fn=lambda: os.nice(STATS_NICENESS))
            try:
                _, errors = await child.communicate()
            except asyncio.CancelledError:
                child.kill()  # the server is stopping: the report is written again at its next start
                raise
            if child.returncode == 0:
                log.info("the %s report %s written to %s", period.kind, period.label, target)
            else:
                failed.add(target)
                log.error("the %s report %s was not written: %s", period.kind, period.label,
                          errors.decode(errors="replace").strip().splitlines()[-1:] or "no reason given")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), check_every_s)
