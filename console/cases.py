"""Grid cases (网格事件) at the centre's desk: the case queue, a case's details with its history and the
steps the centre may take next, and the dialog for a citizen's report the centre enters.

Everything shown is the server's state (dispatch/reducer.py's `cases`); overdue is read from the window's
clock (live: the wall clock; a replay: the replayed instant) with dispatch.grid_cases.overdue, the one
definition the statistics use too. Steps go out as the real `case.*` commands through the window's send.
"""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone, tzinfo
from typing import Callable, Iterable

from PySide6.QtCore import (QT_TRANSLATE_NOOP, QAbstractTableModel, QCoreApplication, QEvent, QModelIndex,
                            QSortFilterProxyModel, Qt, Signal)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                               QGridLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
                               QSpinBox, QTableView, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from console import i18n
from console.live import epoch
from console.words import word
from dispatch.domain import ROLE_COMMANDS
from dispatch.grid_cases import (CASE_REJECT_REASONS, CASE_SOURCES, CASE_STATUSES, CASE_TRANSITIONS,
                                 FINAL_CASE_STATUSES, GRID_SOURCE, overdue)
from layers.citypack import GRID_LEVELS
from layers.geocode import Geocoder, NoSuchPlace, Place
from map.i18n import feature_name

# Case statuses, steps, sources and reasons come from data: translated in the "words" context, like the units'
# statuses, as code_words() spells them (in_progress: "in progress").
_MARKED = (
    QT_TRANSLATE_NOOP("words", "reported"), QT_TRANSLATE_NOOP("words", "registered"),
    QT_TRANSLATE_NOOP("words", "in progress"), QT_TRANSLATE_NOOP("words", "handled"),
    QT_TRANSLATE_NOOP("words", "verified"), QT_TRANSLATE_NOOP("words", "returned"),
    QT_TRANSLATE_NOOP("words", "rejected"), QT_TRANSLATE_NOOP("words", "started"),
    QT_TRANSLATE_NOOP("words", "rated"), QT_TRANSLATE_NOOP("words", "verification failed"),
    QT_TRANSLATE_NOOP("words", "grid officer"), QT_TRANSLATE_NOOP("words", "hotline"),
    QT_TRANSLATE_NOOP("words", "app"), QT_TRANSLATE_NOOP("words", "walk in"), QT_TRANSLATE_NOOP("words", "camera"),
    QT_TRANSLATE_NOOP("words", "not a case"), QT_TRANSLATE_NOOP("words", "duplicate"),
    QT_TRANSLATE_NOOP("words", "out of scope"), QT_TRANSLATE_NOOP("words", "unfounded"),
    QT_TRANSLATE_NOOP("words", "cell"), QT_TRANSLATE_NOOP("words", "community"),
    QT_TRANSLATE_NOOP("words", "village"), QT_TRANSLATE_NOOP("words", "town"),
    QT_TRANSLATE_NOOP("words", "district"), QT_TRANSLATE_NOOP("words", "city"),
    QT_TRANSLATE_NOOP("words", "grid"),
)
OVERDUE_COLOR = QColor(185, 28, 28)
MAX_COLUMN_PX = 140
STEPS_MIN_PX = 150  # the history shows about five steps before it scrolls
# The steps the centre's buttons take, in the order they are offered; verify has two outcomes.
STEP_BUTTONS = ("case.register", "case.dispatch", "case.start", "case.handle", "case.return", "case.verify:passed",
                "case.verify:failed", "case.close", "case.rate", "case.reject")
_COORDS = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


def code_words(code: str) -> str:
    """A status, step, source or reason code in the current language."""
    return word(code.replace("_", " "))


