"""The docks around the map: the incident queue, the unit board and the incident details."""
from __future__ import annotations

import json
import time

from PySide6.QtCore import (QAbstractTableModel, QCoreApplication, QMimeData, QModelIndex, QSortFilterProxyModel, Qt,
                            Signal)
from PySide6.QtGui import QBrush, QColor, QDrag, QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableView, QTreeView, QVBoxLayout, QWidget)

from console.live import LiveState, format_duration
from console.words import word
from dispatch.procedures import Need
from dispatch.recommend import Recommendation

UNIT_MIME = "application/x-onemap-unit"

PRIORITY_COLORS = {1: QColor(220, 38, 38), 2: QColor(234, 88, 12), 3: QColor(202, 138, 4),
                   4: QColor(37, 99, 235), 5: QColor(100, 116, 139)}
UNIT_STATUS_COLORS = {"available": QColor(22, 163, 74), "dispatched": QColor(234, 88, 12),
                      "enroute": QColor(202, 138, 4), "onscene": QColor(220, 38, 38),
                      "busy": QColor(124, 58, 237), "offduty": QColor(100, 116, 139)}
OVERDUE_COLOR = QColor(220, 38, 38)
NEED_MET_COLOR, NEED_SHORT_COLOR = "#15803d", "#b91c1c"


def unit_kind_name(kind: str) -> str:
    """What a unit kind of the city pack is called in the console's language (unknown kinds as they are)."""
    names = {"patrol": QCoreApplication.translate("UnitKind", "patrol car"),
             "traffic": QCoreApplication.translate("UnitKind", "traffic unit"),
             "fire": QCoreApplication.translate("UnitKind", "fire engine"),
             "ems": QCoreApplication.translate("UnitKind", "ambulance")}
    return names.get(kind, kind)


def unit_mime(unit_id: str) -> QMimeData:
    mime = QMimeData()
    mime.setData(UNIT_MIME, json.dumps({"unit_id": unit_id}).encode())
    return mime


def unit_from_mime(mime: QMimeData) -> str | None:
    if not mime.hasFormat(UNIT_MIME):
        return None
    try:
        return json.loads(bytes(mime.data(UNIT_MIME)).decode())["unit_id"]
    except (ValueError, KeyError):
        return None


class IncidentQueueModel(QAbstractTableModel):
    COLUMNS = ("priority", "id", "kind", "status", "grid", "to_dispatch", "to_onscene", "units", "address")

    def __init__(self, live: LiveState, parent=None):
        super().__init__(parent)
        self.live = live
        self.rows: list[str] = []
        self.now = time.time

    def headers(self) -> list[str]:
        return [self.tr("P"), self.tr("Incident"), self.tr("Kind"), self.tr("Status"), self.tr("Grid"),
                self.tr("To dispatch"), self.tr("To on scene"), self.tr("Units"), self.tr("Address")]

    def refresh(self) -> None:
        self.beginResetModel()
        self.rows = [i for i, inc in self.live.state["incidents"].items() if inc["status"] != "closed"]
        self.endResetModel()

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
        return None

    def incident_at(self, row: int) -> str:
        return self.rows[row]

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        incident = self.live.state["incidents"].get(self.rows[index.row()])
        if incident is None:
            return None
        column = self.COLUMNS[index.column()]
        timers = self.live.timers(incident, self.now())
        if role == Qt.ItemDataRole.DisplayRole:
            units = self.live.state["units"]
            return {
                "priority": f"P{incident['priority']}",
                "id": incident["incident_id"],
                "kind": word(incident["kind"]),
                "status": word(incident["status"]),
                "grid": incident.get("grid_id") or "",
                "to_dispatch": ("⚠ " if timers.dispatch_overdue else "") + format_duration(timers.to_dispatch_s),
                "to_onscene": ("⚠ " if timers.onscene_overdue else "") + format_duration(timers.to_onscene_s),
                "units": " ".join(units[u].get("callsign") or u for u in incident["units"] if u in units),
                "address": incident.get("address") or f"{incident['lon']:.5f}, {incident['lat']:.5f}",
            }[column]
        if role == Qt.ItemDataRole.UserRole:  # sort keys
            return {"priority": incident["priority"], "to_dispatch": timers.to_dispatch_s,
                    "to_onscene": timers.to_onscene_s or 0.0}.get(column, str(self.data(index)))
        if role == Qt.ItemDataRole.BackgroundRole and column == "priority":
            return QBrush(PRIORITY_COLORS[incident["priority"]])
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == "priority":
                return QBrush(QColor("white"))
            if (column == "to_dispatch" and timers.dispatch_overdue) or (
                    column == "to_onscene" and timers.onscene_overdue):
                return QBrush(OVERDUE_COLOR)
        if role == Qt.ItemDataRole.FontRole and timers.overdue and column in ("to_dispatch", "to_onscene", "id"):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return incident.get("note") or None
        return None


