"""The trainee's console in an exercise: the console's own window on an `exercise:NAME` namespace, marked
EXERCISE on every window it has (banner, border, titles, every dock and wall) so that nobody takes it for
the live desk. Its link, state and commands are the live console's; only the namespace differs.
"""
from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenuBar

from console.link import ServerLink
from console.window import MainWindow
from dispatch.domain import EXERCISE_PREFIX
from video.tile import EXERCISE_COLOR  # purple: neither the live console's colours nor the replay's amber
from video.wall import Wall


class ExerciseWindow(MainWindow):
    layout_key = "exercise-layout"  # a trainee's docks and walls are not the live desk's

    def __init__(self, url: str, token: str, name: str, city: str | None = None):
        self.exercise = name
        super().__init__(ServerLink(url, token, EXERCISE_PREFIX + name), city)
        self.setObjectName("onemap-exercise")
        self.banner = QLabel(self)
        self.banner.setObjectName("exercise-banner")
        self.banner.setStyleSheet(f"background: {EXERCISE_COLOR}; color: white; font-weight: bold; padding: 4px 10px;")
        self.centralWidget().layout().insertWidget(0, self.banner)
        # Every dock's title bar in the exercise's colour; the border also frames a dock floated out on its own.
        self.setStyleSheet(f"QMainWindow#onemap-exercise, QDockWidget {{ border: 3px solid {EXERCISE_COLOR}; }} "
                           f"QDockWidget {{ color: white; }} "
                           f"QDockWidget::title {{ background: {EXERCISE_COLOR}; padding-left: 4px; }}")
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        if not hasattr(self, "banner"):  # MainWindow's own first call, before the banner exists
            return
        self.banner.setText(self.tr("EXERCISE · {0} · nothing here is live").format(self.exercise))
        self.setWindowTitle(self.tr("EXERCISE {0} — {1}").format(self.exercise, self.windowTitle()))
        for dock in self.docks().values():  # no dock mistaken for the live desk's, even floating alone
            dock.setWindowTitle(self.tr("EXERCISE {0} · {1}").format(self.exercise, dock.windowTitle()))
        for wall in self.walls:
            self._title_wall(wall)

    def _file_menu(self, bar: QMenuBar) -> None:
        menu = bar.addMenu(self.tr("&File"))
        replay = menu.addAction(self.tr("Replay…"))
        replay.triggered.connect(self.replay_dialog)
        leave = QAction(self.tr("Leave the exercise"), menu)
        leave.setObjectName("exercise-leave")
        leave.triggered.connect(self.close)
        menu.addAction(leave)

    def open_wall(self, data: dict | None = None) -> Wall:
        wall = super().open_wall(data)
        wall.set_exercise(self.exercise)
        self._title_wall(wall)
        return wall

    def _title_wall(self, wall: Wall) -> None:
        wall.setWindowTitle(self.tr("EXERCISE {0} — OneMap — video wall").format(self.exercise))


def open_exercise(url: str, token: str, name: str, city: str | None = None) -> ExerciseWindow:
    """An exercise console window, shown like the live console's (the whole screen at first)."""
    window = ExerciseWindow(url, token, name, city)
    window.setGeometry(window.screen().availableGeometry())
    window.showMaximized()
    return window