def case_duration(seconds: float) -> str:
    """An age or a time to due as a case's time limits run (hours to days): "45 min", "5 h 12 min", "3 d 4 h"."""
    minutes = max(int(seconds // 60), 0)
    hours, days = minutes // 60, minutes // 1440
    if hours < 1:
        return QCoreApplication.translate("cases", "{0} min").format(minutes)
    if days < 1:
        return QCoreApplication.translate("cases", "{0} h {1} min").format(hours, minutes % 60)
    return QCoreApplication.translate("cases", "{0} d {1} h").format(days, hours % 24)


def month_span(now: float, zone: tzinfo) -> tuple[float, float]:
    """[start, end) of the calendar month `now` falls in, in `zone` (epoch seconds): the period of the
    console's closure-rate choropleths, as a city-management bulletin's month."""
    local = datetime.fromtimestamp(now, zone)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start.replace(year=start.year + 1, month=1) if start.month == 12
                 else start.replace(month=start.month + 1))
    return start.timestamp(), following.timestamp()


def is_overdue(case: dict, now: float) -> bool:
    return overdue(case, datetime.fromtimestamp(now, timezone.utc))


class CaseNames:
    """The city pack's case catalogue in the console's language: categories, departments, areas and cells
    (name_zh in Chinese, name otherwise; a code the pack does not know is shown as it is)."""

    def __init__(self):
        self.categories: dict[str, dict] = {}
        self.departments: dict[str, dict] = {}
        self.areas: dict[str, dict] = {}  # area_id -> {level, name, name_zh}
        self.cells: dict[str, str] = {}  # grid_id -> name
        self.levels: list[str] = ["cell"]

    def set_city(self, pack) -> None:
        self.categories = dict(pack.case_categories)
        self.departments = dict(pack.case_departments)
        self.areas = dict(pack.grid_areas)
        self.cells = dict(zip(pack.grids["grid_id"], pack.grids["name"]))
        present = {"cell", *(a["level"] for a in self.areas.values())}
        self.levels = [level for level in GRID_LEVELS if level in present]

    @staticmethod
    def _named(record: dict | None, code: str | None) -> str:
        if record is None:
            return code or ""
        chinese = i18n.current() == "zh_CN" and record.get("name_zh")
        return record["name_zh"] if chinese else record.get("name") or code or ""

    def category(self, code: str | None) -> str:
        return self._named(self.categories.get(code or ""), code)

    def department(self, code: str | None) -> str:
        return self._named(self.departments.get(code or ""), code)

    def area(self, area_id: str | None) -> str:
        if area_id in self.cells:
            return feature_name(str(self.cells[area_id]))
        return self._named(self.areas.get(area_id or ""), area_id)

    def areas_of_level(self, level: str) -> list[str]:
        if level == "cell":
            return sorted(self.cells)
        return sorted(a for a, area in self.areas.items() if area["level"] == level)


class CaseModel(QAbstractTableModel):
    """One row per case, updated case by case (`update`): a step changes one row, never the whole table."""

    COLUMNS = ("case_id", "status", "category", "department", "area", "age", "due", "text")
    CASE_ROLE = Qt.ItemDataRole.UserRole
    SORT_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, now: Callable[[], float], names: CaseNames, parent=None):
        super().__init__(parent)
        self.now = now
        self.names = names
        self.rows: list[str] = []
        self._row_of: dict[str, int] = {}
        self.cases: dict[str, dict] = {}
        self.level = "cell"  # which of the case's areas the area column shows

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return len(self.COLUMNS)

    def headers(self) -> list[str]:
        return [self.tr("Case"), self.tr("Status"), self.tr("Category"), self.tr("Department"),
                word(self.level).capitalize(), self.tr("Age"), self.tr("Due in"), self.tr("Report")]

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers()[section]
        return None

    def case_at(self, row: int) -> dict:
        return self.cases[self.rows[row]]

    def row_of(self, case_id: str) -> int | None:
        return self._row_of.get(case_id)

    def update(self, cases: dict[str, dict], case_ids: Iterable[str] | None = None) -> None:
        """The rows of `case_ids` follow `cases` (added, changed or gone); None: every case, at once."""
        if case_ids is None:
            self.beginResetModel()
            self.cases = dict(cases)
            self.rows = sorted(cases, key=lambda c: (cases[c]["reported_ts"], c))
            self._row_of = {case_id: row for row, case_id in enumerate(self.rows)}
            self.endResetModel()
            return
        for case_id in case_ids:
            case, row = cases.get(case_id), self._row_of.get(case_id)
            if case is None and row is not None:  # a replay's seek to before it
                self.beginRemoveRows(QModelIndex(), row, row)
                del self.rows[row], self.cases[case_id]
                self._row_of = {c: r for r, c in enumerate(self.rows)}
                self.endRemoveRows()
            elif case is not None and row is None:
                self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
                self._row_of[case_id] = len(self.rows)
                self.rows.append(case_id)
                self.cases[case_id] = case
                self.endInsertRows()
            elif case is not None:
                self.cases[case_id] = case
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def tick(self) -> None:
        """Ages, times to due and overdue marks at the clock's new instant."""
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(self.COLUMNS) - 1))

    def set_level(self, level: str) -> None:
        self.level = level
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.COLUMNS) - 1)
        self.tick()

    def due_in(self, case: dict, now: float) -> float | None:
        """Seconds until its due time (negative: overdue by), None without a time limit or once final."""
        if case.get("due") is None or case["status"] in FINAL_CASE_STATUSES:
            return None
        return epoch(case["due"]) - now

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        case = self.case_at(index.row())
        column = self.COLUMNS[index.column()]
        now = self.now()
        if role == self.CASE_ROLE:
            return case["case_id"]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(case, column, now)
        if role == self.SORT_ROLE:
            if column == "case_id":
                return int(re.sub(r"\D", "", case["case_id"]) or 0)
            if column == "age":
                return -epoch(case["reported_ts"])
            if column == "due":
                due_in = self.due_in(case, now)
                return float("inf") if due_in is None else due_in
            return self._text(case, column, now)
        if role == Qt.ItemDataRole.ForegroundRole and is_overdue(case, now):
            return QBrush(OVERDUE_COLOR)
        if role == Qt.ItemDataRole.FontRole and is_overdue(case, now):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return case["text"]
        return None

    def _text(self, case: dict, column: str, now: float) -> str:
        if column == "case_id":  # overdue: marked here, the row in red, and "late" in the due column
            return f"⚠ {case['case_id']}" if is_overdue(case, now) else case["case_id"]
        if column == "status":
            return code_words(case["status"])
        if column == "category":
            return self.names.category(case["category"])
        if column == "department":
            return self.names.department(case.get("department"))
        if column == "area":
            return self.names.area(case.get("areas", {}).get(self.level, case["grid_id"] if self.level == "cell" else ""))
        if column == "age":
            return case_duration(now - epoch(case["reported_ts"]))
        if column == "due":
            due_in = self.due_in(case, now)
            if due_in is None:
                return ""
            return case_duration(due_in) if due_in >= 0 else self.tr("{0} late").format(case_duration(-due_in))
        return case["text"].splitlines()[0] if case["text"] else ""


