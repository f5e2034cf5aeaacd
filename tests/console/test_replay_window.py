"""A replay of a real server's log shows any instant: units where they were, the incidents open then, the
queue's ages on the replay clock; it plays in proportion to real time and sends nothing."""
from __future__ import annotations

import asyncio
import sqlite3
import time

import numpy as np
import pytest

from dispatch.client import DispatchClient
from dispatch.history import epoch
from support.replay import server_replay_window

UNIT = "U001"
SPOTS = ((24.9300, 60.1650), (24.9450, 60.1700), (24.9600, 60.1750))


async def _shift(url: str, tokens: dict) -> dict:
    """A short stretch of a shift: the unit at three spots, an incident opened and closed, one left open."""
    events: list[dict] = []
    feed = await DispatchClient.connect(url, tokens["fred"])
    desk = await DispatchClient.connect(url, tokens["sam"], on_event=events.append)

    async def sent(client, cmd, **args) -> dict:
        reply = await client.command(cmd, **args)
        assert reply["op"] == "ack", reply
        await desk.wait_for_seq(reply["seq"])
        return reply

    await sent(feed, "unit.position", unit_id=UNIT, lon=SPOTS[0][0], lat=SPOTS[0][1])
    first = await sent(desk, "incident.create", kind="theft", priority=4, lon=24.94, lat=60.17)
    await sent(desk, "incident.close", incident_id=first["incident_id"], disposition="REPORT")
    second = await sent(desk, "incident.create", kind="fire", priority=1, lon=24.95, lat=60.168)
    for lon, lat in SPOTS[1:]:
        await sent(feed, "unit.position", unit_id=UNIT, lon=lon, lat=lat)
    await feed.close()
    await desk.close()
    return {"closed": first["incident_id"], "open": second["incident_id"], "events": events}


def _copy(db_path, target) -> None:
    """A copy of the running server's log, as a shift leader takes one."""
    with sqlite3.connect(db_path) as source, sqlite3.connect(target) as copy:
        source.backup(copy)


@pytest.fixture
def shift_log(server, users, tmp_path):
    _, tokens = users
    shift = asyncio.run(_shift(server.url, tokens))
    copy = tmp_path / "copy.db"
    _copy(server.db, copy)
    return copy, shift


def _open(qtbot, path, end_after_s: float = 0.0):
    from console.replay import LogReader
    from console.replay_window import ReplayWindow
    from dispatch.history import History
    from dispatch.store import EventStore

    bounds = History(EventStore(path)).bounds()
    window = ReplayWindow(LogReader(path), None, bounds.last_ts + end_after_s)
    qtbot.addWidget(window)
    window.setGeometry(20, 40, 1600, 1000)
    window.show()
    qtbot.waitUntil(lambda: window.info is not None and window.city is not None
                    and window.canvas.units_layer.row(UNIT) is not None, timeout=30_000)
    return window


def _unit_on_map(window) -> tuple[float, float]:
    layer = window.canvas.units_layer
    row = layer.row(UNIT)
    return float(layer.lon[row]), float(layer.lat[row])


def _trail(window) -> list[tuple[float, float]]:
    from layers import crs as crs_lib

    layer = window.canvas.units_layer
    xs, ys = layer.trails(np.array([layer.row(UNIT)]))
    kept = ~np.isnan(xs[0])
    lon, lat = crs_lib.mercator_to_wgs84(xs[0][kept], ys[0][kept])
    return list(zip(lon.tolist(), lat.tolist()))


