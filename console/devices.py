"""Field devices: TAK phones and tablets the gateway heard (docs/tak.md), and the units they report for.

A device the gateway could not map to a unit is never made a unit of its own: it waits here, first in
the list and marked, until a dispatcher attaches it to a unit. From then on its positions move that unit.
"""
from __future__ import annotations

import time

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from console.live import LiveState, epoch

UNATTACHED_COLOR = QColor(254, 243, 199)  # amber: waiting for a dispatcher


class DevicesPanel(QWidget):
    attachRequested = Signal(str, str)  # device_uid, unit_id
    detachRequested = Signal(str)  # device_uid

    COLUMNS = 5

    def __init__(self, live: LiveState, parent=None):
        super().__init__(parent)
        self.live = live
        self.summary = QLabel(self)
        self.summary.setObjectName("devices-summary")
        self.table = QTableWidget(0, self.COLUMNS, self)
        self.table.setObjectName("devices")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.units = QComboBox(self)
        self.units.setObjectName("device-unit")
        self.attach = QPushButton(self)
        self.attach.setObjectName("attach-device")
        self.attach.clicked.connect(self._attach)
        self.detach = QPushButton(self)
        self.detach.setObjectName("detach-device")
        self.detach.clicked.connect(self._detach)
        self.actions = QWidget(self)
        row = QHBoxLayout(self.actions)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.units, 1)
        row.addWidget(self.attach)
        row.addWidget(self.detach)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.actions)
        self.retranslate()

    def set_read_only(self, read_only: bool) -> None:
        """A replay shows which devices were heard, and attaches nothing."""
        self.actions.setVisible(not read_only)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels([self.tr("Device"), self.tr("Device id"), self.tr("Position"),
                                              self.tr("Last heard"), self.tr("Unit")])
        self.attach.setText(self.tr("Attach to unit"))
        self.detach.setText(self.tr("Detach"))
        self.refresh()

    def device_uids(self) -> list[str]:
        """The rows' devices, in the order shown."""
        return [self.table.item(r, 1).text() for r in range(self.table.rowCount())]

    def refresh(self) -> None:
        state = self.live.state
        devices = state.get("devices", {})  # a server older than devices sends none
        units = state["units"]
        selected = self._selected()
        # Devices waiting for a dispatcher first, then by callsign.
        order = sorted(devices.values(), key=lambda d: (d.get("unit_id") is not None,
                                                        d.get("callsign") or "", d["device_uid"]))
        self.table.setRowCount(len(order))
        for r, device in enumerate(order):
            unit = units.get(device.get("unit_id") or "")
            if device.get("lon") is None:
                where = self.tr("no fix")
            else:
                where = f"{device['lat']:.5f}, {device['lon']:.5f}"
            heard = epoch(device.get("seen_ts"))
            cells = (device.get("callsign") or "", device["device_uid"], where,
                     time.strftime("%H:%M:%S", time.localtime(heard)) if heard else "",
                     (unit.get("callsign") or unit["unit_id"]) if unit else self.tr("— attach to a unit"))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if unit is None:
                    item.setBackground(QBrush(UNATTACHED_COLOR))
                self.table.setItem(r, c, item)
        waiting = sum(1 for d in devices.values() if d.get("unit_id") is None)
        self.summary.setText(self.tr("{0} devices, {1} waiting to be attached to a unit").format(len(devices), waiting))
        current = self.units.currentData()
        self.units.blockSignals(True)
        self.units.clear()
        for unit in sorted(units.values(), key=lambda u: u.get("callsign") or u["unit_id"]):
            self.units.addItem(unit.get("callsign") or unit["unit_id"], unit["unit_id"])
        if current is not None and (index := self.units.findData(current)) >= 0:
            self.units.setCurrentIndex(index)
        self.units.blockSignals(False)
        if selected in devices:
            self.select(selected)
        self._selection_changed()

    def select(self, device_uid: str) -> None:
        for r, uid in enumerate(self.device_uids()):
            if uid == device_uid:
                self.table.selectRow(r)
                return

    def _selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.table.item(rows[0].row(), 1).text() if rows else None

    def _selection_changed(self) -> None:
        uid = self._selected()
        device = self.live.state.get("devices", {}).get(uid or "")
        self.attach.setEnabled(device is not None and self.units.count() > 0)
        self.detach.setEnabled(device is not None and device.get("unit_id") is not None)

    def _attach(self) -> None:
        uid, unit_id = self._selected(), self.units.currentData()
        if uid and unit_id:
            self.attachRequested.emit(uid, unit_id)

    def _detach(self) -> None:
        uid = self._selected()
        if uid:
            self.detachRequested.emit(uid)
