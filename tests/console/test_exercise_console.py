"""The trainee's console in an exercise: a real server, real windows. It shows the exercise's state and
none of live's (and a live console none of the exercise's), and it is marked EXERCISE on every window:
title, banner, docks, a wall and its tiles. File > Join an exercise… opens one beside a live console;
`onemap console --namespace` refuses anything but live or exercise:NAME before Qt starts."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QDialogButtonBox, QLabel

from dispatch.client import DispatchClient
from support.console import open_window
from video.camera import Camera
from video.tile import TileState

ROOT = Path(__file__).resolve().parents[2]
NAME = "night-drill"
EXERCISE = f"exercise:{NAME}"
PURPLE = QColor("#7e22ce")


def _create(url: str, token: str, namespace: str, **incident) -> str:
    async def run() -> str:
        client = await DispatchClient.connect(url, token, namespace=namespace, subscribe=False)
        reply = await client.command("incident.create", **incident)
        await client.close()
        assert reply["op"] == "ack", reply
        return reply["incident_id"]
    return asyncio.run(run())


def _open_exercise(qtbot, url: str, token: str, screen_x: int = 0):
    from console.app import open_console

    window = open_console(url, token, language="en", namespace=EXERCISE)
    qtbot.addWidget(window)
    window.setGeometry(screen_x + 20, 40, 1600, 1000)
    qtbot.waitUntil(lambda: window.windowHandle().isExposed() and window.connected and window.city is not None
                    and window.user is not None, timeout=30_000)
    return window


def _purple_share(image: QImage, area: QRect) -> float:
    """The share of `area`'s pixels (monitor coordinates) that are the exercise's purple."""
    area = area.intersected(image.rect())
    purple = 0
    for y in range(area.top(), area.bottom() + 1, 2):
        for x in range(area.left(), area.right() + 1, 2):
            pixel = image.pixelColor(x, y)
            purple += (abs(pixel.red() - PURPLE.red()) < 12 and abs(pixel.green() - PURPLE.green()) < 12
                       and abs(pixel.blue() - PURPLE.blue()) < 12)
    return purple / max(1, ((area.width() + 1) // 2) * ((area.height() + 1) // 2))


def _on_monitor(widget, rect: QRect | None = None) -> QRect:
    """A widget's rectangle (or a rectangle in it) in its monitor's coordinates."""
    rect = rect or widget.rect()
    top_left = widget.mapToGlobal(rect.topLeft()) - widget.screen().geometry().topLeft()
    return QRect(top_left, rect.size())


def test_an_exercise_console_shows_only_its_exercise_and_is_marked_on_every_window(
        server, users, qtbot, qapp, screenshot):
    _, tokens = users
    drill_call = _create(server.url, tokens["tina"], EXERCISE, kind="fire", priority=1, lon=24.944, lat=60.170,
                         address="Exercise street 1")
    live_call = _create(server.url, tokens["sam"], "live", kind="theft", priority=4, lon=24.940, lat=60.168)

    live = open_window(qtbot, server.url, tokens["bob"])
    trainee = _open_exercise(qtbot, server.url, tokens["alice"])
    assert trainee.link.namespace == EXERCISE and live.link.namespace == "live"
    kinds = lambda window: {i: r["kind"] for i, r in window.live.state["incidents"].items()}  # noqa: E731
    # Incident ids count per namespace (both may be I1): what each console holds is told by its kind.
    qtbot.waitUntil(lambda: kinds(trainee) == {drill_call: "fire"}, timeout=10_000)
    qtbot.waitUntil(lambda: kinds(live) == {live_call: "theft"}, timeout=10_000)
    trainee.select_incident(drill_call)
    qtbot.waitUntil(lambda: trainee.queue.view.model().rowCount() == 1, timeout=5_000)

    # Titles, banner, docks: EXERCISE and the name; the live console exactly as it always is.
    assert trainee.windowTitle() == f"EXERCISE {NAME} — OneMap — alice (dispatcher)"
    assert trainee.banner.isVisible() and trainee.banner.text().startswith(f"EXERCISE · {NAME}")
    docks = trainee.docks()
    assert docks and all(d.windowTitle().startswith(f"EXERCISE {NAME} · ") for d in docks.values())
    assert docks["queue"].windowTitle() == f"EXERCISE {NAME} · Incident queue"
    assert live.windowTitle() == "OneMap — bob (dispatcher)"
    assert live.findChild(type(trainee.banner), "exercise-banner") is None
    assert not any("EXERCISE" in d.windowTitle() for d in live.docks().values())

    # A wall from the exercise console: its title, and a tile marked over (beside) whatever it shows.
    wall = trainee.open_wall()
    qtbot.waitUntil(lambda: wall.windowHandle() is not None and wall.windowHandle().isExposed(), timeout=10_000)
    assert wall.windowTitle() == f"EXERCISE {NAME} — OneMap — video wall"
    camera = Camera.from_dict(next(iter(trainee.live.state["cameras"].values())))
    wall.assign(0, Camera(camera.camera_id, camera.name, "http://127.0.0.1:9/no-such-stream", camera.lon, camera.lat))
    tile = wall.tiles[0]
    qtbot.waitUntil(lambda: tile.state == TileState.NO_SIGNAL, timeout=10_000)
    assert all(t.exercise_text() == f"EXERCISE · {NAME}" for t in wall.tiles)
    live_wall = live.open_wall()
    assert live_wall.windowTitle() == "OneMap — video wall"
    assert [t.exercise_text() for t in live_wall.tiles] == [""] * len(live_wall.tiles)
    live_wall.close()

    # The marking as a person sees it: on the map (the banner over it), the queue's dock, the wall's tile.
    live.showMinimized()
    trainee.raise_()
    trainee.activateWindow()
    qtbot.waitUntil(lambda: trainee.isActiveWindow() or not live.isVisible() or live.isMinimized(), timeout=5_000)
    screens = qapp.screens()
    console_shot = QImage(str(screenshot("exercise_console", screen=screens.index(trainee.screen()))))
    wall_shot = QImage(str(screenshot("exercise_wall", screen=screens.index(wall.screen()))))
    assert _purple_share(console_shot, _on_monitor(trainee.banner)) > 0.5
    queue = docks["queue"]
    title_bar = _on_monitor(queue, QRect(0, 0, queue.width(), queue.widget().geometry().top()))
    assert _purple_share(console_shot, title_bar) > 0.5  # the queue's title bar
    label = tile.findChild(type(trainee.banner), "tile-exercise")
    assert _purple_share(wall_shot, _on_monitor(label)) > 0.5
    assert _purple_share(wall_shot, _on_monitor(tile, QRect(0, 0, tile.width(), 3))) > 0.8  # the tile's frame


def test_join_an_exercise_opens_an_exercise_window_beside_the_live_one_and_leave_closes_it(server, users, qtbot):
    _, tokens = users
    drill_call = _create(server.url, tokens["tina"], EXERCISE, kind="fire", priority=1, lon=24.944, lat=60.170)
    live = open_window(qtbot, server.url, tokens["alice"])
    join = live.menuBar().findChild(type(live.menuBar().actions()[0]), "exercise-join")
    join.trigger()
    dialog = live.exercise_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    dialog.name.setText("no spaces allowed")
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.isVisible() and "1-64 letters" in dialog.problem.text() and live.exercises == []
    dialog.name.setText(NAME)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert not dialog.isVisible() and len(live.exercises) == 1
    trainee = live.exercises[0]
    qtbot.addWidget(trainee)
    qtbot.waitUntil(lambda: trainee.connected and drill_call in trainee.live.state["incidents"], timeout=30_000)
    assert (trainee.link.url, trainee.link.token, trainee.link.namespace) == (server.url, tokens["alice"], EXERCISE)
    assert trainee.windowTitle().startswith(f"EXERCISE {NAME} — ")
    assert live.link.namespace == "live" and not live.windowTitle().startswith("EXERCISE")  # still live
    assert "fire" not in {r["kind"] for r in live.live.state["incidents"].values()}

    leave = trainee.menuBar().findChild(type(join), "exercise-leave")
    leave.trigger()
    qtbot.waitUntil(lambda: not trainee.isVisible() and not trainee.link._thread.is_alive(), timeout=10_000)
    assert live.isVisible() and live.connected
    assert live.menuBar().findChild(type(join), "exercise-leave") is None  # a live console has nothing to leave


def test_the_console_command_refuses_a_namespace_that_is_neither_live_nor_an_exercise():
    env = {k: v for k, v in os.environ.items() if k != "ONEMAP_TOKEN"}
    for namespace in ("bogus", "exercise:", "exercise:two words"):
        result = subprocess.run([sys.executable, "-m", "console.cli", "console", "--namespace", namespace],
                                cwd=ROOT, capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip() == (f"onemap console: namespace {namespace!r}: give live or exercise:NAME "
                                         "(NAME: 1-64 letters, digits, '-', '_' or '.')")


def test_a_replayed_drill_is_marked_exercise_on_its_banner_titles_and_docks(server, users, qtbot, qapp,
                                                                                  screenshot):
    from console.replay import ServerReader
    from console.replay_window import ReplayWindow

    _, tokens = users
    _create(server.url, tokens["tina"], EXERCISE, kind="fire", priority=1, lon=24.944, lat=60.170)
    _create(server.url, tokens["sam"], "live", kind="theft", priority=4, lon=24.940, lat=60.168)
    replay = ReplayWindow(ServerReader(server.url, tokens["sam"], EXERCISE))
    qtbot.addWidget(replay)
    replay.setGeometry(20, 40, 1600, 1000)
    replay.show()
    qtbot.waitUntil(lambda: replay.info is not None and replay.city is not None
                    and "fire" in {r["kind"] for r in replay.live.state["incidents"].values()}, timeout=30_000)
    assert {r["kind"] for r in replay.live.state["incidents"].values()} == {"fire"}  # the drill's, not live's
    # One event so far: a span of one instant, whose overview still reads (it once asked for an empty span).
    qtbot.waitUntil(lambda: replay.overview.density is not None or replay.failure is not None, timeout=10_000)
    assert replay.failure is None
    unit = next(iter(replay.live.state["units"]))
    qtbot.waitUntil(lambda: replay.canvas.units_layer.row(unit) is not None and not replay.canvas.loading.isVisible(),
                    timeout=30_000)
    assert replay.banner.text().startswith("REPLAY · ")
    assert replay.exercise_banner.isVisible() and replay.exercise_banner.text().startswith(f"EXERCISE · {NAME}")
    assert replay.windowTitle().startswith(f"EXERCISE {NAME} · REPLAY ")
    assert all(d.windowTitle().startswith(f"EXERCISE {NAME} · REPLAY · ") for d in replay.docks().values())
    replay.canvas.render_now()  # every tile painted: the screenshot grabs the screen as it is
    shot = QImage(str(screenshot("exercise_replay", screen=qapp.screens().index(replay.screen()))))
    assert _purple_share(shot, _on_monitor(replay.exercise_banner)) > 0.5

    live_replay = ReplayWindow(ServerReader(server.url, tokens["sam"]))  # live's replay: never says EXERCISE
    qtbot.addWidget(live_replay)
    live_replay.show()
    qtbot.waitUntil(lambda: live_replay.info is not None, timeout=30_000)
    assert live_replay.findChild(QLabel, "exercise-banner") is None
    assert "EXERCISE" not in live_replay.windowTitle()
    assert not any("EXERCISE" in d.windowTitle() for d in live_replay.docks().values())

