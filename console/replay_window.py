"""The replay window: the console's own window and views on a replay clock, read-only, marked REPLAY.

It is the main window with a `ReplaySource` for its source of events and a `ReplayClock` for its clock,
so the map, queue, unit board and details show any instant the way they show the live one. Around them:
the transport controls, the timeline dock (density, incidents, bookmarks, the selection), a banner and
title that say REPLAY and the replayed time, and File > Export… for the after-action report.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QDateTime, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QDateTimeEdit, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QInputDialog,
                               QLabel, QMainWindow, QMenuBar, QProgressDialog)

from console.clock import ReplayClock
from console.replay import LogReader, Overview, ReplayInfo, ReplaySource, ServerHistory, ServerReader
from console.replay_controls import ReplayControls
from console.timeline import Timeline
from console.window import MainWindow
from dispatch.domain import EXERCISE_PREFIX, is_exercise
from dispatch.history import epoch
from reports.times import local_label, machine_zone
from video.tile import EXERCISE_COLOR

# What reports.export says as it goes (Qt-free, in English), in the console's language.
EXPORT_STEPS = {
    "reading the state at the start": QT_TRANSLATE_NOOP("ReplayWindow", "reading the state at the start"),
    "reading incidents and unit status changes": QT_TRANSLATE_NOOP("ReplayWindow", "reading incidents and unit status changes"),
    "reading unit positions": QT_TRANSLATE_NOOP("ReplayWindow", "reading unit positions"),
    "writing the report": QT_TRANSLATE_NOOP("ReplayWindow", "writing the report"),
    "done": QT_TRANSLATE_NOOP("ReplayWindow", "done"),
}
REPLAY_COLOR = "#b45309"  # amber: never the live console's colours
LISTS_MS = 150
LISTS_FAST_MS = 500  # at FAST_SPEED and more: nobody reads a list that changes 7 times a second
FAST_SPEED = 100
TICK_MS = 100


class ReplayWindow(MainWindow):
    read_only = True
    layout_key = "replay-layout"  # a replay's docks and toolbars are not the live desk's
    exported = Signal(object)  # the files an export wrote

    def __init__(self, reader, start: float | None = None, end: float | None = None, city: str | None = None):
        """`city`: the pack to draw, for a log that does not name its own."""
        clock = ReplayClock(start or 0.0, end if end is not None else (start or 0.0))
        self.replay: ReplaySource = ReplaySource(reader, clock, start, end)
        self.info: ReplayInfo | None = None
        self.overview = Overview()
        self.map_window: QMainWindow | None = None
        self._replayed_shown: tuple[str, str] | None = None
        self.failure: str | None = None  # why the replay could not open or go on
        self.zone = machine_zone()  # replayed times are shown in it, with its name
        # A replayed drill says EXERCISE as its console did: nobody takes a drill's history for live's.
        self.exercise = reader.namespace[len(EXERCISE_PREFIX):] if is_exercise(reader.namespace) else None
        self._lists_due = (False, False)
        super().__init__(self.replay, city, clock)
        # Children of the window: a timer left running must not fire into a window already deleted.
        self._lists_timer = QTimer(self, singleShot=True, interval=LISTS_MS)
        self._lists_timer.timeout.connect(self._refresh_due_lists)
        self._tick_timer = QTimer(self, singleShot=True, interval=TICK_MS)
        self._tick_timer.timeout.connect(super()._tick)
        self.setObjectName("onemap-replay")
        self.alerts.set_volume(0)  # what a replay announces is history: no tones
        self.command_bar.hide()
        self.docks()["history"].hide()
        self.details.read_only = True
        self.details.assigned.read_only = True
        self.board.view.setDragEnabled(False)
        self.devices.set_read_only(True)
        self.queue.view.setAcceptDrops(False)
        self.canvas.view.setAcceptDrops(False)
        self.canvas.draggable = False

        self.banner = QLabel(self)
        self.banner.setObjectName("replay-banner")
        self.banner.setStyleSheet(f"background: {REPLAY_COLOR}; color: white; font-weight: bold; padding: 4px 10px;")
        self.centralWidget().layout().insertWidget(0, self.banner)
        self.setStyleSheet(f"QMainWindow#onemap-replay {{ border: 3px solid {REPLAY_COLOR}; }}")
        if self.exercise is not None:
            self.exercise_banner = QLabel(self)
            self.exercise_banner.setObjectName("exercise-banner")
            self.exercise_banner.setStyleSheet(f"background: {EXERCISE_COLOR}; color: white; font-weight: bold; "
                                               "padding: 4px 10px;")
            self.centralWidget().layout().insertWidget(1, self.exercise_banner)
        self.controls = ReplayControls(clock, self.zone, self)
        self.addToolBarBreak()
        bar = self.addToolBar("replay")
        bar.setObjectName("toolbar-replay")
        bar.addWidget(self.controls)
        self.timeline = Timeline(clock, self.zone, self)
        self._dock("timeline", self.timeline, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.timeline.set_bookmarks_enabled(False, self.tr("Opening the replay…"))
        self.timeline.bookmarkRequested.connect(self.add_bookmark)
        self.timeline.selectionChanged.connect(self._selected)

        self.replay.opened.connect(self._opened)
        self.replay.overviewRead.connect(self._overview)
        self.replay.trailsRead.connect(self._trails)
        self.replay.failed.connect(self._failed)
        clock.ticked.connect(self._show_replayed)
        clock.jumped.connect(self._show_replayed)
        self.selection: tuple[float, float] | None = None
        self.retranslate()

    # ---- what the window says --------------------------------------------------------------------

    def retranslate(self) -> None:
        super().retranslate()
        for dock in self.docks().values():  # no dock mistaken for the live desk's, even floating alone
            dock.setWindowTitle(self._marked(self.tr("REPLAY · {0}").format(dock.windowTitle())))
        if hasattr(self, "exercise_banner"):
            self.exercise_banner.setText(self.tr("EXERCISE · {0} · a replayed drill").format(self.exercise))
        if hasattr(self, "banner"):
            self._replayed_shown = None
            self._show_replayed()

    def _more_dock_titles(self) -> dict[str, str]:
        return {"timeline": self.tr("Timeline")}

    def _show_replayed(self, *_args) -> None:
        """REPLAY and the replayed time in the banner, the title and every dock's title."""
        if self.failure is not None:
            return
        now = local_label(self.clock.now(), self.zone)
        label = self.info.label if self.info else ""
        if (now, label) == self._replayed_shown:
            return  # a second shown is a second said: not 60 titles a second while playing
        self._replayed_shown = (now, label)
        self.banner.setText(self.tr("REPLAY · {0} · {1} · nothing here is live").format(now, label))
        self.setWindowTitle(self._marked(self.tr("REPLAY {0} — OneMap — {1}").format(now, label)))
        if self.map_window is not None:
            self.map_window.setWindowTitle(self._marked(self.tr("REPLAY {0} — OneMap map").format(now)))

    def _marked(self, title: str) -> str:
        """A title of a replayed drill's window starts EXERCISE NAME, as the trainee's console's did."""
        return title if self.exercise is None else self.tr("EXERCISE {0} · {1}").format(self.exercise, title)

    def _tick(self) -> None:
        """Ages and timers show whole seconds: redrawn at most every TICK_MS while the clock plays or is
        scrubbed (a tick redraws every queue row's timers)."""
        if not self._tick_timer.isActive():
            self._tick_timer.start()

    def _refresh_lists(self, queue: bool, board: bool) -> None:
        """The queue and the unit board are rebuilt whole (tens of ms with hundreds of units): in a
        replay at most every LISTS_MS (LISTS_FAST_MS when playing fast), so the map keeps its frame rate."""
        self._lists_due = (self._lists_due[0] or queue, self._lists_due[1] or board)
        if not self._lists_timer.isActive():
            self._lists_timer.start(LISTS_FAST_MS if self.clock.playing and self.clock.speed >= FAST_SPEED else LISTS_MS)

    def _refresh_due_lists(self) -> None:
        queue, board = self._lists_due
        self._lists_due = (False, False)
        super()._refresh_lists(queue, board)

    def _file_menu(self, bar: QMenuBar) -> None:
        menu = bar.addMenu(self.tr("&File"))
        export = QAction(self.tr("Export the after-action report…"), menu, shortcut=QKeySequence("Ctrl+E"))
        export.triggered.connect(self.export_dialog)
        menu.addAction(export)
        bookmark = QAction(self.tr("Bookmark this instant…"), menu, shortcut=QKeySequence("Ctrl+B"))
        bookmark.triggered.connect(lambda: self.add_bookmark(self.clock.now()))
        menu.addAction(bookmark)
        map_window = QAction(self.tr("Map in a window of its own (other monitor)"), menu, checkable=True)
        map_window.setChecked(self.map_window is not None)
        map_window.toggled.connect(self.detach_map)
        menu.addAction(map_window)

    def _opened(self, info: ReplayInfo) -> None:
        self.info = info
        self.timeline.set_bookmarks_enabled(
            info.can_bookmark, "" if info.can_bookmark else
            self.tr("A replay of a file cannot add bookmarks: they are events of the server's log"))
        self._show_replayed()

    def _failed(self, words: str) -> None:
        self.failure = words
        self.notify(self.tr("The replay cannot go on: {0}").format(words))
        self.banner.setText(self.tr("REPLAY · the replay cannot go on: {0}").format(words))

    def _overview(self, overview: Overview) -> None:
        self.overview = overview
        self.clock.set_marks(overview.steps)
        self.timeline.set_incident_marks(overview.marks)
        self.timeline.set_bookmarks([{**b, "at": epoch(b["at"])} for b in overview.bookmarks])
        if overview.density is not None:
            self.timeline.set_density(*overview.density)

    def _trails(self, trails: dict) -> None:
        if self.city is not None:
            self.canvas.units_layer.set_trails(trails)

    def _selected(self, span) -> None:
        self.selection = span
        self.controls.set_selection(span)

    # ---- bookmarks, export, a map on the other monitor -------------------------------------------

    def add_bookmark(self, at: float) -> None:
        if self.info is None or not self.info.can_bookmark:
            self.notify(self.tr("A replay of a file cannot add bookmarks: they are events of the server's log"))
            return
        note, ok = QInputDialog.getText(self, self.tr("Bookmark"),
                                        self.tr("Note for {0}:").format(local_label(at, self.zone)))
        if ok and note.strip():
            self.replay.add_bookmark(at, note.strip()[:500])

    def export_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Export the after-action report into"))
        if folder:
            self.export(Path(folder) / f"report-{time.strftime('%Y%m%d-%H%M%S')}")

    def export(self, out_dir: Path) -> None:
        """The report of the selected span (the whole replay without one), written on a thread of its own
        with its progress shown; the GUI never waits for it."""
        from reports.export import write_report, write_source_report

        if self.info is None:
            return
        start, end = self.selection or (self.info.start, self.info.end)
        progress = QProgressDialog(self.tr("Writing the after-action report…"), None, 0, 100, self)
        progress.setWindowModality(Qt.WindowModality.NonModal)
        progress.show()
        self.export_progress = progress
        relay = _ExportRelay(self)
        relay.progressed.connect(lambda share, words: (
            progress.setValue(int(share * 100)),
            progress.setLabelText(self.tr(EXPORT_STEPS[words]) if words in EXPORT_STEPS else words)))
        relay.finished.connect(lambda files, error: self._exported(progress, out_dir, files, error))

        def work() -> None:
            said = lambda share, words: relay.progressed.emit(share, words)  # noqa: E731
            reader = self.replay.reader
            try:
                if isinstance(reader, LogReader):
                    files = write_report(reader.path, self.info.namespace, start, end, out_dir, progress=said)
                else:  # a server's replay: the report reads its history requests, on a link of its own
                    own = reader.clone()
                    try:
                        own.open(start, end)
                        source = ServerHistory(own, self.info.city)
                        files = write_source_report(source, source.last_seq(), self.info.namespace, start, end,
                                                    out_dir, progress=said)
                    finally:
                        own.close()
                relay.finished.emit([str(f) for f in files], "")
            except Exception as exc:  # said to the shift leader; the replay goes on
                relay.finished.emit([], str(exc))

        threading.Thread(target=work, name="report-export", daemon=True).start()

    def _exported(self, progress: QProgressDialog, out_dir: Path, files: list, error: str) -> None:
        progress.close()
        if error:
            self.notify(self.tr("The report was not written: {0}").format(error))
            return
        self.notify(self.tr("After-action report written to {0}").format(out_dir))
        self.exported.emit(files)

    def detach_map(self, detached: bool) -> None:
        """The map in a window of its own on another monitor, beside this one's queue and timeline: both
        windows follow the same clock because they are one window's views."""
        if detached and self.map_window is None:
            self.map_window = QMainWindow()
            self.map_window.setObjectName("onemap-replay-map")
            self.map_window.setStyleSheet(f"QMainWindow {{ border: 3px solid {REPLAY_COLOR}; }}")
            self.map_window.setCentralWidget(self.centralWidget())
            self.setCentralWidget(QLabel(self.tr("The map is in its own window"), self))
            screens = QGuiApplication.screens()
            target = next((s for s in screens if s is not self.screen()), self.screen())
            self.map_window.setGeometry(target.availableGeometry())
            self.map_window.show()
            self._replayed_shown = None  # the new window is titled at once
            self._show_replayed()
        elif not detached and self.map_window is not None:
            central = self.map_window.takeCentralWidget()
            self.setCentralWidget(central)
            self.map_window.close()
            self.map_window.deleteLater()
            self.map_window = None

    def closeEvent(self, event) -> None:
        if self.map_window is not None:
            self.detach_map(False)
        super().closeEvent(event)


