"""The Statistics window on a generated log file and on a real server: its tables and charts hold the figures
`onemap stats` writes for the same period, Export… writes the same files, bad input is said in the window."""
from __future__ import annotations

import asyncio
import csv
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QDate

from dispatch.client import DispatchClient
from support.stats_log import generate_stats_log

ROOT = Path(__file__).resolve().parents[2]
ZONE = "Europe/Helsinki"
TABLES = ("periods", "incidents", "response_times", "cameras", "cases", "ratings")


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stats") / "events.db"
    return generate_stats_log(path, "2026-11-20T00:00:00Z", 54, incidents=1_500, cases=600, camera_reports=1_500)


@pytest.fixture(autouse=True)
def helsinki(monkeypatch):
    monkeypatch.setenv("TZ", ZONE)  # the window's periods are the machine's: this test's machine is in Helsinki


def cli_stats(out: Path, *args: str) -> Path:
    done = subprocess.run([sys.executable, "-m", "console.cli", "stats", *args, "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "TZ": ZONE})
    assert done.returncode == 0, done.stderr
    return out


def read_table(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def shown_table(window, name: str) -> list[list[str]]:
    view = window.table_views[name]
    header = [view.horizontalHeaderItem(c).text() for c in range(view.columnCount())]
    return [header] + [[view.item(r, c).text() for c in range(view.columnCount())] for r in range(view.rowCount())]


def compute(qtbot, window, kind: str, day: QDate):
    window.period.setCurrentIndex(window.period.findData(kind))
    window.date.setDate(day)
    with qtbot.waitSignal(window.computed, timeout=120_000) as computed:
        window.compute_button.click()
    assert not window.busy and window.export_button.isEnabled()
    return computed.args[0]


def bar_heights(window, chart_id: str) -> list[list[float]]:
    import pyqtgraph as pg

    items = [i for i in window.plots[chart_id].getPlotItem().items if isinstance(i, pg.BarGraphItem)]
    return [list(i.opts["height"]) for i in items]


def test_a_month_of_a_log_file_in_the_window_equals_onemap_stats_and_exports_the_same_files(
        qtbot, qapp, log, tmp_path, screenshot):
    from console.stats_window import open_statistics

    now = datetime(2027, 1, 5, 10, 0, tzinfo=ZoneInfo(ZONE)).timestamp()
    window = open_statistics(None, log, clock=lambda: now)
    qtbot.addWidget(window)
    assert window.date.date() == QDate(2026, 12, 1)  # the last complete month by the console's clock
    compute(qtbot, window, "month", QDate(2026, 12, 15))
    expected = cli_stats(tmp_path / "cli", "--db", str(log), "--period", "month", "--at", "2026-12-15")
    for name in TABLES:
        assert shown_table(window, name) == read_table(expected / f"{name}.csv"), name
    incidents = read_table(expected / "incidents.csv")
    kinds = [row for row in incidents[1:] if row[0] == "kind"]
    assert bar_heights(window, "incidents-kind") == [[float(r[2]) for r in kinds], [float(r[3]) for r in kinds]]
    assert len(window.plots) == 9
    from PySide6.QtWidgets import QLabel

    count = next(r[2] for r in incidents if r[0] == "all")
    assert f">{count}</b>" in window.findChild(QLabel, "card-0").text()
    window.tabs.setCurrentIndex(0)
    window.raise_()
    window.repaint()  # drawn now, not at the event loop's next turn: the screenshot reads the screen
    qtbot.waitUntil(lambda: all(plot.isVisible() for plot in window.plots.values()))
    screenshot("statistics_window")

    with qtbot.waitSignal(window.exported, timeout=60_000) as exported:
        window.export(tmp_path / "window")
    assert [Path(f).name for f in exported.args[0]] == [f"{n}.csv" for n in TABLES] + ["stats.xlsx", "report.html"]
    for name in TABLES:
        assert (tmp_path / "window" / f"{name}.csv").read_bytes() == (expected / f"{name}.csv").read_bytes()
    assert "Statistics written to" in window.statusBar().currentMessage()

    # a year boundary: January against December
    compute(qtbot, window, "month", QDate(2027, 1, 10))
    assert [row[2] for row in shown_table(window, "periods")[1:]] == ["2027-01", "2026-12"]


def test_the_window_in_chinese(qtbot, qapp, log, screenshot):
    """What a shift leader at a Chinese centre sees: the window, its cards and charts in Chinese."""
    from console import i18n
    from console.stats_window import open_statistics

    i18n.install(qapp, "zh_CN")
    now = datetime(2027, 1, 5, 10, 0, tzinfo=ZoneInfo(ZONE)).timestamp()
    window = open_statistics(None, log, clock=lambda: now)
    qtbot.addWidget(window)
    compute(qtbot, window, "month", QDate(2026, 12, 15))
    assert window.tabs.tabText(0) == "图表"
    assert window.plots["incidents-kind"].getPlotItem().titleLabel.text == "警情（按类型）"
    window.tabs.setCurrentIndex(0)
    window.raise_()
    window.repaint()
    qtbot.waitUntil(lambda: all(plot.isVisible() for plot in window.plots.values()))
    screenshot("statistics_window_zh")


def test_work_that_goes_on_shows_its_progress_and_the_dialog_goes_when_it_is_done(qtbot, log):
    from console.stats_window import StatisticsWindow

    window = StatisticsWindow(log)
    qtbot.addWidget(window)
    window.show()
    window.progress_after_ms = 0  # a month of this log takes less than the second a person waits for
    window.period.setCurrentIndex(window.period.findData("year"))
    window.compute_button.click()
    qtbot.waitUntil(lambda: window.progress is not None and window.progress.isVisible(), timeout=10_000)
    assert not window.compute_button.isEnabled() and "2026" in window.progress.labelText()
    qtbot.waitUntil(lambda: not window.busy, timeout=60_000)
    assert window.progress is None and window.stats.current.period.label == "2026"


def test_a_period_of_a_namespace_with_no_events_is_said_in_the_window(qtbot, log):
    from console.stats_window import StatisticsWindow

    window = StatisticsWindow(log, namespace="exercise:none")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.compute_button.isEnabled())
    window.compute_button.click()
    qtbot.waitUntil(lambda: "were not computed" in window.span.text(), timeout=30_000)
    assert "namespace 'exercise:none' has no events" in window.span.text()
    assert not window.export_button.isEnabled() and window.compute_button.isEnabled()


async def _a_little_work(url: str, token: str) -> None:
    client = await DispatchClient.connect(url, token, subscribe=False)
    do = client.command
    units = sorted(client.state["units"])
    cameras = sorted(client.state["cameras"])
    for k in range(4):
        incident = (await do("incident.create", kind="theft", priority=1 + k % 2, lon=24.944 + k * 0.001,
                             lat=60.171))["incident_id"]
        await do("unit.assign", unit_id=units[k], incident_id=incident)
        await do("unit.status", unit_id=units[k], status="onscene")
    await do("camera.status", camera_id=cameras[0], online=True)
    await do("camera.status", camera_id=cameras[1], online=False)
    case = (await do("case.report", category="MANHOLE", lon=24.9442, lat=60.1719, text="cover missing", photos=[],
                     source="hotline"))["case_id"]
    await do("case.register", case_id=case)
    await client.close()


def test_a_day_of_a_real_server_read_through_its_history_requests(qtbot, server, users, tmp_path):
    """Opened as a shift leader does: File > Statistics… in the live console, on its server."""
    from PySide6.QtGui import QAction

    from console.link import ServerLink
    from console.window import MainWindow

    asyncio.run(_a_little_work(server.url, users[1]["sam"]))
    console = MainWindow(ServerLink(server.url, users[1]["sam"]))
    qtbot.addWidget(console)
    console.show()
    qtbot.waitUntil(lambda: console.connected and console.user is not None, timeout=30_000)
    console.findChild(QAction, "statistics").trigger()
    [window] = console.statistics_windows
    today = datetime.now(ZoneInfo(ZONE)).date()
    compute(qtbot, window, "day", QDate(today.year, today.month, today.day))
    expected = cli_stats(tmp_path / "cli", "--db", str(server.db), "--period", "day", "--at", today.isoformat())
    for name in TABLES:
        assert shown_table(window, name) == read_table(expected / f"{name}.csv"), name
    assert [r[2] for r in shown_table(window, "incidents") if r[0] == "all"] == ["4"]
    assert [r[2] for r in shown_table(window, "cases") if r[0] == "all"] == ["1"]
