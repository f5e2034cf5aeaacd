"""The docks around the map: the incident queue, the unit board and the incident details."""
from __future__ import annotations

import re
import time
from typing import Callable

from PySide6.QtCore import (QT_TRANSLATE_NOOP, QAbstractItemModel, QAbstractTableModel, QCoreApplication, QEvent, QModelIndex, QPoint,
                            QSortFilterProxyModel, Qt, QTimer, Signal)
from PySide6.QtGui import QBrush, QColor, QCursor, QDrag, QFont
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QSizePolicy, QTableView, QTreeView, QVBoxLayout, QWidget)

from console.live import LiveState, epoch, format_duration
from console.words import word
from dispatch.domain import UNIT_TRANSITIONS
from dispatch.procedures import Need
from dispatch.recommend import Recommendation
from map.canvas import units_from_mime, units_mime
from map.i18n import feature_name


PRIORITY_COLORS = {1: QColor(220, 38, 38), 2: QColor(234, 88, 12), 3: QColor(202, 138, 4),
                   4: QColor(37, 99, 235), 5: QColor(100, 116, 139)}
UNIT_STATUS_COLORS = {"available": QColor(22, 163, 74), "dispatched": QColor(234, 88, 12),
                      "enroute": QColor(202, 138, 4), "onscene": QColor(220, 38, 38),
                      "busy": QColor(124, 58, 237), "offduty": QColor(100, 116, 139)}
OVERDUE_COLOR = QColor(220, 38, 38)
STALE_COLOR = QColor(115, 115, 115)  # a unit whose position went stale: its row greyed, as on the map
FIT_MS = 300  # the queue's columns are fitted to new rows this long after they come
REACTION_S = 0.4  # a click sooner than this after a button came to its place was aimed at what was there
NEED_MET_COLOR, NEED_SHORT_COLOR = "#15803d", "#b91c1c"


def unit_kind_name(kind: str) -> str:
    """What a unit kind of the city pack is called in the console's language (unknown kinds as they are)."""
    names = {"patrol": QCoreApplication.translate("UnitKind", "patrol car"),
             "traffic": QCoreApplication.translate("UnitKind", "traffic unit"),
             "fire": QCoreApplication.translate("UnitKind", "fire engine"),
             "ems": QCoreApplication.translate("UnitKind", "ambulance")}
    return names.get(kind, kind)