class IncidentQueue(QWidget):
    """Open incidents, most urgent first; drop a unit on a row to assign it."""

    selected = Signal(str)
    unitDropped = Signal(str, str)  # unit_id, incident_id
    unitDragOver = Signal(str, str)  # unit_id, incident_id ("" when it leaves)

    def __init__(self, live: LiveState, parent=None):
        super().__init__(parent)
        self.model = IncidentQueueModel(live, self)
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
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.setAcceptDrops(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.view.clicked.connect(lambda index: self.selected.emit(self.incident_at(index)))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)

    def incident_at(self, proxy_index: QModelIndex) -> str:
        return self.model.incident_at(self.proxy.mapToSource(proxy_index).row())

    def refresh(self) -> None:
        self.model.refresh()

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

    def _target(self, event) -> tuple[str | None, str]:
        unit_id = unit_from_mime(event.mimeData())
        index = self.indexAt(event.position().toPoint())
        return unit_id, self.queue.incident_at(index) if index.isValid() else ""

    def dragEnterEvent(self, event):
        if unit_from_mime(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event):
        unit_id, incident_id = self._target(event)
        if unit_id is None:
            return
        if incident_id != self._over:
            self._over = incident_id
            self.queue.unitDragOver.emit(unit_id, incident_id)
        event.setDropAction(Qt.DropAction.LinkAction)
        event.accept()

    def dragLeaveEvent(self, event):
        self._over = ""
        self.queue.unitDragOver.emit("", "")

    def dropEvent(self, event):
        unit_id, incident_id = self._target(event)
        self._over = ""
        self.queue.unitDragOver.emit("", "")
        if unit_id and incident_id:
            event.acceptProposedAction()
            self.queue.unitDropped.emit(unit_id, incident_id)


class UnitBoard(QWidget):
    """Units grouped by status or by station; drag a unit onto an incident to assign it."""

    selected = Signal(str)

    def __init__(self, live: LiveState, parent=None):
        super().__init__(parent)
        self.live = live
        self.group = QComboBox(self)
        self.group.addItem(self.tr("By status"), "status")
        self.group.addItem(self.tr("By station"), "station")
        self.group.currentIndexChanged.connect(self.refresh)
        self.model = QStandardItemModel(self)
        self.view = _BoardView(self)
        self.view.setModel(self.model)
        self.view.setHeaderHidden(False)
        self.view.setDragEnabled(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.clicked.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.group)
        layout.addWidget(self.view)
        self.highlighted: set[str] = set()
        self.station_names: dict[str, str] = {}

    def _clicked(self, index: QModelIndex) -> None:
        unit_id = index.siblingAtColumn(0).data(Qt.ItemDataRole.UserRole)
        if unit_id:
            self.selected.emit(unit_id)

    def highlight(self, unit_ids) -> None:
        self.highlighted = set(unit_ids)
        self.refresh()

    def refresh(self) -> None:
        by = self.group.currentData() or "status"
        expanded = {self.model.item(r).data(Qt.ItemDataRole.UserRole + 1) for r in range(self.model.rowCount())
                    if self.view.isExpanded(self.model.index(r, 0))}
        self.model.clear()
        self.model.setHorizontalHeaderLabels([self.tr("Unit"), self.tr("Kind"), self.tr("Status"), self.tr("Incident"),
                                              self.tr("Station")])
        groups: dict[str, list[dict]] = {}
        for unit in self.live.state["units"].values():
            key = unit.get(by) or "-"
            groups.setdefault(self.station_names.get(key, key) if by == "station" else key, []).append(unit)
        order = list(UNIT_STATUS_COLORS) if by == "status" else sorted(groups)
        for key in order:
            units = groups.get(key, [])
            if by == "status" and not units and key != "available":
                continue
            title = word(key) if by == "status" else key
            parent = QStandardItem(f"{title} ({len(units)})")
            parent.setData(key, Qt.ItemDataRole.UserRole + 1)
            parent.setEditable(False)
            parent.setDragEnabled(False)
            if by == "status":
                parent.setForeground(QBrush(UNIT_STATUS_COLORS[key]))
            for unit in sorted(units, key=lambda u: u.get("callsign") or u["unit_id"]):
                name = QStandardItem(("★ " if unit["unit_id"] in self.highlighted else "")
                                     + (unit.get("callsign") or unit["unit_id"]))
                name.setData(unit["unit_id"], Qt.ItemDataRole.UserRole)
                status = QStandardItem(word(unit["status"]))
                status.setForeground(QBrush(UNIT_STATUS_COLORS[unit["status"]]))
                station = unit.get("station") or ""
                kind = unit_kind_name(unit.get("kind") or "")
                row = [name, QStandardItem(kind), status, QStandardItem(unit.get("incident_id") or ""),
                       QStandardItem(self.station_names.get(station, station))]
                for item in row:
                    item.setEditable(False)
                    item.setDragEnabled(unit["status"] == "available")
                    item.setToolTip(self.tr("{0}: {1}").format(unit.get("callsign") or unit["unit_id"], kind))
                parent.appendRow(row)
            self.model.appendRow([parent, QStandardItem(), QStandardItem(), QStandardItem(), QStandardItem()])
            if key in expanded or not expanded:
                self.view.setExpanded(parent.index(), True)
        self.view.resizeColumnToContents(0)

    def row_index(self, unit_id: str) -> QModelIndex | None:
        for r in range(self.model.rowCount()):
            parent = self.model.item(r)
            for c in range(parent.rowCount()):
                if parent.child(c).data(Qt.ItemDataRole.UserRole) == unit_id:
                    return parent.child(c).index()
        return None


