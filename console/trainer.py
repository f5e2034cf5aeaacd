"""The trainer's panel: one drill's MSEL rows and their state, its clock, its controls, what the trainees do,
and its scorecard, for the trainer role (issue #12, points 5 and 6).

Everything shown is read from the exercise namespace's log as the link delivers it (console/link.py, from
the namespace's first event): rows' states from drill.inject_fired / drill.fire_requested /
drill.inject_requested and drills.score's judging, drill time from drills.clock.DrillClock, the scorecard
from drills.score. The panel's own clock only says when "now" is. Loading the MSEL and the city, checking an
inject and writing a scorecard run on worker threads: the GUI thread never waits on the network or the disk.
"""
from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox,
                               QFileDialog, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QListWidget, QMainWindow, QPlainTextEdit, QPushButton, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from console.link import ServerLink
from console.words import word
from dispatch.commands import INJECT_COMMANDS
from dispatch.domain import EXERCISE_PREFIX
from dispatch.history import epoch
from drills.clock import CLOCK_EVENT_TYPES, FIRED_EVENT_TYPE, DrillClock, fired_rows
from drills.msel import COMMAND_ARGS, EXPECT_COMMAND, HEADINGS, MselError, scenario_time_text
from reports.figures import FIGURE_EVENT_TYPES
from video.tile import EXERCISE_COLOR

FIRE_REQUESTED, INJECT_REQUESTED = "drill.fire_requested", "drill.inject_requested"
FEED_EVENT_TYPES = ("incident.created", "unit.assigned", "unit.status_changed", "incident.noted",
                    "incident.closed", "camera.status_changed")
# The events the panel keeps (what the clock, the rows, the feed and the score read); positions are not kept.
KEPT_EVENT_TYPES = frozenset({*CLOCK_EVENT_TYPES, FIRED_EVENT_TYPE, FIRE_REQUESTED, INJECT_REQUESTED,
                              *FIGURE_EVENT_TYPES, *FEED_EVENT_TYPES})
SPEED_PRESETS = (1.0, 10.0, 60.0)
FEED_LIMIT = 1000
TICK_MS = 250
STATE_COLOURS = {"fired": "#e5e7eb", "asked": "#ede9fe", "met": "#dcfce7", "late": "#fef3c7", "missed": "#fee2e2"}
# What an inject's Args fields can be typed as (a pair of street names goes in the JSON box).
FIELD_KINDS = ("text", "integer", "number")


class InjectChecker:
    """drills.msel's checks for one unplanned inject: it is written as a one-row MSEL and read back with the
    city's geocoder and ids, so an inject is refused exactly as a row of a file would be. Qt-free (it
    belongs in drills/ once that room is free to edit)."""

    def __init__(self, city):
        from layers.geocode import Geocoder

        self.geocode = Geocoder(city.streets, city.places, city.areas).resolve
        self.grid_ids = set(city.grids["grid_id"])
        self.unit_ids = set(city.units["unit_id"])
        self.camera_ids = set(city.cameras["camera_id"])

    def problems(self, command: str, args: dict, message: str) -> list[str]:
        """Each problem as "column: what is wrong"; empty when the inject holds."""
        from drills.msel import read_msel

        row = {"Event Number": "1", "Scenario Time": "+00:00:00", "Event Type": "Inject", "From": "Trainer",
               "To": "", "Message": message, "Command": command, "Args": json.dumps(args, ensure_ascii=False)}
        with tempfile.TemporaryDirectory(prefix="onemap-inject-") as folder:
            path = Path(folder) / "inject.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(HEADINGS)
                writer.writerow([row.get(h, "") for h in HEADINGS])
            try:
                read_msel(path, self.geocode, grid_ids=self.grid_ids, unit_ids=self.unit_ids,
                          camera_ids=self.camera_ids)
            except MselError as error:  # "K (Args)": the heading is what the dialog's fields are named by
                return [f"{p.column.partition(' (')[2].rstrip(')')}: {p.message}" if p.column else p.message
                        for p in error.problems]
        return []


class Background(QObject):
    """Runs a function on a worker thread and hands its result (or its exception) to the GUI thread."""

    finished = Signal(object, object, object)  # (callback, result, exception)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.finished.connect(lambda done, result, error: done(result, error))

    def run(self, work: Callable[[], object], done: Callable[[object, BaseException | None], None]) -> None:
        def worker() -> None:
            try:
                result, error = work(), None
            except Exception as exc:  # handed to the GUI, which says it in words
                result, error = None, exc
            self.finished.emit(done, result, error)

        threading.Thread(target=worker, name="trainer-panel-work", daemon=True).start()