class IncidentQueueModel(QAbstractTableModel):
    COLUMNS = ("priority", "id", "kind", "status", "grid", "to_dispatch", "to_onscene", "units", "address")

    def __init__(self, live: LiveState, now: Callable[[], float], parent=None):
        """`now()`: the console's clock (the wall clock live, the replayed instant in a replay)."""
        super().__init__(parent)
        self.live = live
        self.rows: list[str] = []
        self._shown: dict[str, tuple] = {}  # incident -> its row's signature, as last shown
        self.now = now

    def headers(self) -> list[str]:
        """Short, so every column fits a 1920 px screen's dock; `header_tips` says them in full."""
        return [self.tr("P"), self.tr("No."), self.tr("Kind"), self.tr("Status"), self.tr("Grid"),
                self.tr("Dispatch"), self.tr("On scene"), self.tr("Units"), self.tr("Address")]

    def header_tips(self) -> list[str]:
        return [self.tr("Priority (P1 most urgent)"), self.tr("Incident number"), self.tr("Kind of incident"),
                self.tr("Status"), self.tr("Grid cell"), self.tr("Time from the call to the first dispatch"),
                self.tr("Time from the first dispatch to the first unit on scene"), self.tr("Units assigned"),
                self.tr("Address")]

    def refresh(self) -> bool:
        """The open incidents, as rows removed, added and changed: never a reset (a reset loses the view's
        place and re-sorts every row; a replay refreshes many times a second)."""
        incidents = self.live.state["incidents"]
        wanted = {i: self._signature(inc) for i, inc in incidents.items() if inc["status"] != "closed"}
        row = len(self.rows) - 1
        while row >= 0:  # from the end, a run of gone rows at a time: the rows before keep their numbers
            if self.rows[row] in wanted:
                row -= 1
                continue
            end = row
            while row > 0 and self.rows[row - 1] not in wanted:
                row -= 1
            self.beginRemoveRows(QModelIndex(), row, end)
            del self.rows[row:end + 1]
            self.endRemoveRows()
            row -= 1
        changed = [row for row, i in enumerate(self.rows) if self._shown.get(i) != wanted[i]]
        present = set(self.rows)
        added = [i for i in wanted if i not in present]
        if added:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(added) - 1)
            self.rows.extend(added)
            self.endInsertRows()
        removed = len(present) != len(self._shown)
        self._shown = wanted
        if changed:
            self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), len(self.COLUMNS) - 1))
        return bool(changed or added or removed)

    def _signature(self, incident: dict) -> tuple:
        """What a row shows but its running timers: a row whose signature is the same is not redrawn."""
        units = self.live.state["units"]
        return (incident["priority"], incident["kind"], incident["status"], incident.get("grid_id"),
                incident.get("dispatched_ts"), incident.get("onscene_ts"), incident.get("address"),
                incident.get("note"), tuple(units[u].get("callsign") or u for u in incident["units"] if u in units))

    def retranslate(self) -> None:
        """Headers and words (kinds, statuses) in the current language."""
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.COLUMNS) - 1)
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(self.COLUMNS) - 1))

    def tick(self) -> None:
        """Timers move every second: repaint their columns only."""
        if self.rows:
            self.dataChanged.emit(self.index(0, 5), self.index(len(self.rows) - 1, 6))

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers()[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return self.header_tips()[section]
        return None

    def incident_at(self, row: int) -> str:
        return self.rows[row]

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        incident = self.live.state["incidents"].get(self.rows[index.row()])
        if incident is None:
            return None
        column = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(incident, column)
        if role == Qt.ItemDataRole.UserRole:  # sort keys
            if column == "priority":
                return incident["priority"]
            if column in ("to_dispatch", "to_onscene"):
                timers = self.live.timers(incident, self.now())
                return timers.to_dispatch_s if column == "to_dispatch" else (timers.to_onscene_s or 0.0)
            return self._text(incident, column)
        if role == Qt.ItemDataRole.BackgroundRole and column == "priority":
            return QBrush(PRIORITY_COLORS[incident["priority"]])
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == "priority":
                return QBrush(QColor("white"))
            if column in ("to_dispatch", "to_onscene"):
                timers = self.live.timers(incident, self.now())
                if timers.dispatch_overdue if column == "to_dispatch" else timers.onscene_overdue:
                    return QBrush(OVERDUE_COLOR)
        if role == Qt.ItemDataRole.FontRole and column in ("to_dispatch", "to_onscene", "id") and \
                self.live.timers(incident, self.now()).overdue:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(t for t in (incident["incident_id"], incident.get("note")) if t)
        return None

    def _text(self, incident: dict, column: str) -> str:
        if column == "priority":
            return f"P{incident['priority']}"
        if column == "id":
            return short_id(incident["incident_id"])
        if column in ("kind", "status"):
            return word(incident[column])
        if column == "grid":
            return incident.get("grid_id") or ""
        if column in ("to_dispatch", "to_onscene"):
            timers = self.live.timers(incident, self.now())
            if column == "to_dispatch":
                return ("⚠ " if timers.dispatch_overdue else "") + format_duration(timers.to_dispatch_s)
            return ("⚠ " if timers.onscene_overdue else "") + format_duration(timers.to_onscene_s)
        if column == "units":
            units = self.live.state["units"]
            return " ".join(units[u].get("callsign") or u for u in incident["units"] if u in units)
        return incident.get("address") or f"{incident['lon']:.5f}, {incident['lat']:.5f}"


class IncidentQueue(QWidget):
    """Open incidents, most urgent first; drop a unit on a row to assign it."""

    selected = Signal(str)
    unitDropped = Signal(str, str)  # unit_id, incident_id
    unitDragOver = Signal(str, str)  # unit_id, incident_id ("" when it leaves)

    def __init__(self, live: LiveState, now: Callable[[], float], parent=None):
        super().__init__(parent)
        self.model = IncidentQueueModel(live, now, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.view = _QueueView(self)
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        # Every column as wide as its contents (`fit_columns`), but the address: last, taking what is left, elided.
        self.view.horizontalHeader().setStretchLastSection(True)
        self._fitted: set[int] = set()  # columns fitted once (from the header's default width) since the start
        self._timers_fitted_at = -1.0
        self._fit_timer = QTimer(self, singleShot=True, interval=FIT_MS)
        self._fit_timer.timeout.connect(self.fit_columns)
        self.view.setAcceptDrops(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.view.clicked.connect(lambda index: self.selected.emit(self.incident_at(index)))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.model.retranslate()
            self._fitted.clear()  # other words, other widths
            self.fit_columns()
        super().changeEvent(event)

    def incident_at(self, proxy_index: QModelIndex) -> str:
        return self.model.incident_at(self.proxy.mapToSource(proxy_index).row())

    def refresh(self) -> None:
        if self.model.refresh() and not self._fit_timer.isActive():
            self._fit_timer.start()  # rows in sight measured once for a burst of changes (0.1 ms a cell)

    def fit_columns(self, columns: range | None = None) -> None:
        """Columns (but the address) at least as wide as their header and the rows in sight. They grow and
        never shrink while the shift goes on: columns that jump make rows hard to follow, and measuring
        hundreds of rows at every change (Qt's ResizeToContents) cost 50 ms a change."""
        header, view = self.view.horizontalHeader(), self.view
        rows = self.proxy.rowCount()
        first = max(0, view.rowAt(0))
        last = view.rowAt(view.viewport().height() - 1)
        last = rows - 1 if last < 0 else last
        grid = 1 if view.showGrid() else 0
        for column in columns if columns is not None else range(len(self.model.COLUMNS) - 1):
            needed = header.sectionSizeFromContents(column).width()
            for row in range(first, last + 1):
                needed = max(needed, view.sizeHintForIndex(self.proxy.index(row, column)).width() + grid)
            if needed > header.sectionSize(column) or column not in self._fitted:
                header.resizeSection(column, needed)
                self._fitted.add(column)

    def tick(self) -> None:
        """Timers move: their cells are redrawn, and their columns widen (checked once a second: a replay
        ticks ten times as often) when a timer passes ten minutes or an hour."""
        self.model.tick()
        if time.monotonic() - self._timers_fitted_at >= 1.0:
            self._timers_fitted_at = time.monotonic()
            self.fit_columns(range(self.model.COLUMNS.index("to_dispatch"), self.model.COLUMNS.index("to_onscene") + 1))

    def row_of(self, incident_id: str) -> int | None:
        if incident_id not in self.model.rows:
            return None
        return self.proxy.mapFromSource(self.model.index(self.model.rows.index(incident_id), 0)).row()

    def select(self, incident_id: str) -> None:
        row = self.row_of(incident_id)
        if row is not None:
            self.view.selectRow(row)


class _QueueView(QTableView):
    def __init__(self, queue: IncidentQueue):
        super().__init__(queue)
        self.queue = queue
        self._over: str = ""

    def _target(self, event) -> tuple[list[str], str]:
        unit_ids = units_from_mime(event.mimeData())
        index = self.indexAt(event.position().toPoint())
        return unit_ids, self.queue.incident_at(index) if index.isValid() else ""

    def dragEnterEvent(self, event):
        if units_from_mime(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event):
        unit_ids, incident_id = self._target(event)
        if not unit_ids:
            return
        if incident_id != self._over:
            self._over = incident_id
            self.queue.unitDragOver.emit(unit_ids[0], incident_id)
        event.setDropAction(Qt.DropAction.LinkAction)
        event.accept()

    def dragLeaveEvent(self, event):
        self._over = ""
        self.queue.unitDragOver.emit("", "")

    def dropEvent(self, event):
        unit_ids, incident_id = self._target(event)
        self._over = ""
        self.queue.unitDragOver.emit("", "")
        if unit_ids and incident_id:
            event.acceptProposedAction()
            for unit_id in unit_ids:  # each assignment is judged on its own by the server
                self.queue.unitDropped.emit(unit_id, incident_id)


class UnitBoardModel(QAbstractItemModel):
    """Units in groups (by status or by station), read from the state when shown: a refresh regroups
    500 units in a millisecond and the view asks only for the rows in sight. Group rows have internal
    id 0; a unit's row has its group's row + 1."""

    COLUMNS = 5

    def __init__(self, live: LiveState, parent=None):
        super().__init__(parent)
        self.live = live
        self.by = "status"
        self.groups: list[str] = []  # group keys, in order
        self.members: dict[str, list[str]] = {}  # group key -> unit ids, by callsign
        self.highlighted: set[str] = set()
        self.station_names: dict[str, str] = {}
        self.headers: list[str] = [""] * self.COLUMNS
        self.tip = "{0}: {1}"
        self.stale: set[str] = set()  # units whose last position went stale (a TAK device's stale time passed)
        self.stale_mark = "{0} (stale)"
        self.stale_tip = "position stale since {0}"

    # ---- structure ---------------------------------------------------------------------------------

    def refresh(self, by: str) -> list[str]:
        """Regroup the units as the state has them now. Returns the groups that were not shown before."""
        units = self.live.state["units"]
        members: dict[str, list[str]] = {}
        for unit in sorted(units.values(), key=lambda u: u.get("callsign") or u["unit_id"]):
            members.setdefault(unit.get(by) or "-", []).append(unit["unit_id"])
        if by == "status":
            groups = list(UNIT_STATUS_COLORS)  # every status, even with no unit: the board keeps its shape
            groups += sorted(k for k in members if k not in UNIT_STATUS_COLORS)
        else:
            groups = sorted(members, key=lambda k: (self.group_title(k), k))
        members = {k: members.get(k, []) for k in groups}
        new = [k for k in groups if k not in self.members]
        if by != self.by or groups != self.groups or members != self.members:
            self._regroup(by, groups, members)
        if self.groups:  # words and highlights may have changed in any row: the view redraws those in sight
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.groups) - 1, self.COLUMNS - 1))
            for row, key in enumerate(self.groups):
                if self.members[key]:
                    parent = self.index(row, 0)
                    self.dataChanged.emit(self.index(0, 0, parent),
                                          self.index(len(self.members[key]) - 1, self.COLUMNS - 1, parent))
        return new

    def _regroup(self, by: str, groups: list[str], members: dict[str, list[str]]) -> None:
        """A layout change that keeps selections, the current row and expanded groups on the same units
        and groups wherever they moved."""
        self.layoutAboutToBeChanged.emit()
        place = {u: (g, r) for g, key in enumerate(groups) for r, u in enumerate(members[key])}
        group_row = {key: g for g, key in enumerate(groups)}
        old_indexes = self.persistentIndexList()
        new_indexes = []
        for index in old_indexes:
            key_or_unit = self._what(index)
            if index.internalId() == 0:
                g = group_row.get(key_or_unit) if by == self.by else None
                new_indexes.append(QModelIndex() if g is None else self.createIndex(g, index.column(), 0))
            else:
                g, r = place.get(key_or_unit, (None, None))
                new_indexes.append(QModelIndex() if g is None else self.createIndex(r, index.column(), g + 1))
        self.by, self.groups, self.members = by, groups, members
        self.changePersistentIndexList(old_indexes, new_indexes)
        self.layoutChanged.emit()

    def _what(self, index: QModelIndex) -> str:
        """A group row's key, a unit row's unit id."""
        if index.internalId() == 0:
            return self.groups[index.row()]
        return self.members[self.groups[index.internalId() - 1]][index.row()]

    def index(self, row: int, column: int, parent: QModelIndex = QModelIndex()) -> QModelIndex:
        if not parent.isValid():
            return self.createIndex(row, column, 0) if 0 <= row < len(self.groups) else QModelIndex()
        if parent.internalId() != 0 or not 0 <= row < len(self.members[self.groups[parent.row()]]):
            return QModelIndex()
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index: QModelIndex = QModelIndex()) -> QModelIndex:
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        if not parent.isValid():
            return len(self.groups)
        if parent.internalId() == 0 and parent.column() == 0:
            return len(self.members[self.groups[parent.row()]])
        return 0

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return self.COLUMNS

    def unit_index(self, unit_id: str) -> QModelIndex | None:
        for g, key in enumerate(self.groups):
            if unit_id in self.members[key]:
                return self.createIndex(self.members[key].index(unit_id), 0, g + 1)
        return None

    # ---- what a row shows --------------------------------------------------------------------------

    def group_title(self, key: str) -> str:
        if self.by == "status":
            return word(key)
        return feature_name(self.station_names.get(key, key))

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def flags(self, index: QModelIndex):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.internalId() != 0 and self.live.state["units"][self._what(index)]["status"] == "available":
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if index.internalId() == 0:
            key = self.groups[index.row()]
            if index.column() != 0:
                return None
            if role == Qt.ItemDataRole.DisplayRole:
                return f"{self.group_title(key)} ({len(self.members[key])})"
            if role == Qt.ItemDataRole.ForegroundRole and self.by == "status" and key in UNIT_STATUS_COLORS:
                return QBrush(UNIT_STATUS_COLORS[key])
            if role == Qt.ItemDataRole.UserRole + 1:
                return key
            return None
        unit = self.live.state["units"].get(self._what(index))
        if unit is None:
            return None
        column = index.column()
        name = unit.get("callsign") or unit["unit_id"]
        stale = unit["unit_id"] in self.stale
        if role == Qt.ItemDataRole.DisplayRole:
            station = unit.get("station") or ""
            if stale:
                name = self.stale_mark.format(name)
            return (("★ " if unit["unit_id"] in self.highlighted else "") + name,
                    unit_kind_name(unit.get("kind") or ""), word(unit["status"]), unit.get("incident_id") or "",
                    feature_name(self.station_names.get(station, station)))[column]
        if role == Qt.ItemDataRole.UserRole and column == 0:
            return unit["unit_id"]
        if role == Qt.ItemDataRole.ForegroundRole and column == 2:
            return QBrush(UNIT_STATUS_COLORS[unit["status"]])
        if role == Qt.ItemDataRole.ForegroundRole and stale:
            return QBrush(STALE_COLOR)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = self.tip.format(name, unit_kind_name(unit.get("kind") or ""))
            if stale:
                since = time.strftime("%H:%M:%S", time.localtime(epoch(unit["pos_stale"])))
                tip += "\n" + self.stale_tip.format(since)
            return tip
        return None


