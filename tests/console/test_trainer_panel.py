"""The trainer's panel in a real window against a real server: the real runner (`onemap drill run`, started
by the panel's Start as a child process) fires the MSEL, a dispatcher assigns a unit, and the panel shows the
rows' states, the log's drill clock, the controls' effect, the trainees' feed and the scorecard. Fire now and
unplanned injects are checked as what the panel sends and what the server logged (the runner's answer to
them is another branch's)."""
from __future__ import annotations

import asyncio
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from dispatch.client import DispatchClient
from drills.clock import DrillClock, fired_rows
from drills.msel import scenario_time_text
from support.drill import namespace_events, write_msel
from support.server import ROOT

NAME_COLUMN, STATE_COLUMN = 0, 5


@pytest.fixture
def trainer_token_file(tmp_path, users):
    path = tmp_path / "tina.token"
    path.write_text(users[1]["tina"])
    path.chmod(0o600)
    return path



def row(number: int, at: str, event_type: str, command: str, args: dict, message: str = "") -> list:
    return [number, at, event_type, "Sim", "Dispatcher", message, "", "", "", command, json.dumps(args)]



def logged(db: Path, namespace: str, kind: str) -> list[dict]:
    return [e["data"] for e in namespace_events(db, namespace) if e["type"] == kind]


def command_as(url: str, token: str, namespace: str, cmd: str, **args) -> dict:
    async def send() -> dict:
        client = await DispatchClient.connect(url, token, namespace=namespace, subscribe=False, keep_state=False)
        try:
            return await client.command(cmd, **args)
        finally:
            await client.close()
    return asyncio.run(send())


def open_panel(qtbot, server, token_file: Path, name: str, msel: Path):
    from console.trainer import open_panel as open_trainer_panel

    panel = open_trainer_panel(str(msel), server.url, token_file.read_text().strip(), name,
                               token_file=str(token_file), language="en")
    qtbot.addWidget(panel)
    panel.setGeometry(20, 40, 1600, 1000)
    qtbot.waitUntil(lambda: panel.windowHandle().isExposed() and panel.scenario is not None, timeout=60_000)
    return panel


def state_of(panel, key) -> str:
    return panel.table.item(panel.row_keys.index(key), STATE_COLUMN).text()


def feed_lines(panel) -> list[str]:
    return [panel.feed.item(i).text() for i in range(panel.feed.count())]


def select(qtbot, panel, key) -> None:
    index = panel.row_keys.index(key)
    rect = panel.table.visualItemRect(panel.table.item(index, NAME_COLUMN))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.selected_key() == key


