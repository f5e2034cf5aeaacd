"""An exercise's after-action report says EXERCISE and the exercise's name: the page (banner and title, as
headless Chromium renders it) and every CSV row; a live report of the same log says nothing of the kind."""
from __future__ import annotations

import asyncio
import csv
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from dispatch.client import DispatchClient

ROOT = Path(__file__).resolve().parents[2]
EXERCISE = "exercise:report-drill"


async def _calls(url: str, tokens: dict) -> None:
    """One incident in the exercise (a trainer's) with a unit assigned, one in live (a supervisor's)."""
    trainer = await DispatchClient.connect(url, tokens["tina"], namespace=EXERCISE, subscribe=False)
    live = await DispatchClient.connect(url, tokens["sam"], subscribe=False)
    drill = await trainer.command("incident.create", kind="fire", priority=1, lon=24.944, lat=60.170)
    assert drill["op"] == "ack", drill
    unit = sorted(trainer.state["units"])[0]
    assert (await trainer.command("unit.assign", unit_id=unit, incident_id=drill["incident_id"]))["op"] == "ack"
    assert (await live.command("incident.create", kind="theft", priority=4, lon=24.940, lat=60.168))["op"] == "ack"
    await trainer.close()
    await live.close()


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, timezone.utc).isoformat(timespec="milliseconds")


def _report(db: Path, namespace: str, start: float, end: float, out: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "console.cli", "report", "--db", str(db), "--namespace", namespace,
                           "--from", _iso(start), "--to", _iso(end), "--out", str(out), "--tz", "UTC"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _page_text(page_file: Path) -> tuple[str, str]:
    from support.chromium import ChromiumPage

    with ChromiumPage(width=1200, height=800) as page:
        page.open(page_file)
        assert page.evaluate("document.body.dataset.ready") == "yes"
        return page.evaluate("document.title"), page.evaluate("document.body.innerText")


def test_an_exercise_report_says_exercise_on_its_page_and_in_every_csv_row_and_a_live_one_does_not(
        server, users, tmp_path):
    started = time.time() - 1
    asyncio.run(_calls(server.url, users[1]))
    ended = time.time() + 1

    drill_out, live_out = tmp_path / "drill", tmp_path / "live"
    _report(server.db, EXERCISE, started, ended, drill_out)
    _report(server.db, "live", started, ended, live_out)

    title, text = _page_text(drill_out / "report.html")
    assert title.startswith("EXERCISE report-drill · After-action report exercise:report-drill")
    assert text.startswith("EXERCISE · report-drill · not live operations\n")  # before anything else on the page
    live_title, live_text = _page_text(live_out / "report.html")
    assert live_title.startswith("After-action report live") and "EXERCISE" not in live_text

    for name in ("incidents.csv", "unit_status.csv", "summary.csv"):
        with open(drill_out / name, newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        assert rows and {row["namespace"] for row in rows} == {EXERCISE}, name
        with open(live_out / name, newline="", encoding="utf-8") as file:
            assert "namespace" not in next(csv.reader(file)), name  # a live report's tables as they always were
    with open(drill_out / "incidents.csv", newline="", encoding="utf-8") as file:
        assert [row["kind"] for row in csv.DictReader(file)] == ["fire"]  # the exercise's incident, not live's
