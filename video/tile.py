"""One wall tile: a camera's live picture with an honest status bar, NO SIGNAL, and self-reconnection.

The status bar shows the camera's name, the frame rate really displayed and the age of the newest frame.
When frames stop for more than 2 s the picture is replaced by the last frame, dimmed, under NO SIGNAL, and
the tile reconnects by itself with a short backoff. Online means "new frames in the last 2 s", nothing else.
The tile tells the rest of the console (and through it every console's map) that its camera is dark only
when the reconnections have not brought the picture back within `DARK_AFTER_S`: a stall the tile puts right
by itself is the tile's to show, not a camera going offline city-wide.
"""
from __future__ import annotations

import enum
import time

from PySide6.QtCore import QCoreApplication, QEvent, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QFrame, QLabel, QStackedLayout, QVBoxLayout, QWidget

from video.backends import VideoBackend, backend_kind
from video.camera import Camera
from video.dnd import CAMERA_MIME, camera_from_mime
from video.liveness import LivenessMeter

POLL_INTERVAL_MS = 250
# Retry delays after a loss, then the last one forever. Capped at 1 s because a restarted source must be
# back on the wall within 3 s with no user action, and a (re)connection itself takes about 1.2 s.
RECONNECT_DELAYS_S = (0.25, 0.5, 1.0)
# How long a tile stays without signal before it announces its camera dark; a busy machine stalls a stream
# for a few seconds now and then, and each such stall would otherwise flap the camera offline and back.
DARK_AFTER_S = 5.0
STATUS_BAR_HEIGHT = 22
EXERCISE_COLOR = "#7e22ce"  # purple: what an exercise is marked with (console/exercise.py), never live's colours
EXERCISE_BORDER = 3


class TileState(enum.Enum):
    EMPTY = "empty"            # no camera assigned
    CONNECTING = "connecting"  # first connection to this camera, no frame yet
    LIVE = "live"              # new frames within the last 2 s
    NO_SIGNAL = "no signal"    # frames stopped or never came; reconnecting


_STATUS_COLOURS = {
    TileState.EMPTY: "#303030",
    TileState.CONNECTING: "#5a5a20",
    TileState.LIVE: "#1d5b2a",
    TileState.NO_SIGNAL: "#8a1c1c",
}