def test_the_panel_runs_a_drill_and_shows_its_rows_clock_feed_and_score_from_the_log(
        qtbot, server, users, trainer_token_file, tmp_path, screenshot):
    name, namespace = "panel-run", "exercise:panel-run"
    msel = write_msel(tmp_path / "msel.csv", [
        row(1, "+00:00:10", "Inject", "call", {"kind": "fire", "priority": 1, "address": "Mannerheimintie 5"},
            "Smoke from a shop"),
        row(2, "+00:00:10", "Expected Action", "expect", {"assign_kind": "fire", "to_inject": 1, "within_s": 300}),
        row(3, "+00:00:20", "Inject", "call", {"kind": "medical", "priority": 3, "address": "Aleksanterinkatu 52"}),
        row(4, "+00:00:20", "Expected Action", "expect", {"assign_kind": "ems", "to_inject": 3, "within_s": 30}),
        row(5, "+00:00:20", "Contingency Inject", "message", {"on_miss": 4}, "The caller asks where the ambulance is"),
        row(6, "+00:00:40", "Inject", "message", {}, "The caller says people are inside"),
        row(7, "+02:00:00", "Inject", "unit_out", {"unit_id": "U002"}),
    ])
    panel = open_panel(qtbot, server, trainer_token_file, name, msel)
    assert panel.windowTitle() == "EXERCISE panel-run — trainer"
    assert panel.findChild(type(panel.status), "exercise-banner").text() == "EXERCISE · panel-run · trainer's panel"
    assert [panel.table.item(i, NAME_COLUMN).text() for i in range(panel.table.rowCount())] == \
        ["1", "2", "3", "4", "5", "6", "7"]
    assert all(state_of(panel, n) == "pending" for n in (1, 3, 5, 6, 7))
    assert panel.table.item(panel.row_keys.index(2), 4).text() == "a unit of kind fire assigned to event 1 within 300 s"
    assert panel.clock_label.text() == "Drill not started"

    qtbot.mouseClick(panel.preset_buttons[1], Qt.MouseButton.LeftButton)  # 10x, before the start: the runner's
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: state_of(panel, 1).startswith("fired at"), timeout=60_000)
    assert logged(server.db, namespace, "drill.started") == [{"speed": 10.0}]
    assert "speed 10× · running" in panel.clock_label.text()
    assert "by plan" in state_of(panel, 1)
    incident = fired_rows(panel.events)[1]["incident_id"]
    qtbot.waitUntil(lambda: any(f"Incident {incident} created: fire, priority 1" in line for line in feed_lines(panel)),
                    timeout=10_000)

    # A trainee assigns a fire unit in time: met. Nobody sends an ambulance to row 3's call: missed, and the
    # contingency row 5 fires.
    assert command_as(server.url, users[1]["alice"], namespace, "unit.assign", unit_id="U001",
                      incident_id=incident)["op"] == "ack"
    qtbot.waitUntil(lambda: state_of(panel, 2).startswith("met at") and "(U001)" in state_of(panel, 2), timeout=10_000)
    assert feed_lines(panel)[0].endswith(f"alice assigned U001 to {incident}")
    qtbot.waitUntil(lambda: state_of(panel, 4).startswith("missed"), timeout=30_000)
    qtbot.waitUntil(lambda: state_of(panel, 5).startswith("fired at") and state_of(panel, 6).startswith("fired at"),
                    timeout=30_000)
    assert any("noted on" in line and "The caller says people are inside" in line for line in feed_lines(panel))
    assert state_of(panel, 7) == "pending"
    runner_lines = panel.runner_log.toPlainText().splitlines()  # the runner's own output, in the panel, line by line
    assert any(line.startswith("fired event 1 (call) at drill time") for line in runner_lines)
    assert "" not in runner_lines
    assert panel.pause_button.isEnabled() and not panel.resume_button.isEnabled()  # running: only pause
    screenshot("trainer-panel")

    # Pause: the log says so, and the drill time the panel shows is the log's (it stands still).
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "paused" in panel.clock_label.text(), timeout=10_000)
    assert panel.resume_button.isEnabled() and not panel.pause_button.isEnabled()
    assert len(logged(server.db, namespace, "drill.paused")) == 1
    log_clock = DrillClock(namespace_events(server.db, namespace))
    assert panel.clock_label.text() == f"Drill time {scenario_time_text(log_clock.drill_at(time.time()))} · speed 10× · paused"
    qtbot.mouseClick(panel.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "running" in panel.clock_label.text(), timeout=10_000)
    qtbot.mouseClick(panel.preset_buttons[2], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "speed 60× · running" in panel.clock_label.text(), timeout=10_000)
    panel.speed.setValue(25)
    qtbot.mouseClick(panel.speed_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "speed 25× · running" in panel.clock_label.text(), timeout=10_000)
    assert logged(server.db, namespace, "drill.resumed") == [{}]
    assert logged(server.db, namespace, "drill.speed_set") == [{"speed": 60.0}, {"speed": 25.0}]
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)  # nothing more happens while both score
    qtbot.waitUntil(lambda: "paused" in panel.clock_label.text(), timeout=10_000)

    # The panel's scorecard is `onemap drill score`'s, from the same events.
    panel.write_score(str(tmp_path / "panel-card"))
    qtbot.waitUntil(lambda: "Written to" in panel.score_label.text(), timeout=30_000)
    cli = subprocess.run([sys.executable, "-m", "console.cli", "drill", "score", "--db", str(server.db),
                          "--namespace", namespace, "--out", str(tmp_path / "cli-card"), "--msel", str(msel)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    for table in ("calls.csv", "targets.csv", "expected_actions.csv", "scorecard.html"):
        assert (tmp_path / "panel-card" / table).read_text() == (tmp_path / "cli-card" / table).read_text(), table
    with (tmp_path / "cli-card" / "targets.csv").open() as handle:
        target = next(csv.DictReader(handle))
    assert target["calls"] == "1" and target["achieved"] == "yes"
    assert "Alarm processing (NFPA 1225 2022): 100 % of 1 calls within 60 s, target 90 %: met" in panel.score_label.text()
    with (tmp_path / "cli-card" / "expected_actions.csv").open() as handle:
        assert [(r["event_number"], r["status"]) for r in csv.DictReader(handle)] == [("2", "met"), ("4", "missed")]
    panel.close()
    qtbot.waitUntil(lambda: panel.runner.state() == panel.runner.ProcessState.NotRunning, timeout=10_000)


def test_fire_now_and_an_unplanned_inject_are_sent_checked_and_logged(qtbot, server, users, trainer_token_file,
                                                                       tmp_path):
    name, namespace = "panel-asks", "exercise:panel-asks"
    msel = write_msel(tmp_path / "msel.csv", [
        row(1, "+00:10:00", "Inject", "call", {"kind": "fire", "priority": 2, "address": "Mannerheimintie 5"}),
        row(2, "+00:20:00", "Inject", "unit_out", {"unit_id": "U002"}),
    ])
    # Started before the panel opens: the panel reads it from the log and Start attaches, running no runner.
    assert command_as(server.url, users[1]["tina"], namespace, "drill.start", speed=2)["op"] == "ack"
    panel = open_panel(qtbot, server, trainer_token_file, name, msel)
    qtbot.waitUntil(lambda: "speed 2× · running" in panel.clock_label.text(), timeout=10_000)
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert "attached to exercise:panel-asks" in panel.runner_log.toPlainText()
    assert panel.runner.state() == panel.runner.ProcessState.NotRunning

    select(qtbot, panel, 1)
    qtbot.mouseClick(panel.fire_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: logged(server.db, namespace, "drill.fire_requested") == [{"event_number": 1}],
                    timeout=10_000)
    qtbot.waitUntil(lambda: state_of(panel, 1) == "fire now asked", timeout=10_000)
    assert state_of(panel, 2) == "pending"

    dialog = panel.open_inject_dialog()
    dialog.command.setCurrentText("unit_out")
    dialog.set_arg("unit_id", "U999")
    qtbot.mouseClick(dialog.send, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Args: the city has no unit 'U999'" in dialog.problems.text(), timeout=10_000)
    dialog.set_arg("unit_id", "U003")
    dialog.set_arg("for_s", "ten minutes")
    qtbot.mouseClick(dialog.send, Qt.MouseButton.LeftButton)
    assert dialog.problems.text() == "for_s: 'ten minutes' is not a number"
    dialog.set_arg("for_s", "600")
    dialog.message.setText("U003 reports a flat tyre")
    qtbot.mouseClick(dialog.send, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    assert logged(server.db, namespace, "drill.inject_requested") == [
        {"request_id": "U1", "command": "unit_out", "args": {"unit_id": "U003", "for_s": 600.0},
         "message": "U003 reports a flat tyre"}]
    qtbot.waitUntil(lambda: "U1" in panel.row_keys and state_of(panel, "U1") == "asked", timeout=10_000)
    index = panel.row_keys.index("U1")
    assert [panel.table.item(index, c).text() for c in range(5)] == \
        ["U1", "", "Unplanned inject", "unit_out", "U003 reports a flat tyre"]

    # A message inject without its message is refused here, as an MSEL row would be: nothing more is sent.
    dialog = panel.open_inject_dialog()
    dialog.command.setCurrentText("message")
    qtbot.mouseClick(dialog.send, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Message: a message inject needs the text the trainees get" in dialog.problems.text(),
                    timeout=10_000)
    assert len(logged(server.db, namespace, "drill.inject_requested")) == 1
    dialog.reject()
    panel.close()


def test_drill_panel_refuses_a_missing_msel_in_one_line(tmp_path, trainer_token_file):
    result = subprocess.run([sys.executable, "-m", "console.cli", "drill", "panel", str(tmp_path / "none.csv"),
                             "--name", "x", "--token-file", str(trainer_token_file)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == f"onemap drill: no MSEL at {tmp_path / 'none.csv'}"