class _BoardView(QTreeView):
    def startDrag(self, actions):
        index = self.currentIndex().siblingAtColumn(0)
        unit_id = index.data(Qt.ItemDataRole.UserRole)
        if not unit_id:
            return
        drag = QDrag(self)
        drag.setMimeData(unit_mime(unit_id))
        drag.exec(Qt.DropAction.LinkAction | Qt.DropAction.CopyAction)


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

    def __init__(self, live: LiveState, parent=None):
        super().__init__(parent)
        self.live = live
        self.incident_id: str | None = None
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setObjectName("rejection")
        self.message.setStyleSheet("color: #b91c1c; font-weight: bold;")
        self.needs = NeedsLabel(self)
        self.recommend_title = QLabel(self.tr("Recommended units"), self)
        self.recommend_box = QVBoxLayout()
        self.close_button = QPushButton(self.tr("Close incident…"), self)
        self.close_button.clicked.connect(lambda: self.incident_id and self.closeRequested.emit(self.incident_id))
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.message)
        layout.addWidget(self.needs)
        layout.addWidget(self.recommend_title)
        layout.addLayout(self.recommend_box)
        layout.addWidget(self.close_button)
        layout.addStretch(1)
        self.recommend_buttons: list[QPushButton] = []
        self.show_incident(None, [])

    def show_message(self, text: str) -> None:
        self.message.setText(text)

    def show_incident(self, incident_id: str | None, recommendations: list[Recommendation]) -> None:
        if incident_id != self.incident_id:
            self.message.clear()
        self.incident_id = incident_id
        incident = self.live.state["incidents"].get(incident_id or "")
        for button in self.recommend_buttons:
            button.deleteLater()
        self.recommend_buttons = []
        self.close_button.setVisible(incident is not None and incident["status"] != "closed")
        self.recommend_title.setVisible(bool(recommendations))
        if incident is None:
            self.summary.setText(self.tr("Select an incident on the map or in the queue."))
            return
        timers = self.live.timers(incident, time.time())
        units = ", ".join(self.live.state["units"][u].get("callsign") or u for u in incident["units"]) or "-"
        lines = [
            f"<b>{incident['incident_id']}</b> · P{incident['priority']} · {word(incident['kind'])} · "
            f"{word(incident['status'])}",
            incident.get("address") or f"{incident['lon']:.5f}, {incident['lat']:.5f}",
            self.tr("Grid cell: {0}").format(incident.get("grid_id") or "-"),
            self.tr("To dispatch: {0}").format(format_duration(timers.to_dispatch_s))
            + (" ⚠" if timers.dispatch_overdue else ""),
            self.tr("Units: {0}").format(units),
        ]
        if timers.to_onscene_s is not None:
            lines.insert(4, self.tr("To on scene: {0}").format(format_duration(timers.to_onscene_s))
                         + (" ⚠" if timers.onscene_overdue else ""))
        if incident.get("note"):
            lines.append(incident["note"])
        self.summary.setText("<br>".join(lines))
        if incident["status"] == "closed":
            return
        for rank, rec in enumerate(recommendations):
            distance = rec.street_m if rec.street_m is not None else rec.straight_m
            text = self.tr("Assign {0} — {1:.1f} km, ETA {2}").format(
                rec.callsign, distance / 1000, format_duration(rec.eta_s))
            button = QPushButton(text, self)
            button.setObjectName(f"recommend-{rank}")
            button.setToolTip(self.tr("Straight line {0:.0f} m; by street {1}").format(
                rec.straight_m, "-" if rec.street_m is None else f"{rec.street_m:.0f} m"))
            button.clicked.connect(lambda _=False, u=rec.unit_id, i=incident_id: self.assignRequested.emit(u, i))
            self.recommend_box.addWidget(button)
            self.recommend_buttons.append(button)


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
        words = {"connected": self.tr("Connected"), "connecting": self.tr("Connecting…"),
                 "disconnected": self.tr("Disconnected — commands are refused until the link is back"),
                 "refused": self.tr("Refused by the server")}[state]
        self.text.setText(f"{words}  {detail}")