class UnitBoard(QWidget):
    """Units grouped by status or by station; drag a unit onto an incident to assign it."""

    selected = Signal(str)
    menuRequested = Signal(str, QPoint)  # unit_id, global position

    def __init__(self, live: LiveState, clock: Callable[[], float], parent=None):
        super().__init__(parent)
        self.live = live
        self.clock = clock
        self.group = QComboBox(self)
        self.group.addItem("", "status")
        self.group.addItem("", "station")
        self.group.currentIndexChanged.connect(self.refresh)
        self.model = UnitBoardModel(live, self)
        self.view = _BoardView(self)
        self.view.setModel(self.model)
        self.view.setHeaderHidden(False)
        self.view.setDragEnabled(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.clicked.connect(self._clicked)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.group)
        layout.addWidget(self.view)
        self._fitted_units: set[str] = set()
        self.retranslate()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.group.setItemText(0, self.tr("By status"))
        self.group.setItemText(1, self.tr("By station"))
        self.model.headers = [self.tr("Unit"), self.tr("Kind"), self.tr("Status"), self.tr("Incident"),
                              self.tr("Station")]
        self.model.tip = self.tr("{0}: {1}")
        self.model.stale_mark = self.tr("{0} (stale)")
        self.model.stale_tip = self.tr("position stale since {0}")
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, UnitBoardModel.COLUMNS - 1)
        self.refresh()

    def _clicked(self, index: QModelIndex) -> None:
        unit_id = index.siblingAtColumn(0).data(Qt.ItemDataRole.UserRole)
        if unit_id:
            self.selected.emit(unit_id)

    def _menu(self, pos) -> None:
        unit_id = self.view.indexAt(pos).siblingAtColumn(0).data(Qt.ItemDataRole.UserRole)
        if unit_id:
            self.menuRequested.emit(unit_id, self.view.viewport().mapToGlobal(pos))

    def highlight(self, unit_ids) -> None:
        self.model.highlighted = set(unit_ids)
        self.refresh()

    def set_station_names(self, names: dict[str, str]) -> None:
        self.model.station_names = names
        self.refresh()

    def tick(self) -> None:
        """Mark the units whose positions went stale since the last tick (time passing changes no state)."""
        now = self.clock()
        stale = {u["unit_id"] for u in self.live.state["units"].values()
                 if u.get("pos_stale") and epoch(u["pos_stale"]) <= now}
        if stale != self.model.stale:
            self.model.stale = stale
            self.refresh()
            self.view.resizeColumnToContents(0)  # "(stale)" fits

    def refresh(self) -> None:
        for key in self.model.refresh(self.group.currentData() or "status"):
            row = self.model.groups.index(key)  # a group new to the board opens, its title across the row
            self.view.setFirstColumnSpanned(row, QModelIndex(), True)  # (kept where regrouping moves it)
            self.view.setExpanded(self.model.index(row, 0), True)
        units = self.live.state["units"].keys()
        if units != self._fitted_units:  # other units (a city, a reset): the callsigns' column fits them
            self._fitted_units = set(units)
            self.view.resizeColumnToContents(0)

    def row_index(self, unit_id: str) -> QModelIndex | None:
        return self.model.unit_index(unit_id)