class VideoTile(QFrame):
    onlineChanged = Signal(str, bool)   # camera_id, online; live at once, dark after DARK_AFTER_S without signal
    cameraDropped = Signal(object)      # the Camera a user dropped here (already playing)
    doubleClicked = Signal()
    stateChanged = Signal(object)       # TileState

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self._set_frame("#202020", 1)
        self._camera: Camera | None = None
        self._backend: VideoBackend | None = None
        self._state: TileState | None = None  # set to EMPTY at the end of __init__
        self._online: bool | None = None  # last value announced for the current camera
        self._meter = LivenessMeter()
        self._reconnect_attempt = 0
        self._exercise: str | None = None

        # Beside the picture, never over it: libvlc's native window would cover anything drawn on it.
        self._exercise_label = QLabel()
        self._exercise_label.setObjectName("tile-exercise")
        self._exercise_label.setFixedHeight(STATUS_BAR_HEIGHT)
        self._exercise_label.setStyleSheet(f"background: {EXERCISE_COLOR}; color: white; font-weight: bold; "
                                           "padding-left: 4px;")
        self._exercise_label.hide()
        self._status = QLabel()
        self._status.setFixedHeight(STATUS_BAR_HEIGHT)
        self._status.setTextFormat(Qt.TextFormat.PlainText)
        self._message = _MessageView()
        # libvlc sizes its picture from its X window when it starts, and Qt does not resize the X window
        # of a hidden widget: so both pages stay shown at full size (StackAll) and the current one is
        # raised on top. The message page is a native window too, or the video window would cover it.
        self._message.setAttribute(Qt.WidgetAttribute.WA_NativeWindow)
        self._stack = QStackedLayout()
        self._stack.setStackingMode(QStackedLayout.StackingMode.StackAll)
        self._stack.addWidget(self._message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(0)
        layout.addWidget(self._exercise_label)
        layout.addWidget(self._status)
        layout.addLayout(self._stack, 1)

        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(POLL_INTERVAL_MS)
        self._poll_timer.timeout.connect(self._poll)
        self._reconnect_timer = QTimer(self)
        self._reconnect_timer.setSingleShot(True)
        self._reconnect_timer.timeout.connect(self._reconnect)
        self._dark_timer = QTimer(self)
        self._dark_timer.setSingleShot(True)
        self._dark_timer.setInterval(int(DARK_AFTER_S * 1000))
        self._dark_timer.timeout.connect(self._announce_dark)
        self._set_state(TileState.EMPTY)

    # -- public ------------------------------------------------------------------------------------------

    @property
    def camera(self) -> Camera | None:
        return self._camera

    @property
    def state(self) -> TileState:
        return self._state

    @property
    def backend(self) -> VideoBackend | None:
        return self._backend

    def status_text(self) -> str:
        return self._status.text()

    def message_text(self) -> str:
        """The text over the picture area when no live picture is shown ('' while live)."""
        return "" if self._state == TileState.LIVE else self._message.title

    def exercise_text(self) -> str:
        """The EXERCISE line over the status bar ('' on a live wall)."""
        return self._exercise_label.text() if self._exercise is not None else ""

    def set_exercise(self, name: str | None) -> None:
        """Mark the tile as exercise NAME's (a purple frame and an EXERCISE line), or unmark it (None)."""
        self._exercise = name
        width = 1 if name is None else EXERCISE_BORDER
        self._set_frame("#202020" if name is None else EXERCISE_COLOR, width)
        self.layout().setContentsMargins(width, width, width, width)
        self._exercise_label.setVisible(name is not None)
        self._show_exercise()

    def _show_exercise(self) -> None:
        if self._exercise is not None:
            self._exercise_label.setText(QCoreApplication.translate("video", "EXERCISE · {0}").format(self._exercise))

    def _set_frame(self, colour: str, width: int) -> None:
        self.setStyleSheet(f"VideoTile {{ background: black; border: {width}px solid {colour}; }}")

    def set_camera(self, camera: Camera | None) -> None:
        """Show `camera` here (None empties the tile). The previous camera's state is left as it was."""
        self._reconnect_timer.stop()
        self._dark_timer.stop()
        if self._backend is not None:
            self._backend.stop()
        self._camera = camera
        self._online = None
        self._meter = LivenessMeter()
        self._reconnect_attempt = 0
        self._message.set_image(None)
        if camera is None:
            self._poll_timer.stop()
            self._set_state(TileState.EMPTY)
            return
        self._use_backend(backend_kind(camera.stream_url))
        self._set_state(TileState.CONNECTING)
        self._connect()
        self._poll_timer.start()

    def release(self) -> None:
        """Stop playing and free the player; call before the tile is discarded."""
        self._poll_timer.stop()
        self._reconnect_timer.stop()
        self._dark_timer.stop()
        self._drop_backend()

    # -- liveness ----------------------------------------------------------------------------------------

    def _connect(self) -> None:
        self._meter.restart(time.monotonic())
        self._backend.play(self._camera.stream_url)

    def _poll(self) -> None:
        now = time.monotonic()
        self._meter.sample(now, self._backend.frames_displayed())
        live = self._meter.is_live(now)
        waited = now - self._meter.connected_at
        if self._state == TileState.LIVE and not live:
            self._lose_signal()
        elif self._state in (TileState.CONNECTING, TileState.NO_SIGNAL) and live:
            self._go_live()
        elif self._state == TileState.CONNECTING and waited > self._meter.stale_after_s:
            self._lose_signal()
        elif self._state == TileState.NO_SIGNAL and waited > self._meter.stale_after_s:
            self._schedule_reconnect()  # this attempt connected to nothing that sends frames
        self._show_status(now)

    def _on_disconnected(self) -> None:
        if self._state in (TileState.LIVE, TileState.CONNECTING):
            self._lose_signal()
        elif self._state == TileState.NO_SIGNAL:
            self._schedule_reconnect()

    def _go_live(self) -> None:
        self._reconnect_attempt = 0
        self._reconnect_timer.stop()
        self._dark_timer.stop()
        self._set_state(TileState.LIVE)
        self._announce(True)

    def _lose_signal(self) -> None:
        if self._state == TileState.LIVE:
            # Taken before the player stops: libvlc's window still holds the last picture until then.
            self._message.set_image(self._backend.displayed_image())
        # Drop the dead connection, so nothing of it can count as a frame of the next one.
        self._backend.stop()
        self._meter.restart(time.monotonic())
        self._set_state(TileState.NO_SIGNAL)
        if not self._dark_timer.isActive():
            self._dark_timer.start()
        self._schedule_reconnect()

    def _schedule_reconnect(self) -> None:
        if self._reconnect_timer.isActive():
            return
        delay = RECONNECT_DELAYS_S[min(self._reconnect_attempt, len(RECONNECT_DELAYS_S) - 1)]
        self._reconnect_attempt += 1
        self._reconnect_timer.start(int(delay * 1000))

    def _reconnect(self) -> None:
        if self._camera is not None and self._state == TileState.NO_SIGNAL:
            self._connect()

    def _announce_dark(self) -> None:
        if self._camera is not None and self._state == TileState.NO_SIGNAL:
            self._announce(False)

    def _announce(self, online: bool) -> None:
        if self._online != online:
            self._online = online
            self.onlineChanged.emit(self._camera.camera_id, online)

    # -- presentation ------------------------------------------------------------------------------------

    def _use_backend(self, kind: type[VideoBackend]) -> None:
        if isinstance(self._backend, kind):
            return
        self._drop_backend()
        self._backend = kind(self)
        self._backend.disconnected.connect(self._on_disconnected)
        self._stack.addWidget(self._backend.surface)
        self._message.raise_()

    def _drop_backend(self) -> None:
        if self._backend is not None:
            # libvlc reports an ended or failed stream from its own thread, so a report can still be on its
            # way after the stop: cut the backend loose first, or that late report would act on this tile.
            self._backend.disconnected.disconnect(self._on_disconnected)
            self._stack.removeWidget(self._backend.surface)
            self._backend.release()
            self._backend.surface.deleteLater()
            self._backend.deleteLater()
            self._backend = None

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._set_state(self._state)  # the tile's message and status line in the new language
            self._show_exercise()
        super().changeEvent(event)

    def _set_state(self, state: TileState) -> None:
        changed = state != self._state
        self._state = state
        if state == TileState.LIVE:
            self._stack.setCurrentWidget(self._backend.surface)
        else:
            if state == TileState.NO_SIGNAL:
                self._message.set_text(QCoreApplication.translate("video", "NO SIGNAL"),
                                       QCoreApplication.translate("video", "reconnecting automatically"), alarm=True)
            else:
                self._message.set_text(QCoreApplication.translate("video", "CONNECTING") if state == TileState.CONNECTING
                                       else QCoreApplication.translate("video", "Drop a camera here"))
            self._stack.setCurrentWidget(self._message)
        self._show_status(time.monotonic())
        if changed:
            self._status.setStyleSheet(
                f"background: {_STATUS_COLOURS[state]}; color: white; padding-left: 4px;")
            self.stateChanged.emit(state)

    def _show_status(self, now: float) -> None:
        if self._camera is None:
            text = ""
        else:
            age = self._meter.last_frame_age(now)
            age_text = (QCoreApplication.translate("video", "no frame") if age is None
                        else QCoreApplication.translate("video", "last frame {0:.1f} s ago").format(age))
            fps = self._meter.fps(now) if self._state == TileState.LIVE else 0.0
            fps_text = "… fps" if fps is None else f"{fps:.1f} fps"
            text = f"{self._camera.name}  ·  {fps_text}  ·  {age_text}"
        if text != self._status.text():
            self._status.setText(text)

    # -- user input --------------------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(CAMERA_MIME):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(CAMERA_MIME):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        camera = camera_from_mime(event.mimeData())
        if camera is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.set_camera(camera)
        self.cameraDropped.emit(camera)

    def mouseDoubleClickEvent(self, event) -> None:
        self.doubleClicked.emit()
        event.accept()


class _MessageView(QWidget):
    """NO SIGNAL / CONNECTING / empty: a big word over the last frame, dimmed so it never looks live."""

    def __init__(self):
        super().__init__()
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.title = ""
        self._detail = ""
        self._alarm = False
        self._image: QImage | None = None

    def set_text(self, title: str, detail: str = "", alarm: bool = False) -> None:
        self.title, self._detail, self._alarm = title, detail, alarm
        self.update()

    def set_image(self, image: QImage | None) -> None:
        self._image = image
        self.update()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("black"))
        if self._image is not None and not self._image.isNull():
            painter.drawImage(self.rect(), self._image)
            painter.fillRect(self.rect(), QColor(0, 0, 0, 170))
        title_font = QFont(self.font())
        title_font.setBold(self._alarm)
        if self._alarm:
            title_font.setPixelSize(max(14, min(48, self.height() // 6)))
        else:
            title_font.setPixelSize(max(12, min(20, self.height() // 12)))
        painter.setFont(title_font)
        painter.setPen(QColor("#ff4040") if self._alarm else QColor("#a0a0a0"))
        title_box = QRect(0, 0, self.width(), self.height() // 2 + title_font.pixelSize() // 2)
        painter.drawText(title_box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, self.title)
        if self._detail:
            painter.setFont(self.font())
            painter.setPen(QColor("#d0d0d0"))
            detail_box = QRect(0, title_box.bottom() + 6, self.width(), self.height())
            painter.drawText(detail_box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, self._detail)
