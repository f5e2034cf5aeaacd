"""The Statistics window (自动统计): a period of the log against the one before, as charts and tables, and
Export… writing the files `onemap stats` writes.

The figures are reports.stats' (Qt-free). They are read on a thread of the window's own, from a log file or
from a server's history requests (console.replay.ServerReader, on a link of its own, as the replay window's
export does), with a progress dialog when it takes more than a second: the GUI thread never reads the
disk or the network. Charts are pyqtgraph bar charts of reports.stats_page.chart_specs, the same charts
as report.html's.
"""
from __future__ import annotations

import functools

import math
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Callable

import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QDate, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDateEdit, QFileDialog, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
                               QMainWindow, QProgressDialog, QPushButton, QScrollArea, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from console.words import word
from reports.stats import PERIODS, Period, Statistics, compute_stats, period_of, previous_period, write_stats
from reports.stats_page import chart_specs, headline
from reports.times import local_label, machine_zone

PERIOD_NAMES = {
    "day": QT_TRANSLATE_NOOP("StatisticsWindow", "Day"),
    "week": QT_TRANSLATE_NOOP("StatisticsWindow", "Week"),
    "month": QT_TRANSLATE_NOOP("StatisticsWindow", "Month"),
    "quarter": QT_TRANSLATE_NOOP("StatisticsWindow", "Quarter"),
    "year": QT_TRANSLATE_NOOP("StatisticsWindow", "Year"),
}
# reports.stats_page's English titles, in the console's language
TITLES = {
    "Incidents by kind": QT_TRANSLATE_NOOP("StatisticsWindow", "Incidents by kind"),
    "Incidents by hour of day": QT_TRANSLATE_NOOP("StatisticsWindow", "Incidents by hour of day"),
    "Incidents by grid cell": QT_TRANSLATE_NOOP("StatisticsWindow", "Incidents by grid cell"),
    "Call to dispatch by priority": QT_TRANSLATE_NOOP("StatisticsWindow", "Call to dispatch by priority"),
    "Dispatch to on scene by priority": QT_TRANSLATE_NOOP("StatisticsWindow", "Dispatch to on scene by priority"),
    "Camera online rate by grid cell": QT_TRANSLATE_NOOP("StatisticsWindow", "Camera online rate by grid cell"),
    "Cases reported by category": QT_TRANSLATE_NOOP("StatisticsWindow", "Cases reported by category"),
    "结案率 and 按期结案率 by department": QT_TRANSLATE_NOOP("StatisticsWindow", "结案率 and 按期结案率 by department"),
    "Ratings entered": QT_TRANSLATE_NOOP("StatisticsWindow", "Ratings entered"),
    "Incidents": QT_TRANSLATE_NOOP("StatisticsWindow", "Incidents"),
    "Call to dispatch p50": QT_TRANSLATE_NOOP("StatisticsWindow", "Call to dispatch p50"),
    "Dispatch to on scene p50": QT_TRANSLATE_NOOP("StatisticsWindow", "Dispatch to on scene p50"),
    "Camera online rate": QT_TRANSLATE_NOOP("StatisticsWindow", "Camera online rate"),
    "Cases reported": QT_TRANSLATE_NOOP("StatisticsWindow", "Cases reported"),
    "结案率 closure rate": QT_TRANSLATE_NOOP("StatisticsWindow", "结案率 closure rate"),
    "按期结案率 on-time rate": QT_TRANSLATE_NOOP("StatisticsWindow", "按期结案率 on-time rate"),
    "Mean rating": QT_TRANSLATE_NOOP("StatisticsWindow", "Mean rating"),
}
STEPS = {
    "reading the previous period": QT_TRANSLATE_NOOP("StatisticsWindow", "reading the previous period"),
    "reading the period": QT_TRANSLATE_NOOP("StatisticsWindow", "reading the period"),
    "writing the files": QT_TRANSLATE_NOOP("StatisticsWindow", "writing the files"),
    "done": QT_TRANSLATE_NOOP("StatisticsWindow", "done"),
}
UNIT_LABELS = {
    "count": QT_TRANSLATE_NOOP("StatisticsWindow", "count"),
    "s": QT_TRANSLATE_NOOP("StatisticsWindow", "seconds"),
    "rate": QT_TRANSLATE_NOOP("StatisticsWindow", "%"),
}
PROGRESS_AFTER_MS = 1000  # work done sooner shows no progress dialog
CHART_HEIGHT = 280
MAX_TICK_LABELS = 12  # more labels than this would overlap: every other one (or fewer) is written
LEGEND_LINE = 0.18