class _BoardView(QTreeView):
    def startDrag(self, actions):
        """Drags every selected available unit (Ctrl/Shift-click selects several: an engine and an
        ambulance for one fire, in one drop)."""
        rows = [index.siblingAtColumn(0) for index in self.selectionModel().selectedRows(0)] or [
            self.currentIndex().siblingAtColumn(0)]
        draggable = [index for index in rows if index.data(Qt.ItemDataRole.UserRole)
                     and index.flags() & Qt.ItemFlag.ItemIsDragEnabled]
        if not draggable:
            return
        drag = QDrag(self)
        drag.setMimeData(units_mime([index.data(Qt.ItemDataRole.UserRole) for index in draggable],
                                    [index.data().lstrip("★ ") for index in draggable]))
        drag.exec(Qt.DropAction.LinkAction | Qt.DropAction.CopyAction)


class AimedButton(QPushButton):
    """A button that knows when it last came to where it is on the screen: a click sooner than REACTION_S
    after that was aimed at whatever was there before, and is refused (`clicked_in_time`)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a mouse click must not leave the focus holding
        self.arrived_at = time.monotonic()
        self._seen_at: QPoint | None = None

    def _note_place(self) -> None:
        place = self.mapToGlobal(QPoint(0, 0))
        if place != self._seen_at:
            self._seen_at = place
            self.arrived_at = time.monotonic()

    def moveEvent(self, event) -> None:
        super().moveEvent(event)
        self._note_place()

    def paintEvent(self, event) -> None:  # a move of a parent shows here: the button is painted anew
        self._note_place()
        super().paintEvent(event)

    def clicked_in_time(self) -> bool:
        self._note_place()
        return time.monotonic() - self.arrived_at >= REACTION_S


class RecommendedUnits(QWidget):
    """One-click assign buttons for the best units of one incident.

    A button is bound to one unit for its whole life: its text only ever names that unit, so a click assigns
    the unit it reads. While the dispatcher is aiming (`holding()` true: the pointer or the keyboard focus on
    the incident details), nothing moves: a new ranking changes the rank numbers on the buttons and shows a
    notice, and the buttons take their new order when the dispatcher looks away (`release()`)."""

    assignRequested = Signal(str)  # unit_id
    clickRefused = Signal(str)  # why, in words

    def __init__(self, holding, parent=None):
        super().__init__(parent)
        self.holding = holding
        self.title = QLabel(self)
        self.notice = QLabel(self)
        self.notice.setObjectName("ranking-changed")
        self.notice.setStyleSheet("color: #92400e; font-style: italic;")
        self.notice.setWordWrap(True)
        # Always as tall as its buttons need: a layout short of room squeezed the buttons (3 px each),
        # moving them under the pointer.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)
        # One click for everything the run card needs (an engine and an ambulance for a fire): bound, like
        # the unit buttons, to the units it names.
        self.card = AimedButton(self)
        self.card.setObjectName("assign-run-card")
        self.card.clicked.connect(self._card_clicked)
        self.card_units: list[str] = []  # bound while the dispatcher aims
        self.card_named: list[str] = []  # what the card button's text names: exactly what a click assigns
        for widget in (self.title, self.card, self.notice):  # shown or hidden, they keep their room: no move
            policy = widget.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            widget.setSizePolicy(policy)
        self.box.addWidget(self.title)
        self.box.addWidget(self.card)  # unit buttons go in above it
        self.box.addWidget(self.notice)  # stays last: shown or hidden, it moves no button
        self.buttons: dict[str, QPushButton] = {}  # unit -> its button, in the order shown
        self.incident_id: str | None = None
        self.limit = 5
        self.ranking: list[Recommendation] = []
        self._show_nothing()
        self.retranslate()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Recommended units"))
        self.notice.setText(self.tr("The ranking changed: the order follows when the pointer leaves"))
        self._label_all()

    def show_ranking(self, incident_id: str | None, ranking: list[Recommendation], limit: int) -> None:
        """`ranking`: every available unit, best first. The best `limit` are offered; a unit already on a
        button keeps its button (with its fresh ETA or as no longer available) while the dispatcher aims."""
        self.limit = limit
        self.ranking = ranking
        if incident_id != self.incident_id:
            self.incident_id = incident_id
            self._clear()
        wanted = [rec.unit_id for rec in ranking[:limit]]
        card = [rec.unit_id for rec in ranking if rec.need]
        if not self.holding() or not self.buttons:
            self._order(wanted)
            self.card_units = card
        self._label_all()
        self.notice.setVisible(list(self.buttons) != wanted or self.card_units != card)
        self.title.setVisible(bool(self.buttons))

    def release(self) -> None:
        """The dispatcher looked away: the buttons take the latest ranking's order."""
        if self.notice.isVisible():
            self.show_ranking(self.incident_id, self.ranking, self.limit)

    def clear(self) -> None:
        self.incident_id = None
        self.ranking = []
        self._clear()
        self._show_nothing()

    def _show_nothing(self) -> None:
        self.title.setVisible(False)
        self.notice.setVisible(False)
        self.card.setVisible(False)
        self.card_units, self.card_named = [], []

    def _clear(self) -> None:
        for button in self.buttons.values():
            self.box.removeWidget(button)
            button.hide()  # at once: deleteLater waits for the event loop, and a stale button must not show
            button.deleteLater()
        self.buttons = {}

    def _order(self, wanted: list[str]) -> None:
        for unit_id in [u for u in self.buttons if u not in wanted]:
            button = self.buttons.pop(unit_id)
            self.box.removeWidget(button)
            button.hide()
            button.deleteLater()
        for row, unit_id in enumerate(wanted, start=1):
            button = self.buttons.pop(unit_id, None) or self._button(unit_id)
            self.box.removeWidget(button)
            self.box.insertWidget(row, button)
            self.buttons[unit_id] = button
        self._place_now()

    def _place_now(self) -> None:
        """The buttons go to their new places now, not at the next layout pass: a pointer arriving in between
        was over the button about to leave, and the click then went to the one coming (1 in ~500 clicks)."""
        for button in self.buttons.values():
            button.show()  # a button new to a shown layout would show at the next pass only
        self.resize(self.width(), self.sizeHint().height())  # room for every button, or the layout squeezes them
        self.box.activate()

    def _button(self, unit_id: str) -> QPushButton:
        button = AimedButton(self)
        button.setObjectName(f"recommend-{unit_id}")
        button.setProperty("unit_id", unit_id)
        button.clicked.connect(lambda _=False, u=unit_id, b=button: self._clicked(b, [u]))
        return button

    def _card_clicked(self) -> None:
        self._clicked(self.card, list(self.card_named))

    def _clicked(self, button: AimedButton, unit_ids: list[str]) -> None:
        if not button.clicked_in_time():
            # The button came here (moved, or now names other units) just before the click: it was aimed
            # at what was here before.
            self.clickRefused.emit(self.tr("The list changed just before your click: nothing was assigned. "
                                           "Check the unit and click again."))
            return
        for unit_id in unit_ids:  # each assignment is judged on its own by the server
            self.assignRequested.emit(unit_id)

    def _label_all(self) -> None:
        ranks = {rec.unit_id: (rank, rec) for rank, rec in enumerate(self.ranking, start=1)}
        named = [u for u in self.card_units if u in ranks]
        if named != self.card_named:
            self.card.arrived_at = time.monotonic()  # it names other units now: as if it had just come
        self.card_named = named
        self.card.setVisible(len(self.card_named) > 1)
        self.card.setText(self.tr("Assign the run card: {0}").format(
            ", ".join(ranks[u][1].callsign for u in self.card_named)))
        for unit_id, button in self.buttons.items():
            if unit_id not in ranks:
                button.setEnabled(False)
                button.setText(self.tr("{0} — no longer available").format(button.property("callsign") or unit_id))
                button.setToolTip("")
                continue
            rank, rec = ranks[unit_id]
            distance = rec.street_m if rec.street_m is not None else rec.straight_m
            button.setProperty("callsign", rec.callsign)
            button.setEnabled(True)
            button.setText(self.tr("{0}. Assign {1} — {2:.1f} km, ETA {3}").format(
                rank, rec.callsign, distance / 1000, format_duration(rec.eta_s))
                + (f"  [{rec.need}]" if rec.need else ""))
            button.setToolTip(self.tr("Straight line {0:.0f} m; by street {1}").format(
                rec.straight_m, "-" if rec.street_m is None else f"{rec.street_m:.0f} m"))


