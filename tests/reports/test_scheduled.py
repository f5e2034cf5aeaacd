"""The statistics the server writes by itself (reports/scheduled.py): a day's, week's and month's report is
due once the period has ended in the centre's zone, is written into its own folder by `onemap stats`, the
same files the command writes, and is not written twice; `onemap server --reports-dir` does it."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dispatch.client import DispatchClient
from reports.scheduled import SCHEDULED_PERIODS, reports_due, write_reports
from support.server import ServerProcess, make_users
from support.wait import wait_until

ROOT = Path(__file__).resolve().parents[2]
HELSINKI = ZoneInfo("Europe/Helsinki")  # the demo city's zone
FILES = ("periods.csv", "incidents.csv", "response_times.csv", "cameras.csv", "cases.csv", "ratings.csv")


def local(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=HELSINKI).timestamp()


def test_a_period_is_due_once_it_has_ended_in_the_centres_zone_and_until_its_folder_exists(tmp_path):
    before = reports_due(tmp_path, local("2026-12-06T23:59:59"), HELSINKI)  # a Sunday night
    assert [target.name for _, target in before] == ["day-2026-12-05", "week-2026-W48", "month-2026-11"]
    after = reports_due(tmp_path, local("2026-12-07T00:00:01"), HELSINKI)  # Monday: the week ended too
    assert [target.name for _, target in after] == ["day-2026-12-06", "week-2026-W49", "month-2026-11"]
    (tmp_path / "day-2026-12-06").mkdir()
    assert [t.name for _, t in reports_due(tmp_path, local("2026-12-07T00:00:01"), HELSINKI)] == [
        "week-2026-W49", "month-2026-11"]
    first_of_month = reports_due(tmp_path, local("2027-01-01T00:00:01"), HELSINKI)
    assert [t.name for _, t in first_of_month] == ["day-2026-12-31", "week-2026-W52", "month-2026-12"]
    assert SCHEDULED_PERIODS == ("day", "week", "month")


def _log_of_today(folder: Path, incidents: int) -> Path:
    """A log (folder/events.db, users in folder/users.json) holding `incidents` made now through a server."""
    users_file = folder / "users.json"
    tokens = make_users(users_file)
    server = ServerProcess(folder / "events.db", users_file)
    server.start()

    async def run() -> None:
        client = await DispatchClient.connect(server.url, tokens["alice"], subscribe=False)
        for _ in range(incidents):
            assert (await client.command("incident.create", kind="theft", priority=3, lon=24.94,
                                         lat=60.17))["op"] == "ack"
        await client.close()
    try:
        asyncio.run(run())
    finally:
        server.kill()
    return folder / "events.db"


def _cli_stats(db: Path, day: str, out: Path) -> Path:
    done = subprocess.run([sys.executable, "-m", "console.cli", "stats", "--db", str(db), "--period", "day", "--at",
                           day, "--out", str(out), "--tz", "Europe/Helsinki"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


def test_the_days_report_is_written_when_the_day_ends_on_the_servers_clock(tmp_path):
    _log_of_today(tmp_path, 3)
    today = datetime.now(HELSINKI).date()
    folder = tmp_path / "reports"
    now = [local(f"{today}T23:59:50")]  # the test's clock: the day has not ended yet

    async def run() -> None:
        stop = asyncio.Event()
        writing = asyncio.ensure_future(write_reports(str(tmp_path / "events.db"), "live", folder, HELSINKI, stop,
                                                      clock=lambda: now[0], check_every_s=0.05))
        deadline = time.monotonic() + 120
        # before midnight: the reports of the periods ended before (yesterday's, last week's, last month's)
        while len(list(folder.glob("*-*"))) < len(SCHEDULED_PERIODS) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not (folder / f"day-{today}").exists(), "a day's report before the day ended"
        now[0] = local(f"{today + timedelta(days=1)}T00:00:05")
        while not (folder / f"day-{today}").exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        stop.set()
        await writing

    asyncio.run(run())
    written = folder / f"day-{today}"
    assert written.is_dir(), sorted(p.name for p in folder.iterdir())
    expected = _cli_stats(tmp_path / "events.db", today.isoformat(), tmp_path / "by-hand")
    for name in FILES:
        assert (written / name).read_text() == (expected / name).read_text(), name
    assert "3" in (written / "incidents.csv").read_text()


def test_onemap_server_writes_the_reports_of_the_periods_ended_before_it_started(tmp_path):
    """A server restarted with --reports-dir on a log of today's work writes yesterday's (a quiet day) too."""
    log = _log_of_today(tmp_path, 1)
    folder = tmp_path / "reports"
    server = ServerProcess(log, tmp_path / "users.json", extra_args=("--reports-dir", str(folder)))
    server.start()
    try:
        yesterday = datetime.now(HELSINKI).date() - timedelta(days=1)
        wait_until(lambda: (folder / f"day-{yesterday}" / "report.html").exists(), 120, "yesterday's report")
        assert server.proc.poll() is None, "the server stopped"
    finally:
        server.kill()


def test_a_reports_dir_that_cannot_be_made_is_said_in_one_line_and_nothing_is_served(tmp_path):
    taken = tmp_path / "a-file"
    taken.write_text("not a folder")
    done = subprocess.run([sys.executable, "-m", "console.cli", "server", "--city", "demo", "--db",
                           str(tmp_path / "events.db"), "--users", str(tmp_path / "users.json"), "--port", "0",
                           "--reports-dir", str(taken)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"onemap server: --reports-dir {taken}: File exists"]
    assert not (tmp_path / "events.db").exists()