@dataclass(frozen=True)
class ServerLogin:
    """A server to read the statistics from: its URL and the console's token (and the city it names)."""
    url: str
    token: str
    city: str | None = None


def _opener(source: str | Path | ServerLogin) -> Callable[[str], tuple[object, Callable[[], None]]]:
    """namespace -> (a reports.export.LogSource, its close), to be called on the worker thread."""
    if isinstance(source, ServerLogin):
        return functools.partial(_open_server, source)
    return functools.partial(_open_file, str(source))


# Module-level, not nested in _opener: pyside6-lupdate loses the class context of the window after a
# function defined inside an `if`, and the window's texts would stay English.
def _open_server(source: ServerLogin, namespace: str):
    from console.replay import ServerHistory, ServerReader

    reader = ServerReader(source.url, source.token, namespace)
    try:
        reader.open(None, None)
    except BaseException:
        reader.close()
        raise
    return ServerHistory(reader, source.city), reader.close


def _open_file(path: str, namespace: str):
    from reports.stats import open_source

    return open_source(path, None, namespace)


class _Relay(QObject):
    """Carries a worker thread's progress and outcome to the GUI thread."""
    progressed = Signal(float, str)
    finished = Signal(object, str)  # the outcome (Statistics or the files written), the error in words


class StatisticsWindow(QMainWindow):
    computed = Signal(object)  # the Statistics shown
    exported = Signal(list)  # the files written

    def __init__(self, source: str | Path | ServerLogin, clock: Callable[[], float] = time.time,
                 namespace: str = "live", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("onemap-statistics")
        self.setWindowTitle(self.tr("Statistics"))
        self.open_log = _opener(source)
        self.clock = clock
        self.zone = machine_zone()
        self.stats: Statistics | None = None
        self.progress: QProgressDialog | None = None
        self.progress_after_ms = PROGRESS_AFTER_MS
        self._busy = False

        self.period = QComboBox(self)
        for kind in PERIODS:
            self.period.addItem(self.tr(PERIOD_NAMES[kind]), kind)
        self.period.setCurrentIndex(PERIODS.index("month"))
        self.date = QDateEdit(self)
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.namespace = QLineEdit(namespace, self)
        self.namespace.setToolTip(self.tr("live, exercise:NAME or history:NAME"))
        self.last_complete = QPushButton(self.tr("Last complete period"), self)
        self.last_complete.clicked.connect(self.choose_last_complete)
        self.compute_button = QPushButton(self.tr("Compute"), self)
        self.compute_button.clicked.connect(self.compute)
        self.export_button = QPushButton(self.tr("Export…"), self)
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export_dialog)
        bar = QHBoxLayout()
        for label, widget in ((self.tr("Period"), self.period), (self.tr("Date in it"), self.date),
                              (self.tr("Namespace"), self.namespace)):
            bar.addWidget(QLabel(label, self))
            bar.addWidget(widget)
        for button in (self.last_complete, self.compute_button, self.export_button):
            bar.addWidget(button)
        bar.addStretch(1)

        self.span = QLabel(self.tr("Choose a period and Compute"), self)
        self.span.setObjectName("stats-span")
        self.cards = QGridLayout()
        self.charts = QWidget(self)
        self.chart_grid = QGridLayout(self.charts)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.charts)
        self.tables = QTabWidget(self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(scroll, self.tr("Charts"))
        self.tabs.addTab(self.tables, self.tr("Tables"))
        self.plots: dict[str, pg.PlotWidget] = {}
        self.table_views: dict[str, QTableWidget] = {}

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addLayout(bar)
        layout.addWidget(self.span)
        layout.addLayout(self.cards)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.choose_last_complete()

    # ---- choosing -----------------------------------------------------------------------------------

    def chosen_period(self) -> Period:
        day = self.date.date()
        return period_of(self.period.currentData(), date(day.year(), day.month(), day.day()), self.zone)

    def choose_last_complete(self) -> None:
        """The date of the last period of the chosen kind that has ended (what `--at previous` takes)."""
        today = datetime.fromtimestamp(self.clock(), self.zone).date()
        last = previous_period(period_of(self.period.currentData(), today, self.zone), self.zone)
        first = datetime.fromtimestamp(last.start, self.zone).date()
        self.date.setDate(QDate(first.year, first.month, first.day))

    # ---- work on a thread ---------------------------------------------------------------------------

    def _run(self, words: str, work: Callable[[Callable[[float, str], None]], object], done) -> None:
        """`work(progress)` on a thread; `done(outcome, error)` back on the GUI thread. A progress dialog
        shows once it has taken `progress_after_ms`."""
        self._busy = True
        for button in (self.compute_button, self.export_button):
            button.setEnabled(False)
        progress = QProgressDialog(words, None, 0, 100, self)
        progress.setWindowModality(Qt.WindowModality.NonModal)
        progress.setMinimumDuration(2 ** 30)  # shown by the timer below, not by Qt's estimate
        self.progress = progress
        QTimer.singleShot(self.progress_after_ms, lambda: progress.show() if self.progress is progress else None)
        relay = _Relay(self)
        relay.progressed.connect(lambda share, step: (
            progress.setValue(int(share * 100)),
            progress.setLabelText(f"{words} {self.tr(STEPS[step]) if step in STEPS else step}")))

        def finish(outcome, error: str) -> None:
            self.progress = None
            progress.close()
            progress.deleteLater()
            self._busy = False
            self.compute_button.setEnabled(True)
            done(outcome, error)
            self.export_button.setEnabled(self.stats is not None)
        relay.finished.connect(finish)

        def run() -> None:
            try:
                relay.finished.emit(work(lambda share, step: relay.progressed.emit(share, step)), "")
            except Exception as exc:  # said in the window; it stays usable
                relay.finished.emit(None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)

        threading.Thread(target=run, name="statistics", daemon=True).start()

    @property
    def busy(self) -> bool:
        return self._busy

    def compute(self) -> None:
        period, namespace, zone = self.chosen_period(), self.namespace.text().strip() or "live", self.zone

        def work(progress) -> Statistics:
            source, close = self.open_log(namespace)
            try:
                return compute_stats(source, namespace, period, zone, progress)
            finally:
                close()

        self._run(self.tr("Computing the statistics of {0}…").format(period.label), work, self._computed)

    def _computed(self, stats: Statistics | None, error: str) -> None:
        if error:
            self.span.setText(self.tr("The statistics were not computed: {0}").format(error))
            return
        self.stats = stats
        self.show_stats(stats)
        self.computed.emit(stats)

    def export_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Export the statistics into"))
        if folder and self.stats is not None:
            self.export(Path(folder) / f"stats-{self.stats.current.period.label}-{time.strftime('%Y%m%d-%H%M%S')}")

    def export(self, out_dir: Path) -> None:
        """The figures shown, written as `onemap stats` writes them (CSV, stats.xlsx, report.html)."""
        stats = self.stats
        if stats is None:
            return

        def done(files, error: str) -> None:
            if error:
                self.statusBar().showMessage(self.tr("The statistics were not written: {0}").format(error))
                return
            self.statusBar().showMessage(self.tr("Statistics written to {0}").format(out_dir))
            self.exported.emit([str(f) for f in files])

        self._run(self.tr("Writing the statistics…"), lambda progress: write_stats(stats, out_dir, progress), done)

    # ---- showing ------------------------------------------------------------------------------------

    def show_stats(self, stats: Statistics) -> None:
        current, previous = stats.current.period, stats.previous.period
        self.span.setText(self.tr("{0} {1}: {2} to {3}, against {4}. Figures as known at each period's end.").format(
            self.tr(PERIOD_NAMES[current.kind]), current.label, local_label(current.start, stats.zone),
            local_label(current.end, stats.zone), previous.label))
        while self.cards.count():
            self.cards.takeAt(0).widget().deleteLater()
        for index, (title, now, before) in enumerate(headline(stats)):
            previous_words = self.tr("previous: {0}").format(before)  # outside the f-string, for lupdate
            card = QLabel(f"{self.tr(TITLES.get(title, title))}<br><b style='font-size:16pt'>{now}</b><br>"
                          f"<small>{previous_words}</small>", self)
            card.setObjectName(f"card-{index}")
            card.setStyleSheet("QLabel { background: #eef2f6; padding: 6px 12px; border-radius: 6px; }")
            self.cards.addWidget(card, 0, index)
        self._show_charts(stats)
        self._show_tables(stats)

    def _show_charts(self, stats: Statistics) -> None:
        for plot in self.plots.values():
            plot.deleteLater()
        self.plots = {}
        for index, spec in enumerate(chart_specs(stats)):
            plot = pg.PlotWidget(self.charts, background="w")
            plot.setObjectName(f"chart-{spec.chart_id}")
            plot.setMinimumHeight(CHART_HEIGHT)
            plot.setTitle(self.tr(TITLES.get(spec.title, spec.title)), color="#1d2733")
            plot.setMouseEnabled(False, False)
            plot.hideButtons()
            plot.setLabel("left", self.tr(UNIT_LABELS[spec.unit]))
            plot.addLegend(offset=(-10, 5), labelTextColor="#33414e", brush=pg.mkBrush(255, 255, 255, 200))
            scale = 100.0 if spec.unit == "rate" else 1.0  # rates drawn as percentages
            width = 0.8 / max(1, len(spec.series))
            tallest = 0.0
            for s, (name, colour, values) in enumerate(spec.series):
                xs = [i - 0.4 + width * (s + 0.5) for i, v in enumerate(values) if v is not None]
                heights = [v * scale for v in values if v is not None]
                tallest = max([tallest, *heights])
                plot.addItem(pg.BarGraphItem(x=xs, height=heights, width=width * 0.95, brush=colour, pen=None,
                                             name=name))
            stride = max(1, math.ceil(len(spec.labels) / MAX_TICK_LABELS))
            # incident kinds in the console's words; cells, hours and priorities pass through as they are
            plot.getAxis("bottom").setTicks([[(i, (word(label) if label else "–")[:12]) for i, label in enumerate(spec.labels)
                                              if i % stride == 0]])
            plot.setXRange(-0.6, max(0, len(spec.labels) - 1) + 0.6, padding=0)
            # room above the bars for the legend, a line per series
            plot.setYRange(0, (tallest or 1.0) * (1.2 + LEGEND_LINE * len(spec.series)), padding=0)
            self.chart_grid.addWidget(plot, index // 2, index % 2)
            self.plots[spec.chart_id] = plot

    def _show_tables(self, stats: Statistics) -> None:
        self.tables.clear()
        self.table_views = {}
        for table in stats.tables:
            view = QTableWidget(len(table.rows), len(table.columns), self.tables)
            view.setObjectName(f"table-{table.name}")
            view.setHorizontalHeaderLabels(list(table.columns))
            view.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            for r, row in enumerate(table.rows):
                for c, value in enumerate(row):
                    item = QTableWidgetItem("" if value is None else str(value))
                    if isinstance(value, (int, float)):
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    view.setItem(r, c, item)
            view.resizeColumnsToContents()
            self.tables.addTab(view, table.name)
            self.table_views[table.name] = view


def open_statistics(parent: QWidget | None, source: str | Path | ServerLogin, clock: Callable[[], float] = time.time,
                    namespace: str = "live") -> StatisticsWindow:
    """The Statistics window on a log file's path or a server (ServerLogin), its date on the last complete
    month by `clock` (the console's: its `clock.now`). Shown; computing starts when asked."""
    window = StatisticsWindow(source, clock, namespace, parent)
    window.setWindowFlag(Qt.WindowType.Window)
    window.resize(1400, 950)
    window.show()
    return window