class AssignedUnits(QWidget):
    """The units on the incident, in the order they were assigned: each one's status and time in it, and
    buttons for en route, on scene and available, enabled when the unit may go there. Rows and buttons
    never move while the dispatcher aims (`holding()`), as with the recommendations."""

    statusRequested = Signal(str, str)  # unit_id, status
    clickRefused = Signal(str)  # why, in words

    BUTTONS = ("enroute", "onscene", "available")

    def __init__(self, live: LiveState, holding, parent=None):
        super().__init__(parent)
        self.live = live
        self.holding = holding
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)  # never squeezed (above)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.rows: dict[str, tuple[QLabel, dict[str, QPushButton]]] = {}
        self.read_only = False  # rows without their status buttons (a replay)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            for _, buttons in self.rows.values():
                for status, button in buttons.items():
                    button.setText(word(status))
        super().changeEvent(event)

    def show_units(self, incident: dict | None, now: float) -> None:
        wanted = list(incident["units"]) if incident and incident["status"] != "closed" else []
        if not self.holding() and list(self.rows) != wanted:
            self._clear()
        for unit_id in wanted:  # a unit new on the incident gets a row below the others: nothing moves
            if unit_id not in self.rows:
                self._add_row(unit_id)
        units = self.live.state["units"]
        for unit_id, (label, buttons) in self.rows.items():
            unit = units.get(unit_id, {})
            on_it = unit_id in wanted
            since = epoch(unit.get("status_ts"))
            status = word(unit.get("status", "")) if on_it else self.tr("left the incident")
            label.setText(f"<b>{unit.get('callsign') or unit_id}</b> · {status}"
                          + (f" · {format_duration(now - since)}" if on_it and since else ""))
            allowed = UNIT_TRANSITIONS.get(unit.get("status"), frozenset())
            for status_name, button in buttons.items():
                button.setEnabled(on_it and status_name in allowed)
        self.setVisible(bool(self.rows))

    def _clear(self) -> None:
        for label, buttons in self.rows.values():
            for widget in (label, *buttons.values()):
                self.grid.removeWidget(widget)
                widget.hide()
                widget.deleteLater()
        self.rows = {}

    def _add_row(self, unit_id: str) -> None:
        row = len(self.rows)
        label = QLabel(self)
        label.setTextFormat(Qt.TextFormat.RichText)
        self.grid.addWidget(label, row, 0)
        buttons = {}
        for column, status in enumerate(self.BUTTONS, start=1):
            button = AimedButton(self)
            button.setText(word(status))
            button.setObjectName(f"status-{unit_id}-{status}")
            button.clicked.connect(lambda _=False, u=unit_id, s=status, b=button: self._clicked(b, u, s))
            self.grid.addWidget(button, row, column)
            button.setVisible(not self.read_only)
            buttons[status] = button
        self.rows[unit_id] = (label, buttons)

    def _clicked(self, button: AimedButton, unit_id: str, status: str) -> None:
        if button.clicked_in_time():
            self.statusRequested.emit(unit_id, status)
        else:
            self.clickRefused.emit(self.tr("The units moved just before your click: nothing was changed. "
                                           "Check the unit and click again."))


