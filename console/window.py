"""The dispatcher's main window: the map in the middle, docks around it, the command line on top."""
from __future__ import annotations

import gc
import json
import time

import shiboken6

from PySide6.QtCore import QByteArray, QEvent, QPoint, QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (QApplication, QCompleter, QDockWidget, QFrame, QInputDialog, QLabel, QLineEdit,
                               QListWidget, QMainWindow, QMenu, QMenuBar, QMessageBox, QScrollArea, QToolBar,
                               QVBoxLayout, QWidget)

from console import i18n
from console.alarms import AlarmDialog, AlarmList
from console.hits import HitDialog, HitList
from console.watchlist import WatchlistDialog
from console.alerts import Alerts
from console.cases import CaseDetails, CaseNames, CaseQueue, NewCaseDialog, code_words, is_overdue, month_span
from console.clock import Clock, LiveClock
from console.devices import DevicesPanel
from console.dialogs import (CloseIncidentDialog, JoinExerciseDialog, NewIncidentDialog, disposition_label,
                             incident_title, precision_words)
from console.history import IncidentHistory
from console.link import CONNECTED, ServerLink
from console.live import DEFAULT_REALERT_S, Changes, LiveState, format_duration
from console.panels import (ConnectionIndicator, IncidentDetails, IncidentQueue, LinkBanner, UnitBoard,
                            link_reason)
from console.typed import VERBS, Typed, TypedError, parse
from console.words import word
from dispatch.domain import UNIT_TRANSITIONS
from dispatch.grid_cases import FINAL_CASE_STATUSES, closure_figures
from dispatch.procedures import DEFAULT_DISPOSITIONS, DEFAULT_RUN_CARDS, needs_of
from dispatch.recommend import Recommendation, StreetRouter, recommend
from layers.camera_health import online_rates
from layers.geocode import Geocoder, Place
from map.canvas import MapCanvas
from reports.times import machine_zone
from video.camera import Camera
from video.camera_list import CameraList
from video.wall import Wall

CALLOUT_MS = 8000
MAX_CALLOUTS = 3  # on the map at once: a burst of notices (a replay at 1000x) must not cover it
CAMERA_STATES_MS = 100  # camera dots on the map take new states at most this often
GRID_FIGURE_MS = 250  # the camera rate and grid colours follow changes at most this often
MAX_MESSAGES = 1000  # lines kept in the message list (a night's worth; the log keeps everything)
RECOMMENDATIONS = 5
RATE_FIGURES = ("closure_rate", "on_time_rate")  # of the month of the console's clock
CASE_FIGURES = ("cases", *RATE_FIGURES)  # the grid figures read from the grid cases
# The step each case command records, for the message list (words marked in console/cases.py).
CASE_STEP_WORDS = {"case.register": "registered", "case.reject": "rejected", "case.dispatch": "dispatched",
                   "case.start": "started", "case.handle": "handled", "case.return": "returned",
                   "case.verify": "verified", "case.close": "closed", "case.rate": "rated"}
HIGH_PRIORITY = 2  # P1 and P2 calls are announced with a tone
SETTINGS_ORG, SETTINGS_APP = "OneMap", "console"


