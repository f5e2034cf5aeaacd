"""Video playback backends behind one small interface, chosen per source.

libvlc (through python-vlc) plays http(s) and files, drawing straight into a native X window: decoding,
scaling and drawing stay in C threads, which is what lets 16 tiles fit in one core. Debian's libvlc is built
without live555 and cannot open rtsp://, so RTSP goes to Qt Multimedia (FFmpeg inside the PySide6 wheel),
which decodes into a QVideoSink that a plain widget paints.

The tile only sees `VideoBackend`: a surface widget, play/stop, a counter of displayed frames, the image
shown now, and a `disconnected` signal. Liveness and reconnecting are the tile's job, not the backend's.
"""
from __future__ import annotations

import functools
from urllib.parse import urlsplit

import vlc
from PySide6.QtCore import QObject, QRect, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
from PySide6.QtMultimedia import QMediaPlayer, QVideoFrame, QVideoSink
from PySide6.QtWidgets import QFrame, QWidget

# Options measured on Debian 12 under X (../shared/STACK-NOTES.md):
VLC_OPTIONS = (
    "--gl=none", "--gles2=none",       # software OpenGL under X costs ~5x the CPU of the plain xcb output
    "--no-osd", "--no-snapshot-preview",  # no text drawn over the picture a dispatcher must trust
    "--no-video-title-show",
    "--no-audio",                      # a wall of 16 cameras is watched, not heard
    "--avcodec-hw=none",               # probing absent VA-API/VDPAU costs start-up time on every reconnect
    "--avcodec-threads=1",             # many small streams: one decoder thread each, less latency
    "--network-caching=200",           # a short buffer so a dead source is noticed and a restart shows fast
    "--quiet",
)

RTSP_SCHEMES = frozenset({"rtsp", "rtsps"})


class VideoBackend(QObject):
    """One player. `surface` is the widget the picture appears in; the tile places it in its layout."""

    # The source ended or failed (connection refused, stream closed). Emitted in the GUI thread.
    disconnected = Signal()

    surface: QWidget

    def play(self, url: str) -> None:
        """(Re)open `url` from scratch; the frame counter starts again at 0."""
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def frames_displayed(self) -> int:
        """Pictures shown since the last `play`; it only rises while frames really arrive."""
        raise NotImplementedError

    def displayed_image(self) -> QImage | None:
        """The picture the surface shows now, or None when it shows none."""
        raise NotImplementedError

    def release(self) -> None:
        """Stop and free the player; the backend is not used again."""
        raise NotImplementedError


def backend_kind(url: str) -> type[VideoBackend]:
    """The backend class that plays `url`: Qt Multimedia for RTSP (this libvlc has none), libvlc otherwise."""
    return QtMultimediaBackend if urlsplit(url).scheme.lower() in RTSP_SCHEMES else VlcBackend


@functools.cache
def vlc_instance() -> vlc.Instance:
    """The one libvlc instance of the process, shared by every tile."""
    instance = vlc.Instance(list(VLC_OPTIONS))
    if instance is None:  # libvlc returns NULL silently on any unknown option
        raise RuntimeError(f"libvlc refused the options {VLC_OPTIONS}")
    return instance


class VlcBackend(VideoBackend):
    """libvlc drawing into a native-window QFrame via set_xwindow."""

    _ended = Signal(int)  # carries the play generation, so a late event from a previous play is ignored

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.surface = QFrame()
        self.surface.setAttribute(Qt.WidgetAttribute.WA_NativeWindow)
        self.surface.setStyleSheet("background: black")
        self._player = vlc_instance().media_player_new()
        # Let mouse and keys through to Qt: double-click and drag-over must reach the tile.
        self._player.video_set_mouse_input(False)
        self._player.video_set_key_input(False)
        self._media: vlc.Media | None = None
        self._generation = 0
        self._ended.connect(self._on_ended)
        # libvlc calls these from its own threads: only hand over to the GUI thread (queued signal).
        self._event_callback = lambda event: self._ended.emit(self._generation)
        events = self._player.event_manager()
        for kind in (vlc.EventType.MediaPlayerEndReached, vlc.EventType.MediaPlayerEncounteredError):
            events.event_attach(kind, self._event_callback)

    def play(self, url: str) -> None:
        self._player.stop()
        self._generation += 1
        self._player.set_xwindow(int(self.surface.winId()))
        self._media = vlc_instance().media_new(url)
        self._player.set_media(self._media)
        self._player.play()

    def stop(self) -> None:
        self._generation += 1
        self._player.stop()
        self._media = None

    def frames_displayed(self) -> int:
        if self._media is None:
            return 0
        stats = vlc.MediaStats()
        self._media.get_stats(stats)
        return int(stats.displayed_pictures)

    def displayed_image(self) -> QImage | None:
        # The picture as it is on screen (libvlc's window is a child of the surface), so only while the
        # surface is on top; cheap (~3 ms) and still valid after the source ended, until the next play or
        # stop tears libvlc's window down.
        if self._media is None:
            return None
        screen = self.surface.screen() or QGuiApplication.primaryScreen()
        return screen.grabWindow(self.surface.winId()).toImage()

    def release(self) -> None:
        self.stop()
        self._player.release()

    def _on_ended(self, generation: int) -> None:
        if generation == self._generation:
            self.disconnected.emit()


class QtMultimediaBackend(VideoBackend):
    """QMediaPlayer decoding into a QVideoSink; `_FrameView` paints the newest frame."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.surface = _FrameView()
        self._sink = QVideoSink(self)
        self._player = QMediaPlayer(self)
        self._player.setVideoSink(self._sink)
        self._frames = 0
        self._sink.videoFrameChanged.connect(self._on_frame)
        self._player.errorOccurred.connect(self._on_error)
        self._player.mediaStatusChanged.connect(self._on_status)

    def play(self, url: str) -> None:
        self._player.stop()
        self._frames = 0
        self.surface.show_frame(QVideoFrame())
        self._player.setSource(QUrl(url))
        self._player.play()

    def stop(self) -> None:
        self._player.stop()
        self._player.setSource(QUrl())
        self._frames = 0
        self.surface.show_frame(QVideoFrame())

    def frames_displayed(self) -> int:
        return self._frames

    def displayed_image(self) -> QImage | None:
        return self.surface.image()

    def release(self) -> None:
        self.stop()

    def _on_frame(self, frame: QVideoFrame) -> None:
        if frame.isValid():
            self._frames += 1
            self.surface.show_frame(frame)

    def _on_error(self, error: QMediaPlayer.Error, _message: str) -> None:
        if error != QMediaPlayer.Error.NoError:
            self.disconnected.emit()

    def _on_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status in (QMediaPlayer.MediaStatus.EndOfMedia, QMediaPlayer.MediaStatus.InvalidMedia):
            self.disconnected.emit()


class _FrameView(QWidget):
    """Paints the newest decoded frame, letterboxed on black; converts to an image only when painting."""

    def __init__(self):
        super().__init__()
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._frame = QVideoFrame()

    def show_frame(self, frame: QVideoFrame) -> None:
        self._frame = frame
        self.update()

    def image(self) -> QImage | None:
        return self._frame.toImage() if self._frame.isValid() else None

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("black"))
        image = self.image()
        if image is not None:
            painter.drawImage(_fit(image.size(), self.rect()), image)


def _fit(size: QSize, area: QRect) -> QRect:
    """The largest rectangle of `size`'s aspect ratio centred in `area`."""
    scaled = size.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
    return QRect(area.x() + (area.width() - scaled.width()) // 2,
                 area.y() + (area.height() - scaled.height()) // 2, scaled.width(), scaled.height())
