"""`onemap wall` (video.wall_app.main): a standalone full-screen wall on the second monitor."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
from pattern import shows_test_pattern
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from video import wall_app
from video.tile import TileState
from video.wall import LAYOUTS, Wall

DEADLINE_S = 20


def test_wall_app_fills_the_second_monitor(serve, screenshot, qapp):
    server = serve("http", ("gate", "yard", "dock"))
    seen: dict = {}
    started = time.monotonic()

    def check() -> None:
        walls = [w for w in QApplication.topLevelWidgets() if isinstance(w, Wall) and w.isVisible()]
        ready = bool(walls) and all(
            t.state == TileState.LIVE and shows_test_pattern(t.backend.displayed_image())
            for t in walls[0].tiles[:3])
        if ready or time.monotonic() - started > DEADLINE_S:
            if walls:
                wall = walls[0]
                seen.update(ready=ready, geometry=wall.geometry(), screen=wall.screen().name(),
                            fullscreen=wall.isFullScreen(), layout=wall.layout_name,
                            names=[t.camera and t.camera.name for t in wall.tiles],
                            empty_state=wall.tiles[3].state,
                            shot=screenshot("wall_app_second_monitor", screen=1))
                wall.close()
            else:
                qapp.quit()
            return
        QTimer.singleShot(100, check)

    QTimer.singleShot(0, check)
    code = wall_app.main(["--layout", "2x2", "--screen", "1", "--fullscreen", *server.urls])

    assert code == 0
    assert seen["ready"], "every source should play on the wall within the deadline"
    assert seen["screen"] == qapp.screens()[1].name() == "RIGHT"
    assert seen["geometry"] == qapp.screens()[1].geometry()
    assert seen["fullscreen"] and seen["layout"] == "2x2"
    assert seen["names"] == ["gate", "yard", "dock", None]
    assert seen["empty_state"] == TileState.EMPTY


@pytest.mark.parametrize("argv, message", [
    (["--layout", "1", "a.ts", "b.ts"], "layout 1 has 1 tiles"),
    (["--screen", "7", "a.ts"], "--screen 7"),
    (["--layout", "5x5", "a.ts"], "invalid choice"),
    ([], "SOURCE"),
])
def test_wall_app_rejects_bad_arguments(argv, message, qapp, capsys):
    with pytest.raises(SystemExit) as exit_info:
        wall_app.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_wall_help_prints_only_the_usage_and_every_option_is_explained():
    # A process of its own: in this one, Qt and the video back-ends are loaded already.
    done = subprocess.run([sys.executable, "-m", "console.cli", "wall", "--help"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0
    assert done.stderr == ""  # no libvlc / Qt Multimedia start-up warnings
    assert done.stdout.startswith("usage: onemap wall")
    for action in wall_app.build_parser()._actions:
        assert action.help, f"{action.dest} has no help text"


def test_the_layout_choices_are_the_walls_layouts():
    assert wall_app.LAYOUT_NAMES == tuple(LAYOUTS)
