"""Reading a city pack in a worker thread, so the window stays responsive while large files load."""
from __future__ import annotations

from PySide6 import QtCore

from layers.citypack import load_city


class CityLoader(QtCore.QThread):
    """Runs layers.citypack.load_city off the GUI thread; `loaded` carries the CityPack."""

    loaded = QtCore.Signal(object)
    failed = QtCore.Signal(str)

    def __init__(self, name_or_path, parent=None):
        super().__init__(parent)
        self.name_or_path = name_or_path

    def run(self) -> None:
        try:
            pack = load_city(self.name_or_path)
        except Exception as exc:  # noqa: BLE001 - every failure is reported to the user, none is fatal
            self.failed.emit(str(exc))
            return
        self.loaded.emit(pack)