def _drill_text(seconds: float | None) -> str:
    return "" if seconds is None else scenario_time_text(max(0.0, seconds))


class InjectDialog(QDialog):
    """An unplanned inject: a command, its usual args as fields (or any as JSON), the trainees' message."""

    submitted = Signal(str, object, str)  # command, args, message

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add inject"))
        self.command = QComboBox()
        self.command.addItems(INJECT_COMMANDS)
        self.fields: dict[str, tuple[str, QLineEdit]] = {}
        self.form = QFormLayout()
        self.more = QLineEdit()
        self.more.setPlaceholderText('{"intersection": ["A street", "B street"]}')
        self.message = QLineEdit()
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #b3261e")
        buttons = QDialogButtonBox()
        self.send = buttons.addButton(self.tr("Send inject"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.send.clicked.connect(self._submit)
        buttons.rejected.connect(self.reject)
        top = QFormLayout()
        top.addRow(self.tr("Command"), self.command)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(self.form)
        extra = QFormLayout()
        extra.addRow(self.tr("More args (JSON)"), self.more)
        extra.addRow(self.tr("Message"), self.message)
        layout.addLayout(extra)
        layout.addWidget(self.problems)
        layout.addWidget(buttons)
        self.command.currentTextChanged.connect(self._show_fields)
        self._show_fields(self.command.currentText())

    def _show_fields(self, command: str) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        for name, (kind, required) in COMMAND_ARGS[command].items():
            if kind not in FIELD_KINDS:
                continue
            edit = QLineEdit()
            edit.setObjectName(f"arg-{name}")
            self.fields[name] = (kind, edit)
            self.form.addRow(f"{name} *" if required else name, edit)

    def set_arg(self, name: str, text: str) -> None:
        self.fields[name][1].setText(text)

    def args(self) -> tuple[dict, list[str]]:
        """The args the fields and the JSON box say, and what could not be read as typed."""
        args, problems = {}, []
        for name, (kind, edit) in self.fields.items():
            text = edit.text().strip()
            if not text:
                continue
            try:
                args[name] = int(text) if kind == "integer" else float(text) if kind == "number" else text
            except ValueError:
                problems.append(self.tr("{0}: {1} is not a number").format(name, repr(text)))
        more = self.more.text().strip()
        if more:
            try:
                extra = json.loads(more)
            except json.JSONDecodeError as error:
                problems.append(self.tr("More args: not JSON ({0})").format(error.msg))
            else:
                if isinstance(extra, dict):
                    args.update(extra)
                else:
                    problems.append(self.tr("More args: must be a JSON object ({...})"))
        return args, problems

    def _submit(self) -> None:
        args, problems = self.args()
        if problems:
            self.show_problems(problems)
            return
        self.problems.setText(self.tr("Checking…"))
        self.send.setEnabled(False)
        self.submitted.emit(self.command.currentText(), args, self.message.text().strip())

    def show_problems(self, problems: list[str]) -> None:
        self.send.setEnabled(True)
        self.problems.setText("\n".join(problems))


class TrainerPanel(QMainWindow):
    """The trainer's window on `exercise:NAME`, following its log through `link` (from the first event)."""

    def __init__(self, link: ServerLink, name: str, msel_path: str, *, token_file: str | None = None,
                 token: str = "", city: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.link, self.name, self.msel_path = link, name, msel_path
        self.namespace = EXERCISE_PREFIX + name
        self.token_file, self.token, self.city_name = token_file, token, city
        self.events: list[dict] = []  # the namespace's events of KEPT_EVENT_TYPES, in seq order
        self.last_ts: str | None = None  # the last event's time, of any type: what a scorecard is as of
        self.clock = DrillClock(())
        self.scenario = None  # drills.runner.Scenario once loaded
        self.checker: InjectChecker | None = None
        self.welcome: dict | None = None
        self.row_keys: list[int | str] = []  # table row -> Event Number, or an unplanned inject's request id
        self.requests: dict[str, dict] = {}  # request id -> drill.inject_requested data
        self.last_card = None
        self._sent: dict[str, str] = {}  # command id -> command
        self.background = Background(self)
        self.runner = QProcess(self)
        self.runner.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self.runner.readyReadStandardOutput.connect(self._runner_output)
        self.runner.finished.connect(self._runner_finished)
        self.dialog: InjectDialog | None = None
        self._runner_text = ""  # the runner's output after its last whole line

        self.setWindowTitle(self.tr("EXERCISE {0} — trainer").format(name))
        banner = QLabel(self.tr("EXERCISE · {0} · trainer's panel").format(name))
        banner.setObjectName("exercise-banner")
        banner.setStyleSheet(f"background: {EXERCISE_COLOR}; color: white; font-weight: 700; "
                             "padding: 6px 12px; letter-spacing: 2px;")
        self.clock_label = QLabel()
        self.clock_label.setStyleSheet("font-size: 20px; font-weight: 600; padding: 4px;")
        self.status = QLabel()
        self.status.setWordWrap(True)

        self.start_button = QPushButton(self.tr("Start"))
        self.pause_button = QPushButton(self.tr("Pause"))
        self.resume_button = QPushButton(self.tr("Resume"))
        self.speed = QDoubleSpinBox()
        self.speed.setRange(0.1, 1000.0)
        self.speed.setDecimals(1)
        self.speed.setValue(1.0)
        self.speed.setSuffix("×")
        self.speed_button = QPushButton(self.tr("Set speed"))
        self.preset_buttons = [QPushButton(f"{preset:g}×") for preset in SPEED_PRESETS]
        self.fire_button = QPushButton(self.tr("Fire now"))
        self.inject_button = QPushButton(self.tr("Add inject…"))
        self.score_button = QPushButton(self.tr("Score…"))
        controls = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.resume_button):
            controls.addWidget(button)
        controls.addSpacing(16)
        controls.addWidget(QLabel(self.tr("Speed")))
        for button in self.preset_buttons:
            controls.addWidget(button)
        controls.addWidget(self.speed)
        controls.addWidget(self.speed_button)
        controls.addSpacing(16)
        for button in (self.fire_button, self.inject_button, self.score_button):
            controls.addWidget(button)
        controls.addStretch(1)

        columns = [self.tr("Event Number"), self.tr("Scenario Time"), self.tr("Event Type"), self.tr("Command"),
                   self.tr("Message/To"), self.tr("State")]
        self.table = QTableWidget(0, len(columns))
        self.table.setHorizontalHeaderLabels(columns)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.feed = QListWidget()
        self.runner_log = QPlainTextEdit()
        self.runner_log.setReadOnly(True)
        self.runner_log.setMaximumBlockCount(2000)
        self.score_label = QLabel(self.tr("Not scored yet"))
        self.score_label.setWordWrap(True)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(QLabel(self.tr("What the trainees do (newest first)")))
        right_layout.addWidget(self.feed, 3)
        right_layout.addWidget(QLabel(self.tr("Score")))
        right_layout.addWidget(self.score_label)
        right_layout.addWidget(QLabel(self.tr("Runner output")))
        right_layout.addWidget(self.runner_log, 1)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(banner)
        layout.addWidget(self.clock_label)
        layout.addLayout(controls)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        self.setCentralWidget(central)
        self.setStyleSheet(f"QMainWindow {{ border: 4px solid {EXERCISE_COLOR}; }}")

        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(lambda: self._send("drill.pause", {}))
        self.resume_button.clicked.connect(lambda: self._send("drill.resume", {}))
        self.speed_button.clicked.connect(lambda: self.set_speed(self.speed.value()))
        for preset, button in zip(SPEED_PRESETS, self.preset_buttons):
            button.clicked.connect(lambda _=False, value=preset: self.set_speed(value))
        self.fire_button.clicked.connect(self.fire_selected)
        self.inject_button.clicked.connect(self.open_inject_dialog)
        self.score_button.clicked.connect(self._pick_score_folder)
        link.stateChanged.connect(self._link_state)
        link.welcomed.connect(self._welcomed)
        link.eventsReceived.connect(self._events)
        link.replied.connect(self._replied)
        self.ticker = QTimer(self)
        self.ticker.timeout.connect(self.refresh)
        self.ticker.start(TICK_MS)
        self.refresh()
        link.start()

    # ---- what the log says ------------------------------------------------------------------------

    def _link_state(self, state: str, detail: str) -> None:
        self.status.setText(self.tr("Server: {0} {1}").format(state, detail))

    def _welcomed(self, welcome: dict) -> None:
        if self.scenario is not None:
            return  # a reconnect: the MSEL is loaded already
        self.welcome = welcome
        city_name = self.city_name or welcome["city"]

        def load():
            from drills.runner import load_scenario
            from layers.citypack import load_city

            return load_scenario(self.msel_path, city_name), InjectChecker(load_city(city_name))

        self.background.run(load, self._loaded)

    def _loaded(self, result, error: BaseException | None) -> None:
        if error is not None:
            words = str(error) if isinstance(error, (MselError, ValueError, OSError)) else repr(error)
            self.status.setText(self.tr("The MSEL cannot be used: {0}").format(words))
            return
        self.scenario, self.checker = result
        self.row_keys = [row.event_number for row in self.scenario.msel.rows]
        self.row_keys += list(self.requests)
        self.refresh()

    def _events(self, batch: list[dict]) -> None:
        if batch:
            self.last_ts = batch[-1]["ts"]
        kept = [e for e in batch if e["type"] in KEPT_EVENT_TYPES]
        if not kept:
            return
        self.events.extend(kept)
        if any(e["type"] in CLOCK_EVENT_TYPES for e in kept):
            self.clock = DrillClock(self.events)
        for event in kept:
            if event["type"] == INJECT_REQUESTED:
                self.requests[event["data"]["request_id"]] = event["data"]
                if self.scenario is not None:
                    self.row_keys.append(event["data"]["request_id"])
            elif event["type"] in FEED_EVENT_TYPES:
                self._feed(event)
        while self.feed.count() > FEED_LIMIT:
            self.feed.takeItem(self.feed.count() - 1)
        self.refresh()

    def _feed(self, event: dict) -> None:
        at = _drill_text(self.clock.drill_at(epoch(event["ts"]))) if self.clock.started else "--:--:--"
        self.feed.insertItem(0, f"{at}  {self.describe(event)}")

    def describe(self, event: dict) -> str:
        """An exercise event in words."""
        data, kind = event["data"], event["type"]
        if kind == "incident.created":
            place = data.get("address") or f"{data.get('lon', 0):.5f}, {data.get('lat', 0):.5f}"
            return self.tr("Incident {0} created: {1}, priority {2}, {3}").format(
                data["incident_id"], word(data.get("kind", "")), data.get("priority", ""), place)
        if kind == "unit.assigned":
            return self.tr("{0} assigned {1} to {2}").format(event.get("actor", ""), data["unit_id"], data["incident_id"])
        if kind == "unit.status_changed":
            words = self.tr("Unit {0} is {1}").format(data["unit_id"], word(data["status"]))
            return words + (f" ({data['incident_id']})" if data.get("incident_id") else "")
        if kind == "incident.noted":
            return self.tr("{0} noted on {1}: {2}").format(event.get("actor", ""), data["incident_id"], data["text"])
        if kind == "incident.closed":
            return self.tr("{0} closed {1} ({2})").format(event.get("actor", ""), data["incident_id"],
                                                           data.get("disposition", ""))
        online = data.get("state", "online" if data.get("online") else "offline")
        return self.tr("Camera {0} is {1}").format(data["camera_id"], online)

    def refresh(self) -> None:
        """The clock line and every row's state, as the log stands now."""
        now = time.time()
        running = self.clock.started and self.clock.running_at(now)
        # Only what the drill can do now: pause a running drill, resume a paused one.
        self.pause_button.setEnabled(running)
        self.resume_button.setEnabled(self.clock.started and not running)
        if not self.clock.started:
            self.clock_label.setText(self.tr("Drill not started"))
        else:
            speed = self.clock.segments[-1].speed
            self.clock_label.setText(self.tr("Drill time {0} · speed {1}× · {2}").format(
                _drill_text(self.clock.drill_at(now)), f"{speed:g}", self.tr("running") if running else self.tr("paused")))
        if self.scenario is None:
            return
        if self.table.rowCount() != len(self.row_keys):
            self.table.setRowCount(len(self.row_keys))
        from drills.score import expectations

        fired = fired_rows(self.events)
        asked = {e["data"]["event_number"] for e in self.events if e["type"] == FIRE_REQUESTED}
        answered = {e["data"]["request_id"]: e["data"] for e in self.events
                    if e["type"] == FIRED_EVENT_TYPE and e["data"].get("request_id")}
        judged = {r.event_number: r for r in expectations(self.scenario.msel, self.events,
                                                          self.scenario.unit_kinds, now)}
        for index, key in enumerate(self.row_keys):
            if isinstance(key, str):
                request = self.requests[key]
                cells = (key, "", self.tr("Unplanned inject"), request["command"], request.get("message", ""))
                state, tone = self._fired_state(answered.get(key), self.tr("asked"))
            else:
                row = self.scenario.msel.row(key)
                cells = (str(key), scenario_time_text(row.scenario_s), row.event_type, row.command, self._row_words(row))
                if key in judged:
                    state, tone = self._judged_state(judged[key])
                else:
                    state, tone = self._fired_state(fired.get(key), self.tr("fire now asked") if key in asked else None)
            for column, text in enumerate((*cells, state)):
                item = self.table.item(index, column)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(index, column, item)
                if item.text() != text:
                    item.setText(text)
                colour = QBrush(QColor(STATE_COLOURS[tone])) if tone else QBrush()
                if item.background() != colour:
                    item.setBackground(colour)

    def _row_words(self, row) -> str:
        """Message/To: what the trainees get and who, or what an expected action asks of them."""
        if row.command == EXPECT_COMMAND:
            return row.expected_response or self.tr("a unit of kind {0} assigned to event {1} within {2} s").format(
                word(row.args["assign_kind"]), row.args["to_inject"], f"{row.args['within_s']:g}")
        return f"{row.recipient}: {row.message}" if row.recipient and row.message else row.message or row.recipient

    def _fired_state(self, shot: dict | None, asked: str | None) -> tuple[str, str]:
        """A row's firing from the log; `asked`: the words while the runner has not answered a request."""
        if shot is None:
            return (asked, "asked") if asked else (self.tr("pending"), "")
        how = self.tr("fire now") if shot.get("fire_now") or shot.get("request_id") else self.tr("by plan")
        return self.tr("fired at {0} ({1})").format(_drill_text(shot["drill_s"]), how), "fired"

    def _judged_state(self, result) -> tuple[str, str]:
        if result.status in ("met", "late"):
            words = self.tr("met at {0} ({1})") if result.status == "met" else self.tr("late at {0} ({1})")
            return words.format(_drill_text(result.done_drill_s), result.unit_id), result.status
        if result.status == "missed":
            return self.tr("missed (by {0})").format(_drill_text(result.deadline_drill_s)), "missed"
        if result.deadline_drill_s is not None:
            return self.tr("pending (by {0})").format(_drill_text(result.deadline_drill_s)), ""
        return self.tr("pending"), ""

    # ---- the trainer's commands -------------------------------------------------------------------

    def _send(self, cmd: str, args: dict) -> str | None:
        cmd_id = self.link.send(cmd, args)
        if cmd_id is None:
            self.status.setText(self.tr("Not connected: {0} not sent").format(cmd))
            return None
        self._sent[cmd_id] = cmd
        return cmd_id

    def _replied(self, cmd_id: str, reply: dict) -> None:
        cmd = self._sent.pop(cmd_id, None)
        if cmd is None:
            return
        if reply.get("op") == "ack":
            self.status.setText(self.tr("{0} done").format(cmd))
        else:
            self.status.setText(self.tr("{0} refused: {1}: {2}").format(cmd, reply.get("code"), reply.get("message")))

    def set_speed(self, value: float) -> None:
        self.speed.setValue(value)
        if self.clock.started:
            self._send("drill.set_speed", {"speed": value})

    def start(self) -> None:
        """Run the runner as a child process, or attach when the log shows the drill started already."""
        if self.welcome is None:
            self.status.setText(self.tr("Not connected yet"))
            return
        if self.clock.started:
            self.status.setText(self.tr("The drill runs already: the panel follows it"))
            self.runner_log.appendPlainText(self.tr("attached to {0} (started before)").format(self.namespace))
            return
        if self.runner.state() != QProcess.ProcessState.NotRunning:
            return
        args = ["-m", "console.cli", "drill", "run", self.msel_path, "--server", self.link.url,
                "--name", self.name, "--speed", f"{self.speed.value():g}"]
        environment = QProcessEnvironment.systemEnvironment()
        environment.insert("PYTHONUNBUFFERED", "1")
        if self.token_file:
            args += ["--token-file", self.token_file]
        else:  # never on the command line, which every local user can read
            environment.insert("ONEMAP_TOKEN", self.token)
        if self.city_name:
            args += ["--city", self.city_name]
        self.runner.setProcessEnvironment(environment)
        self.runner.setWorkingDirectory(str(Path(__file__).resolve().parents[1]))
        self.runner_log.appendPlainText("$ onemap " + " ".join(args[2:]))
        self.runner.start(sys.executable, args)
        self.start_button.setEnabled(False)

    def _runner_output(self) -> None:
        # Output comes in chunks that need not end at a line's end: show whole lines, keep the rest.
        self._runner_text += bytes(self.runner.readAllStandardOutput()).decode("utf-8", "replace")
        lines, _, self._runner_text = self._runner_text.rpartition("\n")
        if lines:
            self.runner_log.appendPlainText(lines)

    def _runner_finished(self, code: int, _status) -> None:
        self.runner_log.appendPlainText(self.tr("runner exited with code {0}").format(code))
        self.start_button.setEnabled(True)

    def selected_key(self) -> int | str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.row_keys[rows[0].row()] if rows else None

    def fire_selected(self) -> None:
        key = self.selected_key()
        if self.scenario is None or not isinstance(key, int) or self.scenario.msel.row(key).event_type == "Expected Action":
            self.status.setText(self.tr("Select an inject row of the MSEL to fire it now"))
            return
        self._send("drill.fire_now", {"event_number": key})

    def open_inject_dialog(self) -> InjectDialog:
        self.dialog = InjectDialog(self)
        self.dialog.submitted.connect(self._check_inject)
        self.dialog.show()
        return self.dialog

    def _check_inject(self, command: str, args: dict, message: str) -> None:
        dialog = self.dialog
        if self.checker is None:
            dialog.show_problems([self.tr("The city is not loaded yet")])
            return

        def checked(problems, error) -> None:
            if error is not None:
                dialog.show_problems([repr(error)])
            elif problems:
                dialog.show_problems(problems)
            elif self._send("drill.inject", {"command": command, "args": args,
                                             **({"message": message} if message else {})}) is None:
                dialog.show_problems([self.tr("Not connected: nothing sent")])
            else:
                dialog.accept()

        checker = self.checker
        self.background.run(lambda: checker.problems(command, args, message), checked)

    def _pick_score_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Folder for the scorecard"))
        if folder:
            self.write_score(folder)

    def write_score(self, folder: str) -> None:
        """The scorecard of the drill so far (drills.score, from the events alone) into `folder`."""
        if self.scenario is None or not self.clock.started:
            self.score_label.setText(self.tr("Nothing to score: the drill has not started"))
            return
        events, scenario, namespace, last = list(self.events), self.scenario, self.namespace, epoch(self.last_ts)

        def work():
            from drills.score import score, write_scorecard

            # As of the log's last event, as `onemap drill score` scores (positions, not kept, count too).
            card = score(events, scenario.msel, scenario.unit_kinds, at_wall=last)
            return card, write_scorecard(card, folder, namespace, DrillClock(events).start_wall)

        self.score_label.setText(self.tr("Scoring…"))
        self.background.run(work, self._scored)

    def _scored(self, result, error: BaseException | None) -> None:
        if error is not None:
            self.score_label.setText(self.tr("Scoring failed: {0}").format(error))
            return
        card, paths = result
        self.last_card = card
        lines = []
        for target in card.targets:
            share = "–" if target.share_within is None else f"{target.share_within * 100:.0f} %"
            verdict = ("" if target.achieved is None else self.tr("met") if target.achieved else self.tr("not met"))
            lines.append(self.tr("{0} ({1} {2}): {3} of {4} calls within {5} s, target {6} %: {7}").format(
                target.target.name, target.target.standard, target.target.edition, share, target.calls,
                f"{target.target.within_s:g}", f"{target.target.share * 100:g}", verdict))
        lines.append(self.tr("Written to {0}").format(Path(paths[-1]).parent))
        self.score_label.setText("\n".join(lines))

    def closeEvent(self, event) -> None:
        self.ticker.stop()
        if self.runner.state() != QProcess.ProcessState.NotRunning:
            self.runner.kill()  # the drill stays in the log: `onemap drill run --resume` carries it on
            self.runner.waitForFinished(5000)
        self.link.stop()
        super().closeEvent(event)


def open_panel(msel_path: str, url: str, token: str, name: str, *, token_file: str | None = None,
               city: str | None = None, language: str | None = None) -> TrainerPanel:
    from console import i18n
    from console.app import application
    from console.window import settings

    app = application()
    i18n.install(app, language or settings().value("language", "system"))
    link = ServerLink(url, token, EXERCISE_PREFIX + name, resume_from=0)
    panel = TrainerPanel(link, name, os.path.abspath(msel_path), token_file=token_file, token=token, city=city)
    panel.resize(1500, 900)
    panel.show()
    return panel


def run_panel(msel_path: str, url: str, token: str, name: str, **options) -> int:
    from console.app import application

    app = application()
    open_panel(msel_path, url, token, name, **options)
    return app.exec()