def test_a_seek_shows_units_where_they_were_and_only_the_incidents_open_then(qtbot, shift_log, screenshot):
    path, shift = shift_log
    window = _open(qtbot, path)
    second_created = next(epoch(e["ts"]) for e in shift["events"]
                          if e["type"] == "incident.created" and e["data"]["incident_id"] == shift["open"])
    moved = [e for e in shift["events"] if e["type"] == "unit.moved" and e["data"]["unit_id"] == UNIT]

    window.clock.seek(second_created)
    qtbot.waitUntil(lambda: window.live.seq >= next(e["seq"] for e in shift["events"]
                                                    if e["type"] == "incident.created"
                                                    and e["data"]["incident_id"] == shift["open"]), timeout=5000)
    assert _unit_on_map(window) == pytest.approx(SPOTS[0], abs=1e-9)  # before its second report
    layer = window.canvas.incidents_layer
    assert not layer.drawn()[layer.row(shift["closed"])]  # closed before the instant: not drawn
    assert layer.drawn()[layer.row(shift["open"])]
    qtbot.waitUntil(lambda: window.queue.model.rows == [shift["open"]], timeout=3000)  # lists follow within 150 ms

    window.clock.seek(epoch(moved[1]["ts"]))
    qtbot.waitUntil(lambda: _unit_on_map(window) == pytest.approx(SPOTS[1], abs=1e-9), timeout=5000)
    window.clock.seek(epoch(moved[2]["ts"]))
    qtbot.waitUntil(lambda: _unit_on_map(window) == pytest.approx(SPOTS[2], abs=1e-9), timeout=5000)
    qtbot.waitUntil(lambda: np.allclose(_trail(window), SPOTS, atol=1e-7) if len(_trail(window)) == 3 else False,
                    timeout=5000)  # its positions of the minutes before
    window.clock.seek(epoch(moved[0]["ts"]))  # back: a keyframe and a fold, not a rewind of the layer
    qtbot.waitUntil(lambda: _unit_on_map(window) == pytest.approx(SPOTS[0], abs=1e-9), timeout=5000)
    assert window.canvas.incidents_layer.row(shift["open"]) is None  # not yet created at that instant
    screenshot("replay-window-seek")


def test_the_queue_ages_follow_the_replay_clock_not_the_wall_clock(qtbot, shift_log):
    path, shift = shift_log
    window = _open(qtbot, path, end_after_s=3600)
    created = next(epoch(e["ts"]) for e in shift["events"]
                   if e["type"] == "incident.created" and e["data"]["incident_id"] == shift["open"])
    window.clock.seek(created + 125)
    qtbot.waitUntil(lambda: window.queue.model.rows == [shift["open"]], timeout=5000)
    model = window.queue.model
    column = model.COLUMNS.index("to_dispatch")
    qtbot.waitUntil(lambda: model.data(model.index(0, column)) == "2:05", timeout=3000)
    window.clock.seek(created + 1800)
    # Overdue on the replay clock (3 minutes to dispatch): marked in the queue and on the map.
    qtbot.waitUntil(lambda: model.data(model.index(0, column)) == "⚠ 30:00", timeout=3000)
    qtbot.waitUntil(lambda: window.overdue_shown == {shift["open"]}, timeout=3000)
    # A seek is another instant, not news: what is overdue there is marked, not announced.
    assert not [m for m in window.messages_shown if "overdue" in m]
    window.clock.seek(created + 170)
    qtbot.waitUntil(lambda: window.overdue_shown == set(), timeout=3000)
    window.clock.set_speed(10)
    window.clock.play()  # playing through the threshold: that is news, as it was on the shift
    qtbot.waitUntil(lambda: any(m == f"{shift['open']} is overdue" for m in window.messages_shown), timeout=5000)
    window.clock.pause()


def test_playing_at_60x_for_2_s_moves_the_replay_clock_120_s(qtbot, shift_log):
    path, _ = shift_log
    window = _open(qtbot, path, end_after_s=3600)
    clock = window.clock
    clock.seek(clock.start)
    clock.set_speed(60)
    before, real = clock.now(), time.monotonic()
    clock.play()
    # Real time is what is measured: at least 2 s of it (a coarse Qt timer may fire 5 % early).
    qtbot.waitUntil(lambda: time.monotonic() - real >= 2.0, timeout=5000)
    clock.pause()
    elapsed_real = time.monotonic() - real
    assert (clock.now() - before) / elapsed_real == pytest.approx(60, rel=0.05)
    assert 114 <= clock.now() - before <= 126 + 60 * (elapsed_real - 2.0)