class _ExportRelay(QObject):
    """Carries the export thread's progress and end to the GUI thread."""
    progressed = Signal(float, str)
    finished = Signal(object, str)


def open_replay(reader, start: float | None = None, end: float | None = None,
                city: str | None = None) -> ReplayWindow:
    window = ReplayWindow(reader, start, end, city)
    window.setGeometry(window.screen().availableGeometry())
    window.showMaximized()
    return window


def open_server_replay(url: str, token: str, namespace: str, start: float | None, end: float | None) -> ReplayWindow:
    return open_replay(ServerReader(url, token, namespace), start, end)


def open_log_replay(path: str, namespace: str, start: float | None, end: float | None,
                    city: str | None = None) -> ReplayWindow:
    return open_replay(LogReader(path, namespace), start, end, city)


class ReplayDialog(QDialog):
    """File > Replay… in the live console: which stretch of the shift to replay (the last hour unless
    changed), from the server the console is connected to."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Replay"))
        form = QFormLayout(self)
        now = QDateTime.currentDateTime()
        self.start = QDateTimeEdit(now.addSecs(-3600), self)
        self.end = QDateTimeEdit(now, self)
        for edit in (self.start, self.end):
            edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
            edit.setCalendarPopup(True)
        form.addRow(self.tr("From"), self.start)
        form.addRow(self.tr("To"), self.end)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def span(self) -> tuple[float, float]:
        return self.start.dateTime().toSecsSinceEpoch(), self.end.dateTime().toSecsSinceEpoch()