class NeedsLabel(QLabel):
    """What the incident's run card needs and how much of it the assigned units meet."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("needs")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.hide()

    def show_needs(self, needs: list[Need]) -> None:
        self.setVisible(bool(needs))
        parts = []
        for need in needs:
            color = NEED_MET_COLOR if need.met >= need.count else NEED_SHORT_COLOR
            name = " / ".join(unit_kind_name(kind) for kind in need.kinds)
            parts.append(f'<span style="color: {color};">'
                         + self.tr("{0} {1} of {2}").format(name, need.met, need.count) + "</span>")
        self.setText(self.tr("Needs: {0}").format(", ".join(parts)))


class IncidentDetails(QWidget):
    """The selected incident: what, where, timers, units, and the recommended units with one-click assign."""

    assignRequested = Signal(str, str)  # unit_id, incident_id
    closeRequested = Signal(str)

    def __init__(self, live: LiveState, now: Callable[[], float], parent=None):
        super().__init__(parent)
        self.live = live
        self.now = now
        self.read_only = False  # a replay's details: what was, with no control to act on it
        self.incident_id: str | None = None
        # One line above the buttons, the rest below them: text growing or wrapping never moves a button.
        self.header = QLabel(self)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setObjectName("rejection")
        self.message.setStyleSheet("color: #b91c1c; font-weight: bold;")
        self.recommended = RecommendedUnits(self._dispatcher_is_aiming, self)
        self.recommended.assignRequested.connect(
            lambda unit_id: self.incident_id and self.assignRequested.emit(unit_id, self.incident_id))
        self.recommended.clickRefused.connect(self.show_message)
        self.assigned = AssignedUnits(live, self._dispatcher_is_aiming, self)
        self.assigned.clickRefused.connect(self.show_message)
        self.needs = NeedsLabel(self)
        self.close_button = QPushButton(self)
        self.close_button.clicked.connect(lambda: self.incident_id and self.closeRequested.emit(self.incident_id))
        layout = QVBoxLayout(self)
        top = QHBoxLayout()  # the close button beside the header: always in sight, never moved by text
        top.addWidget(self.header, 1)
        top.addWidget(self.close_button)
        self.header.setMinimumHeight(self.close_button.sizeHint().height())  # the row keeps its height
        layout.addLayout(top)
        layout.addWidget(self.recommended)
        layout.addWidget(self.assigned)
        layout.addWidget(self.needs)
        layout.addWidget(self.message)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        self.retranslate()
        self.show_incident(None, [])

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        """The window shows the incident again on a language change; only the fixed texts are set here."""
        self.close_button.setText(self.tr("Close incident…"))

    def _dispatcher_is_aiming(self) -> bool:
        """The pointer is over the details, or the keyboard focus is in them: the layout must hold still.
        The pointer as the display has it now, too: the enter event that sets underMouse() may still wait
        in the queue behind a new ranking, which would re-order the buttons under an arriving pointer."""
        focus = QApplication.focusWidget()
        return (self.underMouse() or self.rect().contains(self.mapFromGlobal(QCursor.pos()))
                or (focus is not None and self.isAncestorOf(focus)))

    def leaveEvent(self, event) -> None:
        super().leaveEvent(event)
        # After this event: a leave also comes while a button under the pointer is being hidden, in the
        # middle of re-ordering the buttons.
        QTimer.singleShot(0, self, self._released)

    def _released(self) -> None:
        if self._dispatcher_is_aiming():
            return  # back already
        self.recommended.release()
        self.assigned.show_units(self.live.state["incidents"].get(self.incident_id or ""), self.now())

    def show_message(self, text: str) -> None:
        self.message.setText(text)

    def show_incident(self, incident_id: str | None, ranking: list[Recommendation], limit: int = 5) -> None:
        """`ranking`: every available unit for the incident, best first; the best `limit` are offered."""
        if incident_id != self.incident_id:
            self.message.clear()
        self.incident_id = incident_id
        incident = self.live.state["incidents"].get(incident_id or "")
        self.close_button.setVisible(not self.read_only and incident is not None and incident["status"] != "closed")
        if self.read_only or incident is None or incident["status"] == "closed":
            self.recommended.clear()
        else:
            self.recommended.show_ranking(incident_id, ranking, limit)
        self.assigned.show_units(incident, self.now())
        if incident is None:
            self.header.setText(self.tr("Select an incident on the map or in the queue."))
            self.summary.clear()
            return
        timers = self.live.timers(incident, self.now())
        units = ", ".join(self.live.state["units"][u].get("callsign") or u for u in incident["units"]) or "-"
        self.header.setText(f"<b>{incident['incident_id']}</b> · P{incident['priority']} · "
                            f"{word(incident['kind'])} · {word(incident['status'])}")
        lines = [
            incident.get("address") or f"{incident['lon']:.5f}, {incident['lat']:.5f}",
            self.tr("Grid cell: {0}").format(incident.get("grid_id") or "-"),
            self.tr("To dispatch: {0}").format(format_duration(timers.to_dispatch_s))
            + (" ⚠" if timers.dispatch_overdue else ""),
            self.tr("Units: {0}").format(units),
        ]
        if timers.to_onscene_s is not None:
            lines.insert(3, self.tr("To on scene: {0}").format(format_duration(timers.to_onscene_s))
                         + (" ⚠" if timers.onscene_overdue else ""))
        if incident.get("note"):
            lines.append(incident["note"])
        self.summary.setText("<br>".join(lines))


_REFUSALS = {
    "unauthorized": QT_TRANSLATE_NOOP("ConnectionIndicator",
                                      "your sign-in is not valid (ask a supervisor for a new token)"),
    "forbidden": QT_TRANSLATE_NOOP("ConnectionIndicator", "your role may not use this console"),
    "": QT_TRANSLATE_NOOP("ConnectionIndicator", "the server refused this console"),
}
_FAILURES = {
    "unreachable": QT_TRANSLATE_NOOP("ConnectionIndicator",
                                     "the server does not answer at its address (it may be down, or the network is cut)"),
    "timeout": QT_TRANSLATE_NOOP("ConnectionIndicator", "the server did not answer in time"),
    "no_such_host": QT_TRANSLATE_NOOP("ConnectionIndicator", "the server's name is not known on this network"),
    "tls": QT_TRANSLATE_NOOP("ConnectionIndicator", "the secure connection could not be set up (certificate)"),
    "not_a_server": QT_TRANSLATE_NOOP("ConnectionIndicator", "the address does not lead to a dispatch server"),
    "": QT_TRANSLATE_NOOP("ConnectionIndicator", "the connection was cut"),
}


_NUMBERED_ID = re.compile(r"^[A-Z0-9]{1,12}-(\d{6}-\d{4,})$")


def short_id(incident_id: str) -> str:
    """A centre's numbered id without the centre's code (every incident of the queue has it): 261202-0007."""
    match = _NUMBERED_ID.match(incident_id)
    return match.group(1) if match else incident_id


def link_reason(state: str, detail: str) -> str:
    """Why the link is down (or refused), in the dispatcher's words: never a protocol name or an errno."""
    table = _REFUSALS if state == "refused" else _FAILURES
    return QCoreApplication.translate("ConnectionIndicator", table.get(detail, table[""]))


