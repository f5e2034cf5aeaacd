"""The layer panel for a dock: visibility (check boxes), order (up/down, top of the list draws on top),
opacity of the current layer, and its legend."""
from __future__ import annotations

import html

from PySide6 import QtGui, QtWidgets
from PySide6.QtCore import QCoreApplication, QEvent, Qt

from map import i18n

NAME_ROLE = Qt.ItemDataRole.UserRole


class LayerPanel(QtWidgets.QWidget):
    def __init__(self, canvas, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.canvas = canvas
        self.list = QtWidgets.QListWidget()
        self.up = QtWidgets.QPushButton("▲")
        self.down = QtWidgets.QPushButton("▼")
        self.opacity = QtWidgets.QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.legend = QtWidgets.QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)

        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.up)
        buttons.addWidget(self.down)
        buttons.addStretch(1)
        form = QtWidgets.QFormLayout()
        self.opacity_label = QtWidgets.QLabel()
        form.addRow(self.opacity_label, self.opacity)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addLayout(form)
        layout.addWidget(self.legend)

        self._syncing = False
        self.list.itemChanged.connect(self._item_changed)
        self.list.currentItemChanged.connect(lambda *_: self._show_current())
        self.up.clicked.connect(self.move_up)
        self.down.clicked.connect(self.move_down)
        self.opacity.valueChanged.connect(self._opacity_changed)
        canvas.layersChanged.connect(self._sync)
        self.retranslate()
        self.list.setCurrentRow(0)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        """Texts in the current language; literal strings are looked up in the "map" context by name, where
        lupdate files them (map/i18n.py's tr() would be filed under "i18n")."""
        self.up.setToolTip(QCoreApplication.translate("map", "Draw above the layer over it"))
        self.down.setToolTip(QCoreApplication.translate("map", "Draw below the layer under it"))
        self.opacity_label.setText(QCoreApplication.translate("map", "Opacity"))
        self._sync()
        self._show_current()

    def item(self, name: str) -> QtWidgets.QListWidgetItem:
        for row in range(self.list.count()):
            if self.list.item(row).data(NAME_ROLE) == name:
                return self.list.item(row)
        raise KeyError(name)

    def set_current(self, name: str) -> None:
        self.list.setCurrentItem(self.item(name))

    def current(self) -> str | None:
        item = self.list.currentItem()
        return item.data(NAME_ROLE) if item is not None else None

    def move_up(self) -> None:
        self._move(+1)

    def move_down(self) -> None:
        self._move(-1)

    def _move(self, step: int) -> None:
        name = self.current()
        if name is None:
            return
        order = self.canvas.layer_order
        i = order.index(name)
        j = min(max(i + step, 0), len(order) - 1)
        order[i], order[j] = order[j], order[i]
        self.canvas.set_layer_order(order)
        self.set_current(name)

    def _sync(self) -> None:
        """Rebuild the list from the canvas (top layer first)."""
        current = self.current()
        self._syncing = True
        self.list.clear()
        for name in reversed(self.canvas.layer_order):
            layer = self.canvas.layers[name]
            item = QtWidgets.QListWidgetItem(self.canvas.layer_title(name))
            item.setData(NAME_ROLE, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if self.canvas.layer_visible(name) else Qt.CheckState.Unchecked)
            legend = layer.model.legend() if layer.model is not None else []
            if legend:
                item.setIcon(_swatch(legend[0][1]))
            self.list.addItem(item)
        self._syncing = False
        if current is not None:
            self.set_current(current)

    def _item_changed(self, item: QtWidgets.QListWidgetItem) -> None:
        if not self._syncing:
            self.canvas.set_layer_visible(item.data(NAME_ROLE), item.checkState() == Qt.CheckState.Checked)

    def _show_current(self) -> None:
        name = self.current()
        if name is None or self._syncing:
            return
        self.opacity.blockSignals(True)
        self.opacity.setValue(round(self.canvas.layer_opacity(name) * 100))
        self.opacity.blockSignals(False)
        layer = self.canvas.layers[name]
        entries = layer.model.legend() if layer.model is not None else []
        rows = "".join(f'<tr><td style="background: rgb{rgb}; width: 14px"></td>'
                       f'<td>&nbsp;{html.escape(i18n.legend_label(name, label))}</td></tr>' for label, rgb in entries)
        self.legend.setText(f"<b>{html.escape(self.canvas.layer_title(name))}</b><table>{rows}</table>")

    def _opacity_changed(self, value: int) -> None:
        name = self.current()
        if name is not None:
            self.canvas.set_layer_opacity(name, value / 100)


def _swatch(rgb) -> QtGui.QIcon:
    pixmap = QtGui.QPixmap(12, 12)
    pixmap.fill(QtGui.QColor(*rgb))
    return QtGui.QIcon(pixmap)