def test_a_replay_sends_nothing_and_says_replay_with_the_replayed_time(qtbot, shift_log):
    path, shift = shift_log
    window = _open(qtbot, path)
    window.clock.seek(window.clock.start)
    assert window.windowTitle().startswith("REPLAY ")
    assert "REPLAY" in window.banner.text()
    assert window.command_bar.isHidden()
    titles = [menu.title().replace("&", "") for menu in window.menuBar().findChildren(type(window.menuBar().addMenu("x")))]
    assert "Incident" not in titles and "Unit" not in titles and "Video" not in titles
    window.assign(UNIT, shift["open"])
    assert window.messages_shown[-1].endswith("This is a replay: nothing is sent")
    assert window.details.close_button.isHidden()


def test_a_followed_unit_stays_centred_as_the_replay_moves_it(qtbot, shift_log):
    path, shift = shift_log
    window = _open(qtbot, path)
    moved = [e for e in shift["events"] if e["type"] == "unit.moved" and e["data"]["unit_id"] == UNIT]
    window.clock.seek(epoch(moved[0]["ts"]))
    qtbot.waitUntil(lambda: _unit_on_map(window) == pytest.approx(SPOTS[0], abs=1e-9), timeout=5000)
    window.follow(UNIT)
    assert window.follow_label.text().startswith("Following F-01: ")

    def centred_on(spot) -> bool:
        from layers import crs as crs_lib

        x, y = (float(v) for v in crs_lib.wgs84_to_mercator(*spot))
        x0, y0, x1, y1 = window.canvas.view_box()
        return abs((x0 + x1) / 2 - x) < 2 and abs((y0 + y1) / 2 - y) < 2

    assert centred_on(SPOTS[0])
    window.clock.seek(epoch(moved[2]["ts"]))
    qtbot.waitUntil(lambda: centred_on(SPOTS[2]), timeout=5000)
    window.follow(None)
    assert window.follow_label.text() == ""


def test_a_shift_leader_replays_from_the_server_bookmarks_an_instant_and_follows_a_unit(qtbot, server, users,
                                                                                       screenshot):
    _, tokens = users
    shift = asyncio.run(_shift(server.url, tokens))
    window = server_replay_window(qtbot, server.url, tokens["sam"])
    qtbot.waitUntil(lambda: window.info is not None and window.city is not None
                    and window.canvas.units_layer.row(UNIT) is not None, timeout=30_000)
    qtbot.waitUntil(lambda: window.overview.density is not None, timeout=10_000)
    assert [m[1:] for m in window.overview.marks] == [("created", shift["closed"]), ("closed", shift["closed"]),
                                                      ("created", shift["open"])]
    moved = [e for e in shift["events"] if e["type"] == "unit.moved" and e["data"]["unit_id"] == UNIT]
    at = epoch(moved[1]["ts"])
    window.clock.seek(at)
    window.replay.add_bookmark(at, "second report of F-01")
    qtbot.waitUntil(lambda: [b["note"] for b in window.overview.bookmarks] == ["second report of F-01"],
                    timeout=10_000)
    assert epoch(window.overview.bookmarks[0]["at"]) == pytest.approx(at, abs=1e-3)
    assert at in window.clock.marks  # the clock steps to it like to any event
    window.follow(UNIT)
    qtbot.waitUntil(lambda: _unit_on_map(window) == pytest.approx(SPOTS[1], abs=1e-9), timeout=5000)
    window.select_incident(shift["open"])
    qtbot.wait(300)  # the timeline and lists repaint (what the screenshot shows, not what is asserted)
    screenshot("replay-window-server-bookmark-follow")


def test_a_viewer_cannot_replay_and_is_told_why(qtbot, server, users):
    _, tokens = users
    window = server_replay_window(qtbot, server.url, tokens["vic"])
    qtbot.waitUntil(lambda: window.failure is not None, timeout=10_000)
    assert "forbidden" in window.failure and "forbidden" in window.banner.text()
    assert window.info is None