class CaseFilter(QSortFilterProxyModel):
    """The queue's filters: department, an area of a level, status, category, overdue only, and whether
    closed and rejected cases show."""

    def __init__(self, model: CaseModel, parent=None):
        super().__init__(parent)
        self.setSourceModel(model)
        self.setSortRole(CaseModel.SORT_ROLE)
        self.setDynamicSortFilter(True)
        self.department: str | None = None
        self.area: str | None = None  # of the model's level
        self.status: str | None = None
        self.category: str | None = None
        self.overdue_only = False
        self.final_too = False

    def set(self, **filters) -> None:
        self.beginFilterChange()
        for name, value in filters.items():
            if not hasattr(self, name):
                raise AttributeError(name)
            setattr(self, name, value)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:
        model: CaseModel = self.sourceModel()
        case = model.case_at(row)
        if case["status"] in FINAL_CASE_STATUSES and not self.final_too and self.status != case["status"]:
            return False
        if self.status is not None and case["status"] != self.status:
            return False
        if self.department is not None and case.get("department") != self.department:
            return False
        if self.category is not None and case["category"] != self.category:
            return False
        if self.area is not None and case.get("areas", {}).get(model.level) != self.area:
            return False
        return not self.overdue_only or is_overdue(case, model.now())


class CaseQueue(QWidget):
    """The case queue dock: the filters above, the cases below, oldest first; overdue ones in red."""

    selected = Signal(str)  # case_id

    def __init__(self, now: Callable[[], float], names: CaseNames, parent=None):
        super().__init__(parent)
        self.names = names
        self.model = CaseModel(now, names, self)
        self.proxy = CaseFilter(self.model, self)
        self.department = QComboBox(self)
        self.department.setObjectName("case-department")
        self.level = QComboBox(self)
        self.level.setObjectName("case-level")
        self.area = QComboBox(self)
        self.area.setObjectName("case-area")
        self.status = QComboBox(self)
        self.status.setObjectName("case-status")
        self.category = QComboBox(self)
        self.category.setObjectName("case-category")
        self.overdue_only = QCheckBox(self)
        self.overdue_only.setObjectName("case-overdue")
        self.final_too = QCheckBox(self)
        self.final_too.setObjectName("case-final")
        self.count = QLabel(self)
        self.view = QTableView(self)
        self.view.setObjectName("case-queue")
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(CaseModel.COLUMNS.index("age"), Qt.SortOrder.DescendingOrder)  # the oldest first
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setMaximumSectionSize(MAX_COLUMN_PX)  # long category names elide: the times stay in view
        header.setStretchLastSection(True)
        filters = QGridLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        for column, widget in enumerate((self.department, self.category, self.status)):
            filters.addWidget(widget, 0, column)
        for column, widget in enumerate((self.level, self.area)):
            filters.addWidget(widget, 1, column)
        marks = QHBoxLayout()
        marks.addWidget(self.overdue_only)
        marks.addWidget(self.final_too)
        marks.addStretch(1)
        marks.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(filters)
        layout.addLayout(marks)
        layout.addWidget(self.view, 1)
        self.department.currentIndexChanged.connect(lambda: self._filter(department=self.department.currentData()))
        self.category.currentIndexChanged.connect(lambda: self._filter(category=self.category.currentData()))
        self.status.currentIndexChanged.connect(lambda: self._filter(status=self.status.currentData()))
        self.level.currentIndexChanged.connect(self._level_chosen)
        self.area.currentIndexChanged.connect(lambda: self._filter(area=self.area.currentData()))
        self.overdue_only.toggled.connect(lambda on: self._filter(overdue_only=on))
        self.final_too.toggled.connect(lambda on: self._filter(final_too=on))
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.proxy.rowsInserted.connect(self._count)
        self.proxy.rowsRemoved.connect(self._count)
        self.proxy.modelReset.connect(self._count)
        self.proxy.layoutChanged.connect(self._count)
        self.retranslate()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.overdue_only.setText(self.tr("Overdue only"))
        self.final_too.setText(self.tr("Closed and rejected too"))
        self.fill_choices()
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(CaseModel.COLUMNS) - 1)
        self.model.tick()
        self._count()

    def fill_choices(self) -> None:
        """The filters' choices from the city's catalogue, in the current language; what was chosen stays."""
        names = self.names
        _refill(self.department, self.tr("All departments"),
                [(code, names.department(code)) for code in sorted(names.departments)])
        _refill(self.category, self.tr("All categories"),
                [(code, names.category(code)) for code in sorted(names.categories)])
        _refill(self.status, self.tr("All statuses"), [(status, code_words(status)) for status in CASE_STATUSES])
        _refill(self.level, None, [(level, self.tr("By {0}").format(word(level))) for level in names.levels])
        self._fill_areas()

    def _fill_areas(self) -> None:
        level = self.level.currentData() or "cell"
        _refill(self.area, self.tr("Every {0}").format(word(level)),
                [(area_id, self.names.area(area_id)) for area_id in self.names.areas_of_level(level)])

    def _level_chosen(self) -> None:
        level = self.level.currentData() or "cell"
        if level == self.model.level:
            return
        self.model.set_level(level)
        self.area.blockSignals(True)
        self._fill_areas()
        self.area.setCurrentIndex(0)
        self.area.blockSignals(False)
        self._filter(area=None)

    def _filter(self, **filters) -> None:
        self.proxy.set(**filters)
        self._count()

    def _count(self, *_args) -> None:
        self.count.setText(self.tr("{0} of {1} cases").format(self.proxy.rowCount(), self.model.rowCount()))

    def update(self, cases: dict[str, dict], case_ids: Iterable[str] | None = None) -> None:
        self.model.update(cases, case_ids)
        self._count()

    def tick(self) -> None:
        self.model.tick()  # the proxy filters the changed rows again: a case going overdue joins "Overdue only"
        self._count()

    def shown_ids(self) -> list[str]:
        """The case ids of the rows shown, top to bottom."""
        return [self.proxy.index(r, 0).data(CaseModel.CASE_ROLE) for r in range(self.proxy.rowCount())]

    def select(self, case_id: str | None) -> None:
        row = self.model.row_of(case_id) if case_id else None
        if row is None:
            self.view.clearSelection()
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid() and index.row() != self.view.currentIndex().row():
            self.view.selectRow(index.row())

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.selected.emit(current.data(CaseModel.CASE_ROLE))