def link_words(state: str, detail: str) -> str:
    """The link's state for the status bar."""
    if state == "connected":
        return QCoreApplication.translate("ConnectionIndicator", "Connected as {0}").format(detail)
    if state == "connecting":
        return QCoreApplication.translate("ConnectionIndicator", "Connecting…")
    if state == "refused":
        return QCoreApplication.translate("ConnectionIndicator", "Refused by the server: {0}").format(
            link_reason(state, detail))
    return QCoreApplication.translate(
        "ConnectionIndicator", "Disconnected — commands are refused until the link is back: {0}").format(
        link_reason(state, detail))


class ConnectionIndicator(QWidget):
    """Always visible: connected, reconnecting, or refused, with the reason."""

    COLORS = {"connected": "#16a34a", "connecting": "#ca8a04", "disconnected": "#dc2626", "refused": "#dc2626"}

    def __init__(self, parent=None):
        super().__init__(parent)
        self.dot = QLabel("●", self)
        self.text = QLabel(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.dot)
        layout.addWidget(self.text)
        self.state = "disconnected"

    def set_state(self, state: str, detail: str) -> None:
        self.state = state
        self.dot.setStyleSheet(f"color: {self.COLORS.get(state, '#dc2626')}; font-size: 16px;")
        self.text.setText(link_words(state, detail))


class LinkBanner(QLabel):
    """Across the top of the window while the console has no link to its server: unmissable, with since
    when and why, and what that means for the dispatcher."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("link-banner")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setStyleSheet("background: #b91c1c; color: white; font-size: 15px; font-weight: bold; padding: 8px;")
        self.hide()

    def show_down(self, since_ts: float, now_ts: float, state: str, detail: str) -> None:
        age_s = max(0, int(now_ts - since_ts))
        head = self.tr("⚠ NO LINK TO THE DISPATCH SERVER since {0} ({1}): {2}").format(
            time.strftime("%H:%M:%S", time.localtime(since_ts)), format_duration(age_s), link_reason(state, detail))
        if state == "refused":
            what = self.tr("The console does not retry: start it again with a valid sign-in.")
        else:
            what = self.tr("Reconnecting… The map shows the last known state; nothing you do is sent.")
        self.setText(f"{head}<br>{what}")
        self.show()