def settings() -> QSettings:
    """The console's settings: an INI file in the user's config folder (tests point it elsewhere with
    QSettings.setPath for this format and scope)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, SETTINGS_ORG, SETTINGS_APP)


class MainWindow(QMainWindow):
    read_only = False  # a replay's window (console/replay_window.py) shows, and never sends
    layout_key = "layout"

    def __init__(self, source: ServerLink, city: str | None = None, clock: Clock | None = None):
        """`source`: where the state and its events come from (the server's link live, or a replay);
        `city`: a pack name or folder, None to draw the city the source names in its welcome; `clock`:
        what every time-dependent view reads (the wall clock unless given)."""
        super().__init__()
        self.setObjectName("onemap-console")
        self.clock = clock or LiveClock(self)
        self._clock_jumped = False  # while a seek is being handled: what it brings is another instant's
        self.clock.jumped.connect(self._note_jump)
        threshold = float(settings().value("overdue/dispatch_s", 180))
        self.live = LiveState(dispatch_threshold_s=threshold)
        self.user: str | None = None
        self.role: str | None = None
        self.watchlist_action: QAction | None = None  # in the Incident menu; none in a replay
        self.watchlist_dialog: WatchlistDialog | None = None
        self.link_seen: tuple[str, str] = ("connecting", source.url)  # the link's last state and detail
        self.city = None
        self.router: StreetRouter | None = None
        self.geocoder: Geocoder | None = None
        self.selected_incident: str | None = None
        self.selected_unit: str | None = None  # what the status keys (F5-F8) act on
        self.selected_case: str | None = None
        self.case_to_select: str | None = None  # reported from this desk: selected once its event comes
        self.followed_unit: str | None = None  # the map keeps it centred as it moves
        self.pending: dict[str, tuple[str, dict, tuple[str, str] | None]] = {}
        self.walls: list[Wall] = []
        # What the grid cells' colours say: open incidents, camera online rate, open cases, or the cases'
        # closure rate or on-time closure rate this month (the last three: CASE_FIGURES)
        self.grid_figure = "incidents"
        self.case_zone = machine_zone()  # the closure rates' months are the machine zone's calendar months
        self.case_month: tuple[float, float] | None = None  # the month the rates on the map are of
        self._grid_figure_timer = QTimer(self, singleShot=True, interval=GRID_FIGURE_MS)
        self._grid_figure_timer.timeout.connect(self._show_grid_figure)
        self._cameras_due: set[str] = set()  # cameras whose new state the map does not show yet
        self._cameras_timer = QTimer(self, singleShot=True, interval=CAMERA_STATES_MS)
        self._cameras_timer.timeout.connect(self._show_camera_states)
        self.messages_shown: list[str] = []
        self._callouts: list[QLabel] = []  # on the map now, oldest first
        self.replays: list[QMainWindow] = []  # replay windows opened from this one (File > Replay…)
        self.statistics_windows: list[QWidget] = []  # File > Statistics…
        self.exercises: list[QMainWindow] = []  # exercise consoles opened from this one (File > Join an exercise…)

        self.canvas = MapCanvas(self)
        self.link_banner = LinkBanner(self)
        # Over the map, in the central widget: no dock can cover it.
        self.alarm_banner = AlarmList(True, self.alarm_place, self)
        self.alarm_banner.set_read_only(self.read_only)
        self.hit_banner = HitList(self.checkpoint_name, self)
        self.hit_banner.set_read_only(self.read_only)
        self.hit_banner.acceptRequested.connect(lambda hit_id: self.accept_hit(hit_id, intercept=False))
        self.hit_banner.interceptRequested.connect(lambda hit_id: self.accept_hit(hit_id, intercept=True))
        self.hit_banner.rejectRequested.connect(self.reject_hit_dialog)
        self.hit_banner.camerasRequested.connect(self.show_hit_cameras)
        self.known_hits: set[str] | None = None  # None until the first state: what it holds is no news
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.link_banner)
        column.addWidget(self.alarm_banner)
        column.addWidget(self.hit_banner)
        column.addWidget(self.canvas, 1)
        self.setCentralWidget(central)
        self.alerts = Alerts(float(settings().value("alerts/volume", 80)) / 100, self)
        self.alerts.alerted.connect(lambda kind: QApplication.alert(self))
        self.link_down: tuple[float, str, str] | None = None  # since when, state, reason
        self.known_incidents: set[str] = set()
        self.overdue_shown: set[str] | None = None
        self.queue = IncidentQueue(self.live, self.clock.now, self)
        self.board = UnitBoard(self.live, self.clock.now, self)
        self.details = IncidentDetails(self.live, self.clock.now, self)
        self.history = IncidentHistory(self.live, lambda cmd, args: self.link.send(cmd, args),
                                       self.disposition_words, self)
        self.messages = QListWidget(self)
        self.camera_list = CameraList(parent=self, clock=self.clock.now)  # "online 12 min" at the console's instant
        self.devices = DevicesPanel(self.live, self)
        self.devices.attachRequested.connect(
            lambda uid, unit_id: self.send("device.attach", {"device_uid": uid, "unit_id": unit_id}, ("units", unit_id)))
        self.devices.detachRequested.connect(lambda uid: self.send("device.detach", {"device_uid": uid}))
        self.known_devices: set[str] | None = None  # None until the first state: what it holds is no news
        self.case_names = CaseNames()
        self.case_queue = CaseQueue(self.clock.now, self.case_names, self)
        self.case_details = CaseDetails(self.clock.now, self.case_names, lambda: self.role, self.read_only, self)
        self.case_queue.selected.connect(self.select_case)
        self.case_details.stepRequested.connect(
            lambda cmd, args: self.send(cmd, args, ("cases", args["case_id"])))
        self.alarms_panel = AlarmList(False, self.alarm_place, self)
        self.alarms_panel.set_read_only(self.read_only)
        for alarm_list in (self.alarm_banner, self.alarms_panel):
            alarm_list.acknowledgeRequested.connect(self.acknowledge_alarm_dialog)
            alarm_list.incidentRequested.connect(self.alarm_to_incident)
            alarm_list.falseRequested.connect(self.false_alarm_dialog)
            alarm_list.camerasRequested.connect(self.show_alarm_cameras)
            alarm_list.mediaRequested.connect(self.show_alarm_media)
            alarm_list.chosen.connect(lambda alarm_id: self._find(("alarms", alarm_id)))
        self.known_alarms: set[str] | None = None  # None until the first state: what it holds is no news
        self.alarms_overdue_shown: set[str] | None = None  # likewise what was overdue when it came
        self._alarm_places: dict[tuple[str, float, float], str] = {}
        self._dock("queue", self.queue, Qt.DockWidgetArea.RightDockWidgetArea)
        # In a scroll area: details taller than their dock scroll instead of being squeezed, which moved
        # the buttons under the dispatcher's pointer whenever a line came or went.
        details_scroll = QScrollArea(self)
        details_scroll.setWidgetResizable(True)
        details_scroll.setFrameShape(QFrame.Shape.NoFrame)
        details_scroll.setWidget(self.details)
        self._dock("details", details_scroll, Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("history", self.history, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.docks()["history"],
                              self._dock("alarms", self.alarms_panel, Qt.DockWidgetArea.RightDockWidgetArea))
        self.docks()["history"].raise_()
        # Grid cases behind the incidents' queue and details: a police desk opens on its incidents.
        self.tabifyDockWidget(self.docks()["queue"],
                              self._dock("cases", self.case_queue, Qt.DockWidgetArea.RightDockWidgetArea))
        case_scroll = QScrollArea(self)
        case_scroll.setWidgetResizable(True)
        case_scroll.setFrameShape(QFrame.Shape.NoFrame)
        case_scroll.setWidget(self.case_details)
        self.tabifyDockWidget(self.docks()["details"],
                              self._dock("case_details", case_scroll, Qt.DockWidgetArea.RightDockWidgetArea))
        self.docks()["queue"].raise_()
        self.docks()["details"].raise_()
        self._dock("units", self.board, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("layers", self.canvas.layer_panel(), Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("cameras", self.camera_list, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.tabifyDockWidget(self.docks()["cameras"], self._dock("devices", self.devices, Qt.DockWidgetArea.LeftDockWidgetArea))
        self.docks()["cameras"].raise_()
        self._dock("messages", self.messages, Qt.DockWidgetArea.BottomDockWidgetArea)
        docks = self.docks()
        # The queue wide enough for all its columns at 1920 px (tests/console/test_window_layout.py).
        self.resizeDocks([docks["queue"], docks["units"]], [730, 300], Qt.Orientation.Horizontal)
        self.resizeDocks([docks["queue"], docks["details"], docks["history"], docks["messages"]],
                         [300, 400, 260, 110], Qt.Orientation.Vertical)

        self.command_line = QLineEdit(self)
        self.command_line.setObjectName("command-line")
        self.command_line.returnPressed.connect(self._run_typed)
        self.typed_to_confirm: Typed | None = None  # a typed close waiting for a second Enter
        cancel = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.command_line,
                           context=Qt.ShortcutContext.WidgetShortcut)
        cancel.activated.connect(self._cancel_typed)
        self.command_bar = QToolBar(self)
        self.command_bar.setObjectName("toolbar-command-line")
        self.command_label = QLabel(self)
        self.command_bar.addWidget(self.command_label)
        self.command_bar.addWidget(self.command_line)
        # Where a typed `new … @place` resolved, and how exactly, before Enter sends it.
        self.typed_preview = QLabel(self)
        self.typed_preview.setObjectName("typed-preview")
        self.typed_preview.setMinimumWidth(420)
        self.command_bar.addWidget(self.typed_preview)
        self.command_line.textChanged.connect(self._preview_typed)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.command_bar)

        self.connection = ConnectionIndicator(self)
        self.statusBar().addPermanentWidget(self.connection, 1)
        self.camera_rate = QLabel(self)
        self.statusBar().addPermanentWidget(self.camera_rate)
        self.follow_label = QLabel(self)
        self.follow_label.setObjectName("follow-line")
        self.statusBar().addPermanentWidget(self.follow_label)
        self.cursor_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.cursor_label)
        self.clock_label = QLabel(self)
        self.clock_label.setObjectName("clock")
        self.statusBar().addPermanentWidget(self.clock_label)
        self.link = source
        self.retranslate()

        source.setParent(self)
        self.link.stateChanged.connect(self._link_state)
        self.link.welcomed.connect(self._welcomed)
        self.link.eventsReceived.connect(self._events)
        self.link.replied.connect(self._replied)

        self.canvas.cityLoaded.connect(self._city_loaded)
        self.canvas.unitDroppedOnIncident.connect(self.assign)
        self.canvas.unitDragOverIncident.connect(self._drag_over)
        self.canvas.selectionChanged.connect(self._map_selected)
        self.canvas.contextMenuRequested.connect(self._map_menu)
        self.canvas.cursorMoved.connect(lambda lon, lat: self.cursor_label.setText(f"{lon:.5f}, {lat:.5f}"))
        self.queue.selected.connect(self.select_incident)
        self.queue.unitDropped.connect(self.assign)
        self.queue.unitDragOver.connect(self._drag_over)
        self.board.selected.connect(self._board_selected)
        self.board.menuRequested.connect(self.unit_menu)
        self.details.assigned.statusRequested.connect(self.set_unit_status)
        self.camera_list.activated.connect(lambda camera_id: self._find(("cameras", camera_id)))
        self.camera_list.openRequested.connect(self.open_on_wall)
        self.details.assignRequested.connect(self.assign)
        self.details.closeRequested.connect(self._close_incident_dialog)
        self.history.noteRequested.connect(
            lambda incident_id, text: self.send("incident.note", {"incident_id": incident_id, "text": text},
                                                ("incidents", incident_id)))
        self.history.incidentChosen.connect(lambda incident_id: self._find(("incidents", incident_id)))

        self.canvas.clock = self.clock.now
        self.clock.ticked.connect(lambda _now: self._tick())
        self.clock.jumped.connect(lambda _now: self._tick())
        self.city_requested = city
        if city is not None:
            self.canvas.open_city(city)
        self.link.start()
        # After the source's own: the events a seek hands over at once were shown as another instant's.
        self.clock.jumped.connect(self._jump_shown)

    # ---- layout ----------------------------------------------------------------------------------

    def _dock(self, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(self)
        dock.setObjectName(f"dock-{name}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def docks(self) -> dict[str, QDockWidget]:
        return {d.objectName().removeprefix("dock-"): d for d in self.findChildren(QDockWidget)}

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        """Every text of the window in the current language: at construction and on a language change
        (the docks' widgets, the map and the walls retranslate themselves on the same change)."""
        if self.user is None:
            self.setWindowTitle(self.tr("OneMap — dispatch console"))
        else:
            self.setWindowTitle(self.tr("OneMap — {0} ({1})").format(self.user, word(self.role)))
        titles = {"queue": self.tr("Incident queue"), "details": self.tr("Incident details"),
                  "history": self.tr("Incident history"),
                  "units": self.tr("Unit board"), "layers": self.tr("Layers"), "cameras": self.tr("Cameras"),
                  "messages": self.tr("Messages"), "devices": self.tr("Field devices"), "alarms": self.tr("Alarms"),
                  "cases": self.tr("Grid cases"), "case_details": self.tr("Case details")}
        titles.update(self._more_dock_titles())
        for name, dock in self.docks().items():
            dock.setWindowTitle(titles[name])
        self.command_line.setPlaceholderText(self.tr("assign P-03 I12 · status P-03 enroute · close I12 · "
                                                     "new fire 1 @street · find …"))
        self.command_bar.setWindowTitle(self.tr("Command line"))
        self.command_label.setText(self.tr("Command: "))
        self._show_link()
        if self.city is not None:
            self._show_grid_figure()
        for wall in self.walls:
            wall.setWindowTitle(self.tr("OneMap — video wall"))
        if self.link_down is not None:
            self.link_banner.show_down(self.link_down[0], self.clock.now(), *self.link_down[1:])
        self._show_details()
        self._menus()

    def _more_dock_titles(self) -> dict[str, str]:
        """Titles of docks a window of another kind adds (the replay's timeline)."""
        return {}

    def _menus(self) -> None:
        """A new menu bar (the old one, its actions and their shortcuts are deleted with it)."""
        bar = QMenuBar(self)
        self._file_menu(bar)
        view = bar.addMenu(self.tr("&View"))
        for dock in self.docks().values():
            view.addAction(dock.toggleViewAction())
        fit = QAction(self.tr("Fit the city"), view, shortcut=QKeySequence("Home"))
        fit.triggered.connect(self.canvas.fit_city)
        view.addAction(fit)
        focus = QAction(self.tr("Command line"), view, shortcut=QKeySequence("Ctrl+L"))
        focus.triggered.connect(self._focus_command_line)
        view.addAction(focus)
        figures = view.addMenu(self.tr("Grid cells show"))
        for figure, title in (("incidents", self.tr("Open incidents")), ("cameras", self.tr("Camera online rate")),
                              ("cases", self.tr("Open grid cases")),
                              ("closure_rate", self.tr("Case closure rate this month")),
                              ("on_time_rate", self.tr("On-time case closure rate this month"))):
            action = figures.addAction(title)
            action.triggered.connect(lambda _=False, f=figure: self._set_grid_figure(f))
        options = bar.addMenu(self.tr("&Settings"))
        language = options.addMenu(self.tr("Language"))
        for code, name in (("system", self.tr("Follow the system")), ("en", "English"), ("zh_CN", "简体中文")):
            action = language.addAction(name)
            action.triggered.connect(lambda _=False, c=code: self._set_language(c))
        overdue = options.addAction(self.tr("Overdue threshold…"))
        overdue.triggered.connect(self._set_threshold)
        volume = options.addAction(self.tr("Alert volume…"))
        volume.triggered.connect(self._set_volume)
        if not self.read_only:
            auto = options.addAction(self.tr("Put an alarm's cameras on the wall automatically"))
            auto.setObjectName("alarm-cameras-auto")
            auto.setCheckable(True)
            auto.setChecked(self.alarm_cameras_automatically)
            auto.toggled.connect(lambda on: settings().setValue("alarms/cameras_on_wall", on))
        quit_action = QAction(self.tr("Quit"), options, shortcut=QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        options.addAction(quit_action)
        if not self.read_only:  # a replay acts on nothing
            video = bar.addMenu(self.tr("Vi&deo"))
            open_wall = video.addAction(self.tr("Open a video wall"))
            open_wall.triggered.connect(lambda: self.open_wall())
            nearest = video.addAction(self.tr("Fill a wall with the cameras nearest the incident"))
            nearest.triggered.connect(self.fill_wall_nearest)
            incidents = bar.addMenu(self.tr("&Incident"))
            new_incident = QAction(self.tr("New incident…"), incidents, shortcut=QKeySequence("Ctrl+N"))
            new_incident.triggered.connect(lambda: self.new_incident_dialog())
            incidents.addAction(new_incident)
            new_case = incidents.addAction(self.tr("New grid case…"))
            new_case.setObjectName("case-new")
            new_case.triggered.connect(lambda: self.new_case_dialog())
            # Kept by supervisors (the server refuses anyone else): enabled once the welcome says the role.
            self.watchlist_action = incidents.addAction(self.tr("Watchlist…"))
            self.watchlist_action.setEnabled(self.role == "supervisor")  # menus are built again on a language change
            self.watchlist_action.triggered.connect(lambda: self.open_watchlist())
            units = bar.addMenu(self.tr("&Unit"))
            for status, key in (("enroute", "F5"), ("onscene", "F6"), ("available", "F7"), ("busy", "F8")):
                action = QAction(self.tr("Selected unit: {0}").format(word(status)), units, shortcut=QKeySequence(key))
                action.triggered.connect(lambda _=False, s=status: self._status_key(s))
                units.addAction(action)
        help_menu = bar.addMenu(self.tr("&Help"))
        grammar = QAction(self.tr("Command line and shortcuts"), help_menu, shortcut=QKeySequence("F1"))
        grammar.triggered.connect(self.show_help)
        help_menu.addAction(grammar)
        about = help_menu.addAction(self.tr("About OneMap"))
        about.triggered.connect(lambda: QMessageBox.about(self, self.tr("About OneMap"), self.tr(
            "OneMap dispatch console. One map of cameras, checkpoints, grid cells, units and incidents; "
            "video walls; dispatch through one server that every console follows.")))
        self.setMenuBar(bar)

    def _file_menu(self, bar: QMenuBar) -> None:
        menu = bar.addMenu(self.tr("&File"))
        replay = menu.addAction(self.tr("Replay…"))
        replay.triggered.connect(self.replay_dialog)
        join = menu.addAction(self.tr("Join an exercise…"))
        join.setObjectName("exercise-join")
        join.triggered.connect(self.join_exercise_dialog)
        statistics = menu.addAction(self.tr("Statistics…"))
        statistics.setObjectName("statistics")
        statistics.triggered.connect(self.open_statistics)

    def open_statistics(self) -> QWidget:
        """The day's, week's, month's... figures against the period before, read from this console's server."""
        from console.stats_window import ServerLogin, open_statistics

        window = open_statistics(self, ServerLogin(self.link.url, self.link.token, self.city_requested),
                                 self.clock.now, self.link.namespace)
        self.statistics_windows.append(window)
        return window

    def join_exercise_dialog(self) -> JoinExerciseDialog:
        """An exercise's console in a window of its own, on this console's server and token; this one stays live."""
        dialog = JoinExerciseDialog(self)
        dialog.submitted.connect(self.join_exercise)
        dialog.open()  # window-modal without a nested event loop
        self.exercise_dialog = dialog
        return dialog

    def join_exercise(self, name: str) -> QMainWindow:
        from console.exercise import open_exercise

        window = open_exercise(self.link.url, self.link.token, name, self.city_requested)
        self.exercises = [w for w in self.exercises if shiboken6.isValid(w) and w.isVisible()] + [window]
        return window

    def replay_dialog(self) -> None:
        """A stretch of the shift replayed from this console's server, in a window of its own."""
        from console.replay_window import ReplayDialog, open_server_replay

        dialog = ReplayDialog(self)
        if dialog.exec():
            start, end = dialog.span()
            # the server the console is on now: one of a list after a failover (a history read needs one)
            self.replays.append(open_server_replay(self.link.url, self.link.token, self.link.namespace, start, end))

    def show_help(self) -> None:
        """The command-line grammar and the shortcuts, in a window that stays open beside the work."""
        box = QMessageBox(self)
        box.setWindowTitle(self.tr("Command line and shortcuts"))
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(self.tr(
            "<b>Command line</b> (Ctrl+L)<br>"
            "<tt>new KIND PRIORITY @PLACE [note]</tt> — a new incident (e.g. <tt>new fire 1 @Mannerheimintie 5</tt>)<br>"
            "<tt>assign UNIT INCIDENT</tt> — dispatch a unit (e.g. <tt>assign P-03 I12</tt>)<br>"
            "<tt>status UNIT STATUS</tt> — enroute, onscene, available, busy, offduty<br>"
            "<tt>close INCIDENT CODE [note]</tt> — close with a disposition code (Enter again confirms); "
            "<tt>close INCIDENT</tt> opens the close dialog<br>"
            "<tt>find UNIT | INCIDENT | PLACE</tt> — show it on the map<br><br>"
            "<b>Shortcuts</b><br>"
            "Ctrl+L command line · Ctrl+N new incident · Home fit the city · arrow keys pan · +/− zoom · F1 this help · Ctrl+Q quit<br>"
            "F5 en route · F6 on scene · F7 available · F8 busy — for the selected unit<br>"
            "Drag a unit onto an incident (map or queue) to dispatch it; Ctrl-click several on the unit board to "
            "drag them together. Right-click a unit for its status, the map for a new incident."))
        box.setModal(False)
        box.show()
        self.help_box = box

    def _set_volume(self) -> None:
        volume, ok = QInputDialog.getInt(self, self.tr("Alert volume"), self.tr("Volume of alert tones (0 = silent):"),
                                         round(self.alerts.volume * 100), 0, 100, 10)
        if ok:
            settings().setValue("alerts/volume", volume)
            self.alerts.set_volume(volume / 100)

    @property
    def alarm_cameras_automatically(self) -> bool:
        """Per user: a new alarm's cameras go on a wall at once, without the click on Show cameras."""
        return settings().value("alarms/cameras_on_wall", False, type=bool)

    def _focus_command_line(self) -> None:
        """Ctrl+L: the command line with its text selected, so what is typed next replaces what failed."""
        self.command_line.setFocus()
        self.command_line.selectAll()

    def _set_language(self, code: str) -> None:
        """Speak `code` at once (every widget retranslates on Qt's LanguageChange) and from now on."""
        settings().setValue("language", code)
        i18n.install(QApplication.instance(), code)

    def _set_threshold(self) -> None:
        minutes, ok = QInputDialog.getDouble(self, self.tr("Overdue threshold"),
                                             self.tr("Minutes from call to first dispatch:"),
                                             self.live.dispatch_threshold_s / 60, 0.5, 120, 1)
        if ok:
            self.live.dispatch_threshold_s = minutes * 60
            settings().setValue("overdue/dispatch_s", minutes * 60)
            self._tick()

    def restore_layout(self) -> None:
        """Per user: the window's place and every dock's place, across monitors."""
        store = settings()
        geometry = store.value(f"{self.layout_key}/{self.user}/geometry")
        state = store.value(f"{self.layout_key}/{self.user}/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)
        for wall in json.loads(store.value(f"{self.layout_key}/{self.user}/walls", "[]")):
            self.open_wall(wall)

    def save_layout(self) -> None:
        if self.user:
            store = settings()
            store.setValue(f"{self.layout_key}/{self.user}/geometry", self.saveGeometry())
            store.setValue(f"{self.layout_key}/{self.user}/state", self.saveState())
            store.setValue(f"{self.layout_key}/{self.user}/walls", json.dumps([w.to_dict() for w in self.walls if w.isVisible()]))
            store.sync()

    def closeEvent(self, event) -> None:
        self.save_layout()
        for wall in self.walls:
            wall.release()
            wall.close()
        self.link.stop()
        super().closeEvent(event)

    # ---- the server's state ----------------------------------------------------------------------

    def _link_state(self, state: str, detail: str) -> None:
        self.link_seen = (state, detail)
        self._show_link()
        now = self.clock.now()
        if state == CONNECTED:
            if self.link_down is not None:
                self.notify(self.tr("The link to the server is back after {0}: the map is current again").format(
                    format_duration(now - self.link_down[0])))
                self.alerts.alert("link_back")
            self.link_down = None
            self.history.link_back()
            self.link_banner.hide()
            self.canvas.set_stale(None)
            return
        if state == "connecting":
            if self.link_down is not None:
                self.link_banner.show_down(self.link_down[0], now, *self.link_down[1:])
            return
        if self.link_down is None:
            self.notify(self.tr("The link to the server is lost: {0}").format(link_reason(state, detail)))
            self.alerts.alert("link_lost")
            self.canvas.set_stale(now)
        self.link_down = (self.link_down[0] if self.link_down else now, state, detail)
        self.link_banner.show_down(self.link_down[0], now, state, detail)

    def _show_link(self) -> None:
        state, detail = self.link_seen
        if state == CONNECTED and self.user is not None:  # the role in the console's language
            detail = f"{self.user} ({word(self.role)})"
        self.connection.set_state(state, detail)
        # which server, e.g. for a second console; after a failover, the one it went on to
        self.statusBar().setToolTip(self.tr("Server: {0}").format(self.link.url))

    def _welcomed(self, welcome: dict) -> None:
        first = self.user is None
        self.user, self.role = welcome["user"], welcome["role"]
        if self.watchlist_action is not None:
            self.watchlist_action.setEnabled(self.role == "supervisor")
        self.live.realert_s = float(welcome.get("realert_s") or DEFAULT_REALERT_S)  # a replay's source names none
        if first:
            self.restore_layout()
            self.retranslate()
        if self.city_requested is None and welcome.get("city"):
            self.city_requested = welcome["city"]
            self.canvas.open_city(self.city_requested)
        if welcome["snapshot"] is None:
            return
        if self.read_only and not first and self.city is not None:  # a replay's seek: redraw what differs
            shown = self.live.state.get("cases", {})
            self._show(self.live.replace(welcome["snapshot"], welcome["seq"]))
            cases = self.live.state.get("cases", {})
            self._show_cases({c for c in cases.keys() | shown.keys() if cases.get(c) is not shown.get(c)})
        else:
            self._show(self.live.reset(welcome["snapshot"], welcome["seq"]))
            self._show_cases(None)

    def _events(self, events: list[dict]) -> None:
        self._show(self.live.apply_events(events))
        self.history.add_events(events)
        cases = {e["data"]["case_id"] for e in events if e["type"].startswith("case.")}
        if cases:
            self._show_cases(cases)

    def _show(self, changes: Changes) -> None:
        if not changes:
            return
        # Another instant (a replay's seek, also one forward through events already read): what is new or
        # overdue there is no news.
        changes.jumped = changes.jumped or self._clock_jumped
        if changes.jumped:
            self.overdue_shown = None
        if changes.jumped or changes.reset:
            self.alarms_overdue_shown = None
        self._announce_new_incidents(changes)
        if self.city is not None:
            self._show_on_map(changes)
        self._refresh_lists(queue=bool(changes.reset or changes.incidents or changes.units),
                            board=bool(changes.reset or changes.units))
        if changes.reset or changes.devices:
            self._show_devices(changes)
        if changes.reset or changes.alarms:
            self._show_alarms(changes)
        if changes.reset or changes.hits:
            self._show_hits(changes)
        if (changes.reset or changes.watchlist) and self.watchlist_dialog is not None:
            self.watchlist_dialog.refresh()
        if changes.reset:
            self.history.reload()
        if changes.reset or changes.incidents:
            self.history.incidents_changed()
        if self.selected_incident and (changes.reset or self.selected_incident in changes.incidents
                                       or changes.units):
            self._show_details()
        if self.followed_unit and (changes.reset or self.followed_unit in changes.moved_units
                                   or self.followed_unit in changes.units):
            self._show_followed()

    def _show_cases(self, case_ids: set[str] | None) -> None:
        """The case queue, layer and details follow the state, case by case (None: every case, a snapshot)."""
        cases = self.live.state.get("cases", {})  # a server older than grid cases sends none
        self.case_queue.update(cases, case_ids)
        if self.city is not None:
            layer = self.canvas.cases_layer
            if case_ids is None:
                layer.set_records(list(cases.values()))
            else:
                gone = [c for c in case_ids if c not in cases and layer.row(c) is not None]
                if gone:
                    layer.remove(gone)
                layer.upsert([cases[c] for c in case_ids if c in cases])
            self._mark_overdue_cases()
            if self.grid_figure in CASE_FIGURES and not self._grid_figure_timer.isActive():
                self._grid_figure_timer.start()
        if self.case_to_select in cases:
            self.select_case(self.case_to_select)
            self.case_to_select = None
        elif self.selected_case and (case_ids is None or self.selected_case in case_ids):
            self.case_details.show_case(cases.get(self.selected_case))

    def _mark_overdue_cases(self) -> None:
        now = self.clock.now()
        self.canvas.cases_layer.set_overdue(
            [c for c, case in self.live.state.get("cases", {}).items() if is_overdue(case, now)])

    def select_case(self, case_id: str) -> None:
        """The case in the queue, on the map and in its details, which come to the front."""
        case = self.live.state.get("cases", {}).get(case_id)
        if case is None:
            return
        self.selected_case = case_id
        self.case_queue.select(case_id)
        layer = self.canvas.cases_layer
        if self.city is not None and layer.row(case_id) is not None and self.canvas.selection != ("cases", case_id):
            self.canvas.select("cases", case_id)
        self.case_details.show_case(case)
        self.docks()["case_details"].raise_()

    def new_case_dialog(self, lon: float | None = None, lat: float | None = None,
                        address: Place | None = None) -> NewCaseDialog:
        """A citizen's report the centre takes, at a point of the map or a typed place."""
        dialog = NewCaseDialog(self.case_names, self.geocoder, self.city.grid_at if self.city else None, lon, lat,
                               address, self)
        dialog.submitted.connect(lambda args: self.send("case.report", args))
        dialog.open()  # window-modal without a nested event loop
        self.case_dialog = dialog
        return dialog

    def _show_devices(self, changes: Changes) -> None:
        """The devices list, and a word when a device no unit is attached to is first heard."""
        self.devices.refresh()
        devices = self.live.state.get("devices", {})
        if self.known_devices is not None and not changes.reset and not changes.jumped:
            for uid in sorted(set(devices) - self.known_devices):
                if devices[uid].get("unit_id") is None:
                    self.notify(self.tr("Field device {0} heard: attach it to a unit (Field devices)").format(
                        devices[uid].get("callsign") or uid))
        self.known_devices = set(devices)

    def _note_jump(self, _instant: float) -> None:
        self._clock_jumped = True
        self.overdue_shown = None
        self.alarms_overdue_shown = None

    def _jump_shown(self, _instant: float) -> None:
        self._clock_jumped = False

    def _refresh_lists(self, queue: bool, board: bool) -> None:
        if queue:
            self.queue.refresh()
            if self.selected_incident:
                self.queue.select(self.selected_incident)
        if board:
            self.board.refresh()

    def _announce_new_incidents(self, changes: Changes) -> None:
        """A new high-priority call is announced; what a snapshot brings was there before this console."""
        incidents = self.live.state["incidents"]
        if not changes.reset and not changes.jumped:
            for incident_id in sorted(set(changes.incidents) - self.known_incidents):
                incident = incidents.get(incident_id)
                if incident and incident["status"] != "closed" and incident["priority"] <= HIGH_PRIORITY:
                    self.notify(self.tr("New P{0} {1}: {2}").format(
                        incident["priority"], word(incident["kind"]), incident.get("address") or incident_id),
                        ("incidents", incident_id))
                    self.alerts.alert("high_priority")
        self.known_incidents = set(incidents)

    def _show_on_map(self, changes: Changes) -> None:
        state = self.live.state
        units, incidents = self.canvas.units_layer, self.canvas.incidents_layer
        if changes.reset:
            units.set_records(list(state["units"].values()))
            incidents.set_records(list(state["incidents"].values()))
            cameras = state["cameras"]
            self._cameras_due.clear()
            known = [c for c in cameras if self.canvas.cameras_layer.row(c) is not None]
            if known:
                self.canvas.cameras_layer.set_states(known, [cameras[c].get("state", "unknown") for c in known])
            self._mark_overdue()
            self._show_grid_figure()
            if self.camera_list.camera_ids() == cameras.keys():  # the same cameras: only their states
                self.camera_list.update_states(cameras.values())
            else:
                self.camera_list.set_cameras(Camera.from_dict(c) for c in cameras.values())
            return
        if changes.moved_units:
            ids = list(changes.moved_units)
            records = [state["units"][u] for u in ids]
            units.update_positions(ids, [u["lon"] for u in records], [u["lat"] for u in records],
                                   [u["heading"] if u["heading"] is not None else float("nan") for u in records],
                                   stale=[u.get("pos_stale") for u in records])
        if changes.units:
            units.upsert([state["units"][unit_id] for unit_id in changes.units])
        if changes.incidents:
            gone = [i for i in changes.incidents if i not in state["incidents"]]  # a seek to before them
            if gone:
                incidents.remove(gone)
            incidents.upsert([state["incidents"][i] for i in changes.incidents if i in state["incidents"]])
            self._mark_overdue()
        if changes.cameras:  # one change of the layer for all, every CAMERA_STATES_MS at most (each redraws tiles)
            self._cameras_due.update(changes.cameras)
            if not self._cameras_timer.isActive():
                self._cameras_timer.start()
        if (changes.cameras or changes.incidents) and not self._grid_figure_timer.isActive():
            self._grid_figure_timer.start()  # once for every batch of GRID_FIGURE_MS: 5,000 cameras are counted
        if changes.cameras:
            self.camera_list.update_states(state["cameras"][c] for c in changes.cameras)

    def _show_camera_states(self) -> None:
        cameras, layer = self.live.state["cameras"], self.canvas.cameras_layer
        ids = [c for c in self._cameras_due if c in cameras and layer.row(c) is not None]
        self._cameras_due.clear()
        if ids:
            layer.set_states(ids, [cameras[c]["state"] for c in ids])

    def _show_grid_figure(self) -> None:
        state = self.live.state
        rates = online_rates((c.get("grid_id"), c.get("state", "unknown")) for c in state["cameras"].values())
        if rates.observed:
            self.camera_rate.setText(self.tr("Cameras: {0} online of {1} observed ({2:.1%}), {3} unknown").format(
                rates.online, rates.observed, rates.overall, rates.unknown))
        elif rates.total:
            self.camera_rate.setText(self.tr("Cameras: none observed yet, {0} unknown").format(rates.unknown))
        if self.grid_figure == "cameras":
            self.canvas.grids_layer.set_values({g: r * 100 for g, r in rates.by_cell.items()},
                                               self.tr("% cameras online"))
        elif self.grid_figure in CASE_FIGURES:
            values, title = self.case_figures(self.grid_figure)
            self.canvas.grids_layer.set_values(values, title, lower_is_worse=self.grid_figure in RATE_FIGURES)
        else:
            open_by_cell: dict[str, float] = {}
            for incident in state["incidents"].values():
                if incident["status"] != "closed" and incident.get("grid_id"):
                    open_by_cell[incident["grid_id"]] = open_by_cell.get(incident["grid_id"], 0) + 1
            self.canvas.grids_layer.set_values(open_by_cell, self.tr("open incidents"))

    def case_figures(self, figure: str) -> tuple[dict[str, float], str]:
        """Per grid cell: its open cases, or its closure rate or on-time closure rate in % over the calendar
        month of the console's clock, in the machine's zone (dispatch.grid_cases.closure_figures, as the
        statistics compute them; a cell where nothing was due this month has no figure); and the legend's title."""
        by_cell: dict[str, list[dict]] = {}
        for case in self.live.state.get("cases", {}).values():
            by_cell.setdefault(case["grid_id"], []).append(case)
        if figure == "cases":
            return ({cell: float(sum(c["status"] not in FINAL_CASE_STATUSES for c in cases))
                     for cell, cases in by_cell.items()}, self.tr("open grid cases"))
        start, end = self.case_month = month_span(self.clock.now(), self.case_zone)
        values = {}
        for cell, cases in by_cell.items():
            figures = closure_figures(cases, start, end)
            rate = figures.closure_rate if figure == "closure_rate" else figures.on_time_rate
            if rate is not None:
                values[cell] = rate * 100
        month = time.strftime("%Y-%m", time.localtime(start))
        return values, (self.tr("% of cases due closed, {0}") if figure == "closure_rate"
                        else self.tr("% of cases due closed on time, {0}")).format(month)

    def _set_grid_figure(self, figure: str) -> None:
        self.grid_figure = figure
        self._show_grid_figure()

    # ---- video walls -----------------------------------------------------------------------------

    def open_wall(self, data: dict | None = None) -> Wall:
        """A wall window, on another monitor than the console's when there is one."""
        wall = Wall.from_dict(data) if data else Wall("2x2")
        wall.setWindowTitle(self.tr("OneMap — video wall"))
        wall.cameraOnlineChanged.connect(self._camera_seen)
        screens = QGuiApplication.screens()
        target = next((screen for screen in screens if screen is not self.screen()), self.screen())
        wall.show_on_screen(target, fullscreen=False)
        self.walls.append(wall)
        return wall

    def open_on_wall(self, camera: Camera) -> None:
        """The camera on the first free tile of the last wall opened (a new wall when none is open or free)."""
        wall = next((w for w in reversed(self.walls) if w.isVisible()), None) or self.open_wall()
        free = next((i for i, shown in enumerate(wall.cameras()) if shown is None), None)
        if free is None:
            wall = self.open_wall()
            free = 0
        wall.assign(free, camera)

    def fill_wall_nearest(self) -> None:
        incident = self.live.state["incidents"].get(self.selected_incident or "")
        if incident is None:
            self.notify(self.tr("Select an incident first: the wall fills with the cameras nearest to it."))
            return
        wall = next((w for w in reversed(self.walls) if w.isVisible()), None) or self.open_wall()
        cameras = [Camera.from_dict(c) for c in self.live.state["cameras"].values() if c["online"]]
        wall.fill_nearest(cameras, incident["lon"], incident["lat"])

    def _camera_seen(self, camera_id: str, online: bool) -> None:
        """A wall saw a camera go live or dark: tell the server, so every console's map and rate follow."""
        camera = self.live.state["cameras"].get(camera_id)
        if camera is not None and camera.get("state", "unknown") != ("online" if online else "offline"):
            self.send("camera.status", {"camera_id": camera_id, "online": online}, ("cameras", camera_id))

    # ---- alarms ----------------------------------------------------------------------------------

    def alarm_place(self, alarm: dict) -> str:
        """Where an alarm is, in words: the nearest address (a replay, which has no geocoder: its grid cell)."""
        key = (alarm["alarm_id"], alarm["lon"], alarm["lat"])
        if key not in self._alarm_places:
            grid = self.tr("grid cell {0}").format(alarm.get("grid_id") or "-")
            address = self.geocoder.reverse(alarm["lon"], alarm["lat"]) if self.geocoder is not None else None
            self._alarm_places[key] = f"{address.label} ({grid})" if address is not None else grid
        return self._alarm_places[key]

    def _show_alarms(self, changes: Changes) -> None:
        """The alarm layer and lists follow the state; a new alarm is announced with its tone (and its
        cameras go on a wall when the dispatcher asked for that)."""
        alarms = self.live.alarms()
        if self.city is not None:
            layer = self.canvas.alarms_layer
            if changes.reset:
                layer.set_records(list(alarms.values()))
            else:
                gone = [a for a in changes.alarms if a not in alarms and layer.row(a) is not None]
                if gone:
                    layer.remove(gone)
                layer.upsert([alarms[a] for a in changes.alarms if a in alarms])
        if self.known_alarms is not None and not changes.reset and not changes.jumped:
            for alarm_id in sorted(set(changes.alarms) - self.known_alarms):
                alarm = alarms.get(alarm_id)
                if alarm is None or alarm["status"] != "raised":
                    continue
                self.notify(self.tr("ALARM {0}: {1} from device {2}, {3}").format(
                    alarm_id, word(alarm["kind"]), alarm["device_id"], self.alarm_place(alarm)), ("alarms", alarm_id))
                self.alerts.alert("alarm")
                if self.alarm_cameras_automatically and not self.read_only:
                    self.show_alarm_cameras(alarm_id)
        self.known_alarms = set(alarms)
        self._refresh_alarms()

    def _refresh_alarms(self) -> None:
        """The banner and the Alarms dock at the clock's instant; an alarm going overdue alerts again, louder,
        and a supervisor's console says so."""
        now = self.clock.now()
        open_alarms = sorted((a for a in self.live.alarms().values() if a["status"] in ("raised", "acknowledged")),
                             key=lambda a: (a["raised_ts"], a["alarm_id"]))
        overdue = {a["alarm_id"] for a in open_alarms if self.live.alarm_overdue(a, now)}
        self.alarm_banner.show_alarms(open_alarms, now, overdue)
        self.alarms_panel.show_alarms(open_alarms, now, overdue)
        if self.alarms_overdue_shown is not None:
            for alarm_id in sorted(overdue - self.alarms_overdue_shown):
                self.alerts.alert("alarm_overdue")
                if self.role == "supervisor":
                    self.notify(self.tr("Alarm {0} has not been acknowledged for {1} s").format(
                        alarm_id, f"{self.live.realert_s:g}"), ("alarms", alarm_id))
        self.alarms_overdue_shown = overdue

    def open_watchlist(self) -> WatchlistDialog:
        if self.watchlist_dialog is None:
            self.watchlist_dialog = WatchlistDialog(self, self)
        self.watchlist_dialog.refresh()
        self.watchlist_dialog.show()
        self.watchlist_dialog.raise_()
        return self.watchlist_dialog

    def checkpoint_name(self, checkpoint_id: str) -> str:
        checkpoint = self.live.state["checkpoints"].get(checkpoint_id)
        return f"{checkpoint['name']} ({checkpoint_id})" if checkpoint and checkpoint.get("name") else checkpoint_id

    def _show_hits(self, changes: Changes) -> None:
        """The hit banner follows the state; a new hit is announced with the alarm's tone."""
        hits = self.live.hits()
        if self.known_hits is not None and not changes.reset and not changes.jumped:
            for hit_id in sorted(set(changes.hits) - self.known_hits):
                hit = hits.get(hit_id)
                if hit is None or hit["status"] != "open":
                    continue
                self.notify(self.tr("WATCHLIST HIT {0}: {1} at checkpoint {2} ({3})").format(
                    hit_id, hit["display"], self.checkpoint_name(hit["checkpoint_id"]), hit["match"]))
                self.alerts.alert("alarm")
        self.known_hits = set(hits)
        self._refresh_hits()

    def _refresh_hits(self) -> None:
        self.hit_banner.show_hits(sorted(self.live.hits().values(), key=lambda h: (h["hit_ts"], h["hit_id"])),
                                  self.clock.now())

    def accept_hit(self, hit_id: str, intercept: bool) -> str | None:
        """Accepted; with `intercept`, the server makes an intercept incident at the checkpoint too."""
        return self.send("hit.accept", {"hit_id": hit_id, "intercept": intercept})

    def reject_hit_dialog(self, hit_id: str) -> HitDialog | None:
        hit = self.live.hits().get(hit_id)
        if hit is None:
            return None
        dialog = HitDialog(hit, self)
        dialog.submitted.connect(lambda args: self.send("hit.reject", args))
        dialog.open()
        self.hit_dialog = dialog
        return dialog

    def show_hit_cameras(self, hit_id: str) -> Wall | None:
        """The checkpoint's cameras the server named with the hit, on the last wall opened or a new one."""
        hit = self.live.hits().get(hit_id) or {}
        cameras = self.live.state["cameras"]
        chosen = [Camera.from_dict(cameras[c]) for c in hit.get("camera_ids", ()) if c in cameras]
        if not chosen:
            self.notify(self.tr("Hit {0} has no camera near its checkpoint that is not offline").format(hit_id))
            return None
        wall = next((w for w in reversed(self.walls) if w.isVisible()), None) or self.open_wall()
        wall.fill(chosen)
        return wall

    def acknowledge_alarm_dialog(self, alarm_id: str) -> AlarmDialog | None:
        return self._alarm_dialog(alarm_id, "alarm.acknowledge", false_alarm=False)

    def false_alarm_dialog(self, alarm_id: str) -> AlarmDialog | None:
        return self._alarm_dialog(alarm_id, "alarm.close_false", false_alarm=True)

    def _alarm_dialog(self, alarm_id: str, cmd: str, false_alarm: bool) -> AlarmDialog | None:
        alarm = self.live.alarms().get(alarm_id)
        if alarm is None:
            return None
        dialog = AlarmDialog(alarm, false_alarm, self)
        dialog.submitted.connect(lambda args: self.send(cmd, args, ("alarms", alarm_id)))
        dialog.open()  # window-modal without a nested event loop
        self.alarm_dialog = dialog
        return dialog

    def alarm_to_incident(self, alarm_id: str) -> str | None:
        """One click: the server fills the incident from the alarm (kind, priority, position, words)."""
        return self.send("alarm.to_incident", {"alarm_id": alarm_id}, ("alarms", alarm_id))

    def show_alarm_cameras(self, alarm_id: str) -> Wall | None:
        """The cameras the server named with the alarm (nearest first) on the last wall opened, or a new one."""
        alarm = self.live.alarms().get(alarm_id)
        cameras = self.live.state["cameras"]
        chosen = [Camera.from_dict(cameras[c]) for c in (alarm or {}).get("camera_ids", ()) if c in cameras]
        if not chosen:
            self.notify(self.tr("Alarm {0} has no camera near it that is not offline").format(alarm_id),
                        ("alarms", alarm_id))
            return None
        wall = next((w for w in reversed(self.walls) if w.isVisible()), None) or self.open_wall()
        wall.fill(chosen)
        return wall

    def show_alarm_media(self, alarm_id: str) -> None:
        """What the device streams (a panic app's live audio or video) on a free tile of a wall. Only the roles
        that receive media URLs have the button (dispatch/privacy.py)."""
        alarm = self.live.alarms().get(alarm_id) or {}
        if alarm.get("media_url"):
            self.open_on_wall(Camera(f"{alarm_id}-media", self.tr("Alarm {0}: device {1}").format(
                alarm_id, alarm["device_id"]), alarm["media_url"], alarm.get("lon"), alarm.get("lat")))

    def _mark_overdue(self) -> None:
        now = self.clock.now()
        overdue = {i for i, inc in self.live.state["incidents"].items()
                   if inc["status"] != "closed" and self.live.timers(inc, now).overdue}  # closed ones never are
        self.canvas.set_overdue_incidents(sorted(overdue))
        if self.overdue_shown is not None:  # what was overdue when the console opened was never news
            for incident_id in sorted(overdue - self.overdue_shown):
                self.notify(self.tr("{0} is overdue").format(incident_id), ("incidents", incident_id))
                self.alerts.alert("overdue")
        self.overdue_shown = overdue

    def _tick(self) -> None:
        self.clock_label.setText(time.strftime("%H:%M:%S", time.localtime(self.clock.now())))
        self.queue.tick()
        self.board.tick()
        if self.link_down is not None:
            self.link_banner.show_down(self.link_down[0], self.clock.now(), *self.link_down[1:])
        if self.city is not None:
            self._mark_overdue()
        self._refresh_alarms()
        if self.hit_banner.count:
            self._refresh_hits()  # the ages
        if self.selected_incident:
            self._show_details()
        self.case_queue.tick()
        if self.city is not None:
            self._mark_overdue_cases()
            if (self.grid_figure in RATE_FIGURES and not self._grid_figure_timer.isActive()
                    and month_span(self.clock.now(), self.case_zone) != self.case_month):
                self._grid_figure_timer.start()  # a new month (midnight, or a replay's seek): its rates
        if self.selected_case:
            self.case_details.show_case(self.live.state.get("cases", {}).get(self.selected_case))

    def _city_loaded(self, pack) -> None:
        self.city = pack
        self.case_names.set_city(pack)
        self.case_queue.fill_choices()
        self.board.set_station_names(dict(zip(pack.stations["station_id"], pack.stations["name"])))
        if not self.read_only:  # routes and addresses serve commands (2 s for a big city): a replay sends none
            self.router = StreetRouter(pack.streets)
            self.geocoder = Geocoder(pack.streets, pack.places, pack.areas)
            completer = QCompleter(["assign", "status", "close", "new", "find"] + self.geocoder.names(), self)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            self.command_line.setCompleter(completer)
        self._show(Changes(reset=True))
        self._show_cases(None)
        if self.followed_unit:
            self.follow(self.followed_unit)
        # The city (street graph, map layers) lives as long as the window: frozen out of the garbage
        # collector, full collections no longer walk it (they paused the map ~100 ms with a large city).
        gc.freeze()

    # ---- acting ----------------------------------------------------------------------------------

    def send(self, cmd: str, args: dict, concerning: tuple[str, str] | None = None) -> str | None:
        """Send a command, or say at once, next to what it concerned, that it was not sent."""
        if self.read_only:
            self.notify(self.tr("This is a replay: nothing is sent"), concerning)
            return None
        cmd_id = self.link.send(cmd, args)
        if cmd_id is None:
            self.notify(self.tr("Not connected to the server: the {0} was not sent").format(self.command_words(cmd)),
                        concerning)
        else:
            self.pending[cmd_id] = (cmd, args, concerning)
        return cmd_id

    def command_words(self, cmd: str) -> str:
        return {"unit.assign": self.tr("assignment"), "unit.status": self.tr("status change"),
                "incident.create": self.tr("new incident"), "incident.close": self.tr("closing"),
                "incident.note": self.tr("note"),
                "camera.status": self.tr("camera report"), "alarm.acknowledge": self.tr("acknowledgement of an alarm"),
                "alarm.to_incident": self.tr("incident from an alarm"), "alarm.close_false": self.tr("false alarm"), "device.attach": self.tr("attachment of a device"),
                "device.detach": self.tr("detachment of a device"), "case.report": self.tr("new grid case")
                }.get(cmd, self.tr("step of a grid case") if cmd.startswith("case.") else self.tr("command"))

    def _replied(self, cmd_id: str, reply: dict) -> None:
        if self.history.owns(cmd_id):
            self.history.replied(cmd_id, reply)
            return
        cmd, args, concerning = self.pending.pop(cmd_id, ("", {}, None))
        if reply["op"] == "nack":
            self.notify(self.explain(cmd, args, reply), concerning)
        elif cmd in ("incident.create", "alarm.to_incident"):
            incident_id = reply.get("incident_id")
            if incident_id is not None:  # a server older than the ack's incident_id names nothing to select
                self.select_incident(incident_id)
        elif cmd == "case.report":
            self.case_to_select = reply.get("case_id")  # selected as its event comes, or now if it came first
            if self.case_to_select in self.live.state.get("cases", {}):
                self.select_case(self.case_to_select)
                self.case_to_select = None
        if reply["op"] == "ack":
            self.log_done(cmd, args, reply)

    def log_done(self, cmd: str, args: dict, reply: dict) -> None:
        """A line in Messages for what the server accepted, so the shift's work leaves a trace."""
        units = self.live.state["units"]
        unit = units.get(args.get("unit_id", ""), {})
        name = unit.get("callsign") or args.get("unit_id", "")
        text = {
            "unit.assign": lambda: self.tr("{0} assigned to {1}").format(name, args.get("incident_id")),
            "unit.status": lambda: self.tr("{0} is {1}").format(name, word(args.get("status", ""))),
            "incident.create": lambda: self.tr("Created {0}: {1} {2}").format(
                reply.get("incident_id", ""), word(args.get("kind", "")), args.get("address") or ""),
            "incident.close": lambda: self.tr("{0} closed").format(args.get("incident_id")),
            "alarm.acknowledge": lambda: self.tr("Alarm {0} acknowledged").format(args.get("alarm_id")),
            "alarm.to_incident": lambda: self.tr("Alarm {0} is incident {1}").format(
                args.get("alarm_id"), reply.get("incident_id", "")),
            "alarm.close_false": lambda: self.tr("Alarm {0} closed as false").format(args.get("alarm_id")),
            "case.report": lambda: self.tr("Reported grid case {0}").format(reply.get("case_id", "")),
        }.get(cmd)
        if text is None and cmd in CASE_STEP_WORDS:
            step = CASE_STEP_WORDS[cmd] if args.get("passed", True) else "verification failed"
            text = lambda: self.tr("Case {0}: {1}").format(args["case_id"], word(step))  # noqa: E731
        if text is not None:
            line = f"{self._stamp()}  ✓ {text().strip()}"
            if reply.get("duplicate"):  # sent again after the link fell: done once, the first time
                line += self.tr(" (done before the link fell; not done twice)")
            self._say(line)
            self.messages_shown.append(line)

    def explain(self, cmd: str, args: dict, reply: dict) -> str:
        reason = {
            "conflict": self.tr("Not possible now"),
            "forbidden": self.tr("Not allowed for your role"),
            "invalid_transition": self.tr("Not allowed in this state"),
            "not_found": self.tr("Not found"),
            "bad_request": self.tr("Invalid"),
            "rate_limited": self.tr("Too many commands"),
            "disconnected": self.tr("Connection lost"),
        }.get(reply["code"], reply["code"])
        if cmd == "unit.assign" and reply["code"] == "conflict":
            unit = self.live.state["units"].get(args.get("unit_id"), {})
            if unit:  # said in the console's language, from the state the server's refusal reflects
                where = f" → {unit['incident_id']}" if unit.get("incident_id") else ""
                return f"{reason}: " + self.tr("unit {0} is {1}{2}, not available").format(
                    unit.get("callsign") or unit["unit_id"], word(unit["status"]), where)
        if cmd.startswith("case.") and reply["code"] == "invalid_transition":
            case = self.live.state.get("cases", {}).get(args.get("case_id"), {})
            if case:  # what the case is now, in the console's words (another desk may have moved it)
                return f"{reason}: " + self.tr("case {0} is {1} now").format(case["case_id"],
                                                                            code_words(case["status"]))
        return f"{reason}: {reply['message']}"

    def _stamp(self) -> str:
        """The clock's time of day, local, for the message list (a replay's messages carry the replayed time)."""
        return time.strftime("%H:%M:%S", time.localtime(self.clock.now()))

    def _say(self, line: str) -> None:
        """A line at the top of the message list; the oldest go past MAX_MESSAGES."""
        self.messages.insertItem(0, line)
        while self.messages.count() > MAX_MESSAGES:
            self.messages.takeItem(self.messages.count() - 1)

    def notify(self, text: str, concerning: tuple[str, str] | None = None) -> None:
        """Tell the dispatcher in words: status bar, message list, and a callout on the map at the object."""
        stamp = self._stamp()
        self._say(f"{stamp}  {text}")
        self.messages_shown.append(text)
        self.statusBar().showMessage(text, CALLOUT_MS)
        if concerning is None:
            return
        layer, feature_id = concerning
        if layer == "incidents" and feature_id == self.selected_incident:
            self.details.show_message(text)
        if layer == "cases" and feature_id == self.selected_case:
            self.case_details.show_message(text)
        record = self.live.state.get(layer, {}).get(feature_id)
        if record is not None and self.city is not None:
            self._callout(text, record["lon"], record["lat"])

    def _callout(self, text: str, lon: float, lat: float) -> None:
        label = QLabel(text, self.canvas.view)
        label.setObjectName("callout")
        label.setWordWrap(True)
        label.setMaximumWidth(360)
        label.setStyleSheet("background: #fef2f2; color: #991b1b; border: 2px solid #dc2626; "
                            "border-radius: 6px; padding: 6px; font-weight: bold;")
        label.adjustSize()
        point = self.canvas.lonlat_to_screen(lon, lat).toPoint()
        label.move(point + QPoint(14, -label.height() - 14))
        label.show()
        label.raise_()
        QTimer.singleShot(CALLOUT_MS, label.deleteLater)
        self._callouts = [c for c in self._callouts if shiboken6.isValid(c)] + [label]
        while len(self._callouts) > MAX_CALLOUTS:
            self._callouts.pop(0).deleteLater()

    def assign(self, unit_id: str, incident_id: str) -> None:
        self.canvas.highlight_units([])
        self.board.highlight([])
        self.send("unit.assign", {"unit_id": unit_id, "incident_id": incident_id}, ("incidents", incident_id))

    def create_incident(self, args: dict) -> str | None:
        return self.send("incident.create", args)

    @property
    def dispositions(self) -> list[dict]:
        """The city pack's disposition codes (the server's, as it loads the same pack)."""
        return self.city.meta["dispositions"] if self.city is not None else list(DEFAULT_DISPOSITIONS)

    def disposition_words(self, code: str) -> str:
        """A disposition code as the dispatcher reads it (a code outside the pack, e.g. an old log's, as it is)."""
        known = next((d for d in self.dispositions if d["code"] == code), None)
        return disposition_label(known) if known is not None else code

    @property
    def run_cards(self) -> dict[str, list[dict]]:
        return self.city.meta["run_cards"] if self.city is not None else DEFAULT_RUN_CARDS

    def recommendations(self, incident_id: str, limit: int = RECOMMENDATIONS) -> list[Recommendation]:
        if incident_id not in self.live.state["incidents"]:
            return []
        return recommend(self.live.state, incident_id, self.router, limit, self.run_cards)

    def _drag_over(self, unit_id: str, incident_id: str) -> None:
        if not incident_id:
            self.canvas.highlight_units([])
            self.board.highlight([])
            return
        recs = self.recommendations(incident_id)
        ids = [r.unit_id for r in recs]
        self.canvas.highlight_units(ids)
        self.board.highlight(ids)
        if recs:
            self.statusBar().showMessage(self.tr("Recommended for {0}: {1}").format(
                incident_id, ", ".join(f"{r.callsign} ({r.eta_s / 60:.0f} min)" for r in recs)), CALLOUT_MS)

    def select_incident(self, incident_id: str) -> None:
        self.selected_incident = incident_id
        self.queue.select(incident_id)
        if self.city is not None and self.canvas.incidents_layer.row(incident_id) is not None:
            self.canvas.select("incidents", incident_id)
        self._show_details()
        self.history.show_incident(incident_id)

    def _show_details(self) -> None:
        # Every available unit: a unit the dispatcher is aiming at keeps its button with a fresh ETA.
        # A replay offers no unit to assign: nothing to rank.
        ranking = [] if self.read_only else self.recommendations(self.selected_incident or "",
                                                                  len(self.live.state["units"]))
        self.details.show_incident(self.selected_incident, ranking, RECOMMENDATIONS)
        incident = self.live.state["incidents"].get(self.selected_incident or "")
        open_incident = incident is not None and incident["status"] != "closed"
        self.details.needs.show_needs(needs_of(self.live.state, incident["incident_id"], self.run_cards)
                                      if open_incident else [])

    def _map_selected(self, layer: str, feature_id: str) -> None:
        if layer == "units":
            self.selected_unit = feature_id
        if layer == "cases" and feature_id != self.selected_case:
            self.select_case(feature_id)
        if layer == "incidents" and feature_id != self.selected_incident:
            self.select_incident(feature_id)
        self.alarms_panel.select(feature_id if layer == "alarms" else None)
        if layer == "alarms":
            self.docks()["alarms"].raise_()

    def _board_selected(self, unit_id: str) -> None:
        self.selected_unit = unit_id
        self._find(("units", unit_id))

    def set_unit_status(self, unit_id: str, status: str) -> None:
        self.send("unit.status", {"unit_id": unit_id, "status": status}, ("units", unit_id))

    def _status_key(self, status: str) -> None:
        if self.selected_unit is None:
            self.notify(self.tr("Select a unit first (on the map or the unit board)."))
        else:
            self.set_unit_status(self.selected_unit, status)

    def unit_menu(self, unit_id: str, where: QPoint) -> QMenu:
        """A unit's status without typing: what it is doing, then the statuses it may go to."""
        unit = self.live.state["units"][unit_id]
        self.selected_unit = unit_id
        menu = QMenu(self)
        on = f" → {unit['incident_id']}" if unit.get("incident_id") else ""
        menu.addAction(f"{unit.get('callsign') or unit_id} · {word(unit['status'])}{on}").setEnabled(False)
        for status in ("enroute", "onscene", "available", "busy", "offduty"):
            if status in UNIT_TRANSITIONS[unit["status"]]:
                action = menu.addAction(self.tr("Set {0}").format(word(status)))
                action.setObjectName(f"unit-status-{status}")
                action.triggered.connect(lambda _=False, s=status: self.set_unit_status(unit_id, s))
        following = self.followed_unit == unit_id
        follow = menu.addAction(self.tr("Stop following") if following else self.tr("Follow on the map"))
        follow.setObjectName("unit-follow")
        follow.triggered.connect(lambda: self.follow(None if following else unit_id))
        if self.read_only:  # a replay shows what the unit did; it can change nothing
            menu.popup(where)
            self.context_menu = menu
            return menu
        menu.addSeparator()
        incident = self.live.state["incidents"].get(self.selected_incident or "")
        if unit["status"] == "available" and incident is not None and incident["status"] != "closed":
            menu.addSeparator()
            assign = menu.addAction(self.tr("Assign to {0}").format(incident["incident_id"]))
            assign.triggered.connect(lambda: self.assign(unit_id, incident["incident_id"]))
        menu.popup(where)
        self.context_menu = menu
        return menu

    def _map_menu(self, lon: float, lat: float, where: QPoint) -> None:
        hit = self.canvas.feature_at(QPointF(self.canvas.view.mapFromGlobal(where)), ("units",))
        if hit is not None and hit.feature_id in self.live.state["units"]:
            self.unit_menu(hit.feature_id, where)
            return
        menu = QMenu(self)
        address = self.geocoder.reverse(lon, lat) if self.geocoder is not None else None
        if address is not None:  # where the dispatcher clicked, in words, before anything is chosen
            menu.addAction(address.label).setEnabled(False)
        if not self.read_only:
            new = menu.addAction(self.tr("New incident here…"))
            new.triggered.connect(lambda: self.new_incident_dialog(lon, lat, address))
            case = menu.addAction(self.tr("New grid case here…"))
            case.setObjectName("case-new-here")
            case.triggered.connect(lambda: self.new_case_dialog(lon, lat, address))
        menu.popup(where)
        self.context_menu = menu

    def new_incident_dialog(self, lon: float | None = None, lat: float | None = None,
                            address: Place | None = None) -> NewIncidentDialog:
        dialog = NewIncidentDialog(self.geocoder, self.city.grid_at if self.city else None, lon, lat, self,
                                   address=address, incidents=lambda: self.live.state["incidents"],
                                   now=self.clock.now)
        dialog.submitted.connect(self.create_incident)
        dialog.placeShown.connect(self._pin_place)
        dialog.finished.connect(lambda _result: self._pin_place(None))
        self._pin_place(dialog.location())
        dialog.show()
        self.incident_dialog = dialog
        return dialog

    def _pin_place(self, where: tuple[float, float, str | None] | None) -> None:
        """The map pins where the incident being typed will be, before it is created."""
        if self.city is None:
            return
        self.canvas.show_place(*(where[:2] if where else (None,)))

    def _close_incident_dialog(self, incident_id: str) -> CloseIncidentDialog | None:
        incident = self.live.state["incidents"].get(incident_id)
        if incident is None:
            return None
        dialog = CloseIncidentDialog(incident, self.dispositions, self)
        dialog.submitted.connect(lambda args: self.send("incident.close", args, ("incidents", args["incident_id"])))
        dialog.open()  # window-modal without a nested event loop
        self.close_dialog = dialog
        return dialog

    def _run_typed(self) -> None:
        if self.typed_to_confirm is not None:  # the second Enter: send what was confirmed
            typed = self.typed_to_confirm
            self._end_confirmation()
            self.send(typed.cmd, typed.args, typed.target)
            return
        line = self.command_line.text()
        try:
            typed = parse(line, self.live.state, self.geocoder, self.dispositions)
        except TypedError as error:
            self.notify(str(error))
            return
        self.command_line.clear()
        if typed.action == "find":
            self._find(typed.target)
            return
        if typed.action == "close_dialog":
            self._close_incident_dialog(typed.target[1])
            return
        if typed.confirm:
            self._ask_to_confirm(typed)
            return
        concerning = None
        for layer, key in (("incidents", "incident_id"), ("units", "unit_id")):
            if key in typed.args:
                concerning = (layer, typed.args[key])
                break
        self.send(typed.cmd, typed.args, concerning)

    def _ask_to_confirm(self, typed: Typed) -> None:
        """Closing is final: the command line says what will happen and waits for a second Enter (or Esc)."""
        incident = self.live.state["incidents"][typed.args["incident_id"]]
        label = next(disposition_label(d) for d in self.dispositions if d["code"] == typed.args["disposition"])
        self.typed_to_confirm = typed
        self.command_line.setReadOnly(True)
        self.command_line.setStyleSheet("background: #fef3c7; font-weight: bold;")
        self.command_line.setText(self.tr("Close {0} as {1}? Enter to confirm, Esc to cancel").format(
            incident_title(incident), label))

    def _cancel_typed(self) -> None:
        if self.typed_to_confirm is not None:
            incident_id = self.typed_to_confirm.args["incident_id"]
            self._end_confirmation()
            self.statusBar().showMessage(self.tr("Not closed: {0} stays open").format(incident_id), CALLOUT_MS)
        else:
            self.command_line.clear()

    def _preview_typed(self, line: str) -> None:
        words = line.split()
        if self.typed_to_confirm is not None or not words or VERBS.get(words[0].casefold()) != "new" or "@" not in line:
            self.typed_preview.clear()
            return
        try:
            typed = parse(line, self.live.state, self.geocoder, self.dispositions)
        except TypedError as error:
            self.typed_preview.setStyleSheet("color: #92400e;")
            self.typed_preview.setText(str(error))
            return
        if typed.place is None:
            self.typed_preview.clear()
            return
        grid = self.city.grid_at(typed.place.lon, typed.place.lat) if self.city is not None else None
        self.typed_preview.setStyleSheet("color: #166534; font-weight: bold;")
        self.typed_preview.setText(self.tr("→ {0} — {1} · grid cell {2}").format(
            typed.place.label, precision_words(typed.place), grid or "-"))

    def _end_confirmation(self) -> None:
        self.typed_to_confirm = None
        self.command_line.setReadOnly(False)
        self.command_line.setStyleSheet("")
        self.command_line.clear()

    def follow(self, unit_id: str | None) -> None:
        """Keep the unit centred on the map as it moves, with its status line (None: stop)."""
        self.followed_unit = unit_id if unit_id in self.live.state["units"] else None
        if self.followed_unit is None:
            self.follow_label.clear()
            return
        unit = self.live.state["units"][self.followed_unit]
        self.canvas.center_on(unit["lon"], unit["lat"], 1500)
        self._show_followed()

    def _show_followed(self) -> None:
        unit = self.live.state["units"].get(self.followed_unit or "")
        if unit is None:
            self.follow(None)
            return
        if self.city is not None:
            self.canvas.center_on(unit["lon"], unit["lat"])
        on = f" → {unit['incident_id']}" if unit.get("incident_id") else ""
        speed = f" · {unit['speed'] * 3.6:.0f} km/h" if unit.get("speed") is not None else ""
        self.follow_label.setText(self.tr("Following {0}: {1}{2}{3}").format(
            unit.get("callsign") or unit["unit_id"], word(unit["status"]), on, speed))

    def _find(self, target: tuple[str, str]) -> None:
        layer, feature_id = target
        if layer == "point":
            lon, lat = (float(v) for v in feature_id.split(","))
            self.canvas.center_on(lon, lat, 600)
            return
        record = self.live.state.get(layer, {}).get(feature_id)  # a state from before alarms has none
        if record is not None:
            self.canvas.center_on(record["lon"], record["lat"], 600)
            if self.canvas.layers[layer].model.row(feature_id) is not None:
                self.canvas.select(layer, feature_id)
        if layer == "incidents":
            self.select_incident(feature_id)

    @property
    def connected(self) -> bool:
        return self.link.state == CONNECTED