def test_export_writes_the_after_action_report_of_the_replay_without_waiting(qtbot, shift_log, tmp_path):
    import csv

    path, shift = shift_log
    window = _open(qtbot, path, end_after_s=60)
    with qtbot.waitSignal(window.exported, timeout=30_000) as written:
        window.export(tmp_path / "report")
        assert window.export_progress.isVisible()  # the window goes on; the report is written beside it
    names = sorted(p.rsplit("/", 1)[-1] for p in written.args[0])
    assert names == ["incidents.csv", "report.html", "summary.csv", "unit_status.csv"]
    with open(tmp_path / "report" / "incidents.csv", newline="") as rows:
        ids = [row["incident_id"] for row in csv.DictReader(rows)]
    assert ids == [shift["closed"], shift["open"]]
    assert window.messages_shown[-1].endswith(f"After-action report written to {tmp_path / 'report'}")


def test_a_server_replay_exports_the_same_report_as_the_servers_own_log(qtbot, server, users, tmp_path):
    from reports.export import write_report

    _, tokens = users
    shift = asyncio.run(_shift(server.url, tokens))
    window = server_replay_window(qtbot, server.url, tokens["sam"])
    qtbot.waitUntil(lambda: window.info is not None, timeout=30_000)
    start, end = window.info.start, window.info.end + 1
    window.selection = (start, end)
    with qtbot.waitSignal(window.exported, timeout=30_000):
        window.export(tmp_path / "over-the-wire")
    write_report(server.db, "live", start, end, tmp_path / "from-the-file")
    for name in ("incidents.csv", "unit_status.csv", "summary.csv"):
        wire = (tmp_path / "over-the-wire" / name).read_text()
        assert wire == (tmp_path / "from-the-file" / name).read_text(), name
    assert shift["closed"] in (tmp_path / "over-the-wire" / "incidents.csv").read_text()


def test_the_map_goes_to_the_other_monitor_and_follows_the_same_clock(qtbot, shift_log):
    path, shift = shift_log
    window = _open(qtbot, path)
    moved = [e for e in shift["events"] if e["type"] == "unit.moved" and e["data"]["unit_id"] == UNIT]
    window.detach_map(True)
    qtbot.waitUntil(lambda: window.map_window.windowHandle() is not None and window.map_window.windowHandle().isExposed(),
                    timeout=5000)
    assert window.map_window.screen() is not window.screen()  # beside the queue and timeline, on monitor 2
    assert window.map_window.windowTitle().startswith("REPLAY ")
    for spot, event in zip(SPOTS, moved):
        window.clock.seek(epoch(event["ts"]))
        qtbot.waitUntil(lambda: _unit_on_map(window) == pytest.approx(spot, abs=1e-9), timeout=5000)
        assert window.map_window.windowTitle() == f"REPLAY {replayed(window)} — OneMap map"
    window.detach_map(False)
    assert window.canvas.window() is window and window.map_window is None  # back in the replay window


def replayed(window) -> str:
    from reports.times import local_label

    return local_label(window.clock.now(), window.zone)


def test_a_burst_of_notices_leaves_the_three_newest_callouts_and_a_bounded_message_list(qtbot, shift_log):
    from PySide6.QtWidgets import QLabel

    from console.window import MAX_CALLOUTS, MAX_MESSAGES

    path, _ = shift_log
    window = _open(qtbot, path)
    for k in range(MAX_MESSAGES + 5):
        window.notify(f"notice {k}", ("units", UNIT))
    qtbot.waitUntil(lambda: len(window.canvas.view.findChildren(QLabel, "callout")) == MAX_CALLOUTS, timeout=5000)
    assert sorted(c.text() for c in window.canvas.view.findChildren(QLabel, "callout")) == [
        f"notice {k}" for k in range(MAX_MESSAGES + 5 - MAX_CALLOUTS, MAX_MESSAGES + 5)]
    assert window.messages.count() == MAX_MESSAGES
    assert window.messages.item(0).text().endswith(f"notice {MAX_MESSAGES + 4}")