def _refill(combo: QComboBox, everything: str | None, choices: list[tuple[str, str]]) -> None:
    """`everything`: the first choice's words (its data None), or no such choice."""
    chosen = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    if everything is not None:
        combo.addItem(everything, None)
    for code, text in choices:
        combo.addItem(text, code)
    combo.setCurrentIndex(max(combo.findData(chosen), 0))
    combo.blockSignals(False)


class CaseDetails(QWidget):
    """The selected case: its fields, photos as links, every step in order, and (at a live desk) the steps
    the user's role may take next from its status. `role()`: the user's role, once the server said it."""

    stepRequested = Signal(str, object)  # cmd, args

    def __init__(self, now: Callable[[], float], names: CaseNames, role: Callable[[], str | None],
                 read_only: bool, parent=None):
        super().__init__(parent)
        self.now = now
        self.names = names
        self.role = role
        self.read_only = read_only
        self.case: dict | None = None
        self._role_shown: str | None = None
        self.title = QLabel(self)
        self.title.setObjectName("case-title")
        self.title.setWordWrap(True)
        self.fields = QLabel(self)
        self.fields.setObjectName("case-fields")
        self.fields.setTextFormat(Qt.TextFormat.RichText)
        self.fields.setWordWrap(True)
        self.fields.setOpenExternalLinks(True)
        self.fields.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.steps = QTableWidget(0, 5, self)
        self.steps.setObjectName("case-steps")
        self.steps.verticalHeader().hide()
        self.steps.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.steps.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.steps.horizontalHeader().setStretchLastSection(True)
        self.steps.setMinimumHeight(STEPS_MIN_PX)
        self.message = QLabel(self)
        self.message.setObjectName("case-message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b91c1c; font-weight: bold;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.fields)
        layout.addWidget(self.message)
        self.buttons: dict[str, QPushButton] = {}
        self.actions: QWidget | None = None
        self._defaults_for: tuple[str, str] | None = None  # (case_id, status) the step fields were preset for
        if not read_only:  # a replay shows what was done: no control to do anything
            self._build_actions(layout)
        layout.addWidget(self.steps, 1)  # last: the history grows with the dock, the buttons stay in view
        self.retranslate()

    def _build_actions(self, layout: QVBoxLayout) -> None:
        self.actions = QWidget(self)
        self.actions.setObjectName("case-actions")
        self.category = QComboBox(self.actions)
        self.category.setObjectName("case-step-category")
        self.department = QComboBox(self.actions)
        self.department.setObjectName("case-step-department")
        self.reason = QComboBox(self.actions)
        self.reason.setObjectName("case-step-reason")
        self.rating = QSpinBox(self.actions)
        self.rating.setObjectName("case-step-rating")
        self.rating.setRange(1, 5)
        self.rating.setValue(5)
        self.note = QLineEdit(self.actions)
        self.note.setObjectName("case-step-note")
        self.note.setMaxLength(1000)
        self.form = QFormLayout()
        for field in (self.category, self.department, self.reason, self.rating, self.note):
            self.form.addRow(QLabel(self.actions), field)
        row = QHBoxLayout()  # a status offers two or three steps at most: one row
        for key in STEP_BUTTONS:
            button = QPushButton(self.actions)
            button.setObjectName(f"case-step-{key.removeprefix('case.').replace(':', '-')}")
            button.clicked.connect(lambda _=False, key=key: self._step(key))
            row.addWidget(button)
            self.buttons[key] = button
        row.addStretch(1)
        column = QVBoxLayout(self.actions)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(self.form)
        column.addLayout(row)
        layout.addWidget(self.actions)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.steps.setHorizontalHeaderLabels([self.tr("Time"), self.tr("Step"), self.tr("By"), self.tr("Status"),
                                              self.tr("Notes")])
        if self.actions is not None:
            texts = {"case.register": self.tr("Register"), "case.dispatch": self.tr("Dispatch"),
                     "case.start": self.tr("Started"), "case.handle": self.tr("Handled"),
                     "case.return": self.tr("Returned"), "case.verify:passed": self.tr("Verified: passed"),
                     "case.verify:failed": self.tr("Verified: failed"), "case.close": self.tr("Close"),
                     "case.rate": self.tr("Rate"), "case.reject": self.tr("Reject")}
            for key, button in self.buttons.items():
                button.setText(texts[key])
            for field, label in ((self.category, self.tr("Category")), (self.department, self.tr("Department")),
                                 (self.reason, self.tr("Reason")), (self.rating, self.tr("Rating (1-5)")),
                                 (self.note, self.tr("Note or reason"))):
                self.form.labelForField(field).setText(label)
            self.note.setPlaceholderText(self.tr("what was done, what is wrong, why it goes back…"))
            _refill(self.reason, None, [(reason, code_words(reason)) for reason in CASE_REJECT_REASONS])
        self.show_case(self.case, rebuild=True)

    def show_message(self, text: str) -> None:
        self.message.setText(text)

    def show_case(self, case: dict | None, rebuild: bool = False) -> None:
        """Show `case` (None: nothing selected) at the clock's instant. The history and the steps offered
        are built again only when the record changed (records are values: a step makes a new one) or with
        `rebuild` (a new language): the clock's ticks leave what the dispatcher chose and scrolled to."""
        if case is None or self.case is None or case["case_id"] != self.case["case_id"]:
            self.message.clear()
            if self.actions is not None:
                self.note.clear()
        rebuild = rebuild or case is not self.case or self.role() != self._role_shown
        self.case, self._role_shown = case, self.role()
        if case is None:
            self.title.setText(self.tr("No case selected: choose one in the case queue or on the map"))
            self.fields.clear()
            self.steps.setRowCount(0)
            if self.actions is not None:
                self.actions.hide()
            return
        now = self.now()
        late = is_overdue(case, now)
        self.title.setText(self.tr("{0} · {1} · {2}").format(
            case["case_id"], self.names.category(case["category"]), code_words(case["status"]))
            + (self.tr(" · OVERDUE") if late else ""))
        self.title.setStyleSheet(f"font-weight: bold; font-size: 14px; color: {OVERDUE_COLOR.name() if late else 'palette(text)'};")
        self.fields.setText(self._fields(case, now))
        if rebuild:
            self._steps(case)
            if self.actions is not None:
                self._offer(case)

    def _fields(self, case: dict, now: float) -> str:
        names, e = self.names, html.escape
        lines = [(self.tr("Report"), e(case["text"]))]
        where = case.get("address") or f"{case['lon']:.5f}, {case['lat']:.5f}"
        areas = " ⊂ ".join(e(names.area(area)) for _, area in sorted(
            case.get("areas", {}).items(), key=lambda item: GRID_LEVELS.index(item[0]) if item[0] in GRID_LEVELS else 99))
        lines.append((self.tr("Place"), f"{e(where)} · {areas}"))
        lines.append((self.tr("Reported"), self.tr("{0} by {1} ({2})").format(
            _clock(case["reported_ts"]), e(case.get("reported_by") or ""), code_words(case["source"]))))
        if case.get("caller_name") or case.get("callback"):
            lines.append((self.tr("Caller"), e(" · ".join(v for v in (case.get("caller_name"), case.get("callback")) if v))))
        if case.get("department"):
            lines.append((self.tr("Department"), e(names.department(case["department"]))))
        if case.get("due"):
            due_in = epoch(case["due"]) - now
            if case["status"] in FINAL_CASE_STATUSES:
                left = ""
            elif due_in >= 0:
                left = self.tr(" (in {0})").format(case_duration(due_in))
            else:
                left = " <b style='color:#b91c1c'>" + self.tr("({0} late)").format(case_duration(-due_in)) + "</b>"
            lines.append((self.tr("Due"), _clock(case["due"]) + left))
        if case.get("closed_at"):
            on_time = self.tr("on time") if case.get("on_time") else self.tr("late")
            lines.append((self.tr("Closed"), f"{_clock(case['closed_at'])} ({on_time})"))
        if case.get("rating") is not None:
            comment = f" — {e(case['rating_comment'])}" if case.get("rating_comment") else ""
            lines.append((self.tr("Rating"), f"{'★' * case['rating']}{'☆' * (5 - case['rating'])}{comment}"))
        photos = [(self.tr("report"), url) for url in case.get("photos", ())]
        for step in case["steps"][1:]:
            photos += [(word(step["step"]), url) for url in step.get("photos", ())]
        if photos:
            lines.append((self.tr("Photos"), " · ".join(
                f'<a href="{e(url, quote=True)}">{e(what)} {k}</a>' for k, (what, url) in enumerate(photos, 1))))
        return "<table>" + "".join(f"<tr><td><b>{label}</b>&nbsp;</td><td>{value}</td></tr>"
                                   for label, value in lines) + "</table>"

    def _steps(self, case: dict) -> None:
        steps = case["steps"]
        self.steps.setRowCount(len(steps))
        for row, step in enumerate(steps):
            cells = (_clock(step["ts"]), word(step["step"]),
                     f"{step['actor']} ({word(step.get('role') or '')})", code_words(step["status"]),
                     self._step_notes(step))
            for column, text in enumerate(cells):
                self.steps.setItem(row, column, QTableWidgetItem(text))

    def _step_notes(self, step: dict) -> str:
        """What came with a step: the category, department, outcome, reason, note, rating."""
        parts = []
        if step["step"] == "registered" and step.get("category"):
            parts.append(self.names.category(step["category"]))
        if step.get("department"):
            parts.append(self.names.department(step["department"]))
        if step["step"] == "verified":
            parts.append(self.tr("passed") if step.get("passed") else self.tr("failed"))
        if step["step"] == "rejected" and step.get("reason"):
            parts.append(code_words(step["reason"]))
        elif step.get("reason"):
            parts.append(step["reason"])
        if step.get("rating") is not None:
            parts.append("★" * step["rating"])
        for text in (step.get("note"), step.get("comment")):
            if text:
                parts.append(text)
        if step.get("photos"):
            parts.append(self.tr("{0} photos").format(len(step["photos"])))
        return " · ".join(parts)

    def next_steps(self, case: dict) -> list[str]:
        """The buttons offered: the commands the role may send that start from the case's status."""
        allowed = ROLE_COMMANDS.get(self.role() or "", frozenset())
        keys = []
        for key in STEP_BUTTONS:
            cmd = key.split(":")[0]
            if cmd in allowed and case["status"] in CASE_TRANSITIONS[cmd]:
                if cmd == "case.rate" and case.get("rating") is not None:
                    continue  # rated once
                keys.append(key)
        return keys

    def _offer(self, case: dict) -> None:
        offered = self.next_steps(case)
        for key, button in self.buttons.items():
            button.setVisible(key in offered)
        _refill(self.category, None, [(code, self.names.category(code)) for code in sorted(self.names.categories)])
        _refill(self.department, None, [(code, self.names.department(code)) for code in sorted(self.names.departments)])
        if self._defaults_for != (case["case_id"], case["status"]):  # a new case or status: its own defaults
            self._defaults_for = (case["case_id"], case["status"])
            responsible = self.names.categories.get(case["category"], {}).get("department")
            self.category.setCurrentIndex(max(self.category.findData(case["category"]), 0))
            self.department.setCurrentIndex(max(self.department.findData(responsible), 0))
        for field, key in ((self.category, "case.register"), (self.department, "case.dispatch"),
                           (self.reason, "case.reject"), (self.rating, "case.rate")):
            field.setVisible(key in offered)
            self.form.labelForField(field).setVisible(key in offered)
        self.actions.setVisible(bool(offered))

    def _step(self, key: str) -> None:
        """Send the step as the server takes it; what it refuses (a handled case without a note, a case
        another desk moved meanwhile), it says why, and the window shows it."""
        if self.case is None:
            return
        cmd, _, outcome = key.partition(":")
        note = self.note.text().strip()
        args: dict = {"case_id": self.case["case_id"]}
        if cmd == "case.register":
            args["category"] = self.category.currentData()
        elif cmd == "case.dispatch":
            args["department"] = self.department.currentData()
        elif cmd == "case.reject":
            args["reason"] = self.reason.currentData()
        elif cmd == "case.verify":
            args["passed"] = outcome == "passed"
        elif cmd == "case.rate":
            args["rating"] = self.rating.value()
        if note:
            args[{"case.return": "reason", "case.rate": "comment"}.get(cmd, "note")] = note
        self.message.clear()
        self.note.clear()
        self.stepRequested.emit(cmd, args)


def _clock(ts: str) -> str:
    """An event's time in the machine's zone, to the minute, with its date."""
    return datetime.fromtimestamp(epoch(ts)).strftime("%Y-%m-%d %H:%M")


class NewCaseDialog(QDialog):
    """A citizen's report the centre takes (the hotline, the app, a walk-in, a camera operator): category,
    place (lon, lat, an address or place of the city, or the map point clicked), what is wrong, photos
    (one URL a line), the source, and the caller. Enter reports it (case.report)."""

    submitted = Signal(object)  # the args of case.report

    def __init__(self, names: CaseNames, geocoder: Geocoder | None, grid_at, lon: float | None = None,
                 lat: float | None = None, address: Place | None = None, parent=None):
        super().__init__(parent)
        self.names = names
        self.geocoder = geocoder
        self.grid_at = grid_at
        self.map_point = (lon, lat, address) if lon is not None and lat is not None else None
        self.category = QComboBox(self)
        self.category.setObjectName("new-case-category")
        self.place = QLineEdit(self)
        self.place.setObjectName("new-case-place")
        if self.map_point is not None:
            self.place.setText(address.label if address is not None else f"{lon:.6f}, {lat:.6f}")
        self.where = QLabel(self)
        self.where.setObjectName("new-case-where")
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("new-case-text")
        self.text.setMaximumHeight(80)
        self.photos = QPlainTextEdit(self)
        self.photos.setObjectName("new-case-photos")
        self.photos.setMaximumHeight(50)
        self.source = QComboBox(self)
        self.source.setObjectName("new-case-source")
        self.caller_name = QLineEdit(self)
        self.caller_name.setMaxLength(100)
        self.callback = QLineEdit(self)
        self.callback.setMaxLength(32)
        self.problem = QLabel(self)
        self.problem.setStyleSheet("color: #b91c1c;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.report_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.report_button.setDefault(True)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self.form = QFormLayout(self)
        for field in (self.category, self.place):
            self.form.addRow(QLabel(self), field)
        self.form.addRow("", self.where)
        for field in (self.text, self.photos, self.source, self.caller_name, self.callback):
            self.form.addRow(QLabel(self), field)
        self.form.addRow(self.problem)
        self.form.addRow(self.buttons)
        self.place.textChanged.connect(self._describe_place)
        self.retranslate()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("New grid case"))
        _refill(self.category, None, [(code, self.names.category(code)) for code in sorted(self.names.categories)])
        # The centre enters citizens' reports; a grid officer reports from its own device.
        _refill(self.source, None, [(source, code_words(source)) for source in CASE_SOURCES if source != GRID_SOURCE])
        self.place.setPlaceholderText(self.tr("lon, lat — or an address, a place, a street"))
        self.photos.setPlaceholderText(self.tr("photo URLs, one a line (http or https)"))
        self.report_button.setText(self.tr("Report"))
        for field, label in ((self.category, self.tr("Category")), (self.place, self.tr("Place")),
                             (self.text, self.tr("What is wrong")), (self.photos, self.tr("Photos")),
                             (self.source, self.tr("Source")), (self.caller_name, self.tr("Caller")),
                             (self.callback, self.tr("Call-back number"))):
            self.form.labelForField(field).setText(label)
        self._describe_place()

    def location(self) -> tuple[float, float, str | None] | None:
        text = self.place.text().strip()
        if self.map_point is not None:
            lon, lat, address = self.map_point
            if text in ((address.label if address is not None else None), f"{lon:.6f}, {lat:.6f}"):
                return lon, lat, address.label if address is not None else None
        match = _COORDS.match(text)
        if match:
            return float(match.group(1)), float(match.group(2)), None
        if not text or self.geocoder is None:
            return None
        try:
            place = self.geocoder.resolve(text)
        except NoSuchPlace:
            return None
        return place.lon, place.lat, place.label

    def _describe_place(self) -> None:
        where = self.location()
        if where is None:
            self.where.setText(self.tr("Not a place of the city yet"))
            return
        lon, lat, label = where
        cell = self.grid_at(lon, lat) if self.grid_at else None
        self.where.setText(self.tr("{0}{1:.5f}, {2:.5f} · grid cell {3}").format(
            f"{label} · " if label else "", lon, lat, cell or self.tr("none: outside the grid")))

    def _submit(self) -> None:
        where = self.location()
        if where is None:
            self.problem.setText(self.tr("Give the place as lon, lat or an address, place or street of the city."))
            return
        if not self.text.toPlainText().strip():
            self.problem.setText(self.tr("Say what is wrong."))
            return
        lon, lat, address = where
        args = {"category": self.category.currentData(), "lon": lon, "lat": lat,
                "text": self.text.toPlainText().strip(), "source": self.source.currentData(),
                "photos": [line.strip() for line in self.photos.toPlainText().splitlines() if line.strip()]}
        if address:
            args["address"] = address
        for name, field in (("caller_name", self.caller_name), ("callback", self.callback)):
            if field.text().strip():
                args[name] = field.text().strip()
        self.submitted.emit(args)
        self.accept()
