"""The watchlist editor (布控) for supervisors: the entries in force, a form that adds one, and removal of the
selected entry with a reason. It shows what the state holds and sends commands through the window; every
change comes back as an event, so two supervisors' editors agree (docs/anpr.md)."""
from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDateTimeEdit, QDialog, QFormLayout,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from anpr.watchlist import CATEGORIES
from console.hits import category_words
from dispatch.commands import MAX_NOTE, MAX_PLATE


class WatchlistDialog(QDialog):
    def __init__(self, window, parent: QWidget | None = None):
        """`window`: the console (its state, and `send(cmd, args)`)."""
        super().__init__(parent)
        self.window = window
        self.setObjectName("watchlist-dialog")
        self.setWindowTitle(self.tr("Watchlist"))
        self.resize(900, 520)
        column = QVBoxLayout(self)
        self.table = QTableWidget(0, 6, self)
        self.table.setHorizontalHeaderLabels([self.tr("Entry"), self.tr("Plate or pattern"), self.tr("Category"),
                                              self.tr("Reason"), self.tr("Valid until"), self.tr("Added by")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        column.addWidget(self.table, 1)
        removal = QHBoxLayout()
        self.removal_reason = QLineEdit(self)
        self.removal_reason.setMaxLength(MAX_NOTE)
        self.removal_reason.setPlaceholderText(self.tr("why it comes off the list, e.g. the car was found"))
        self.remove_button = QPushButton(self.tr("Remove the selected entry"), self)
        self.remove_button.clicked.connect(self.remove_selected)
        removal.addWidget(self.removal_reason, 1)
        removal.addWidget(self.remove_button)
        column.addLayout(removal)
        form = QFormLayout()
        self.pattern = QLineEdit(self)
        self.pattern.setMaxLength(MAX_PLATE)
        self.pattern.setPlaceholderText(self.tr("粤S·12345, or with * for each unknown character: 粤S·123**"))
        self.category = QComboBox(self)
        for category in CATEGORIES:
            self.category.addItem(category_words(category), category)
        self.reason = QLineEdit(self)
        self.reason.setMaxLength(MAX_NOTE)
        self.reason.setPlaceholderText(self.tr("why, and the case it belongs to"))
        until_row = QHBoxLayout()
        self.limited = QCheckBox(self.tr("until"), self)
        self.until = QDateTimeEdit(QDateTime.currentDateTime().addDays(30), self)
        self.until.setCalendarPopup(True)
        self.until.setEnabled(False)
        self.limited.toggled.connect(self.until.setEnabled)
        until_row.addWidget(self.limited)
        until_row.addWidget(self.until, 1)
        form.addRow(self.tr("Plate or pattern:"), self.pattern)
        form.addRow(self.tr("Category:"), self.category)
        form.addRow(self.tr("Reason:"), self.reason)
        form.addRow(self.tr("Valid:"), until_row)
        column.addLayout(form)
        buttons = QHBoxLayout()
        self.message = QLabel(self)
        self.add_button = QPushButton(self.tr("Add to the watchlist"), self)
        self.add_button.clicked.connect(self.add_entry)
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.add_button)
        column.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        entries = sorted(self.window.live.state.get("watchlist", {}).values(), key=lambda e: int(e["entry_id"][1:]))
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            for col, text in enumerate((entry["entry_id"], entry["pattern"], category_words(entry["category"]),
                                        entry["reason"], entry.get("valid_until") or self.tr("open-ended"),
                                        entry.get("added_by") or "")):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, entry["entry_id"])
                self.table.setItem(row, col, item)

    def add_entry(self) -> None:
        if not self.pattern.text().strip() or not self.reason.text().strip():
            self.message.setText(self.tr("Give the plate or pattern and the reason."))
            return
        args = {"pattern": self.pattern.text().strip(), "category": self.category.currentData(),
                "reason": self.reason.text().strip()}
        if self.limited.isChecked():
            args["valid_until"] = datetime.fromtimestamp(self.until.dateTime().toSecsSinceEpoch(), timezone.utc
                                                         ).isoformat()
        if self.window.send("watchlist.add", args) is not None:
            self.message.setText(self.tr("Sent: {0}").format(args["pattern"]))
            self.pattern.clear()
            self.reason.clear()

    def remove_selected(self) -> None:
        items = self.table.selectedItems()
        if not items or not self.removal_reason.text().strip():
            self.message.setText(self.tr("Select an entry and say why it comes off the list."))
            return
        entry_id = items[0].data(Qt.ItemDataRole.UserRole)
        if self.window.send("watchlist.remove", {"entry_id": entry_id,
                                                 "reason": self.removal_reason.text().strip()}) is not None:
            self.message.setText(self.tr("Sent: remove {0}").format(entry_id))
            self.removal_reason.clear()
