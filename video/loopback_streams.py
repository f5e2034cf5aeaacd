"""Real video streams on loopback: a generated clip served by VLC over HTTP (MPEG-TS) or RTSP. No Qt.

`onemap demo` serves its cameras' streams with it (`DemoStreams`), and the video tests and benchmark
serve theirs. The clip is ffmpeg's testsrc2 pattern (six colour bars, a moving gradient and a running
clock) in H.264 with frequent key frames, so a (re)connecting player shows its first picture quickly.
VLC refuses to run as root, so as root the server runs as 'nobody' (../shared/STACK-NOTES.md); the clip
then lives in a world-readable directory.
"""
from __future__ import annotations

import math
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

CLIP_SIZE = (640, 360)
CLIP_FPS = 25
# A camera sends each frame as it is made. VLC's streamer holds 1.5 s of mux caching by default, which the
# first client receives as a burst and then carries as 1.4 s of delay: a killed source would keep playing
# on the wall for 1.4 s after it died (measured), which no camera does.
MUX_CACHING_MS = 50

# The demo's streams: small and light, since the demo shares the machine with the console and its walls.
DEMO_CAMERAS = 8
DEMO_CLIP_SIZE = (320, 180)
DEMO_CLIP_FPS = 15
DEMO_BITRATE_KBPS = 200


class StreamToolMissing(RuntimeError):
    """ffmpeg or VLC is not installed; the message says which package to install."""


def _require(program: str, package: str) -> None:
    if shutil.which(program) is None:
        raise StreamToolMissing(f"{program} is not installed (Debian package {package}; scripts/install.sh "
                                f"installs it)")


def make_media_dir() -> Path:
    """A fresh temporary directory the 'nobody' server can read; the caller removes it."""
    directory = Path(tempfile.mkdtemp(prefix="onemap-video-"))
    directory.chmod(0o755)
    return directory


def make_test_clip(directory: Path, seconds: int = 60, size: tuple[int, int] = CLIP_SIZE, fps: int = CLIP_FPS,
                   bitrate_kbps: int | None = None) -> Path:
    """Encode the test pattern into `directory`/testsrc2.ts and return its path.

    A key frame every 12 frames (at 25 fps, about two a second); `bitrate_kbps` caps the rate, else x264
    picks it."""
    _require("ffmpeg", "ffmpeg")
    clip = directory / "testsrc2.ts"
    width, height = size
    rate = ["-b:v", f"{bitrate_kbps}k", "-maxrate", f"{bitrate_kbps}k", "-bufsize", f"{bitrate_kbps}k"] \
        if bitrate_kbps else []
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "12", *rate,
         "-pix_fmt", "yuv420p", "-f", "mpegts", str(clip)],
        check=True, timeout=120,
    )
    clip.chmod(0o644)
    return clip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _port_is_free(port: int) -> bool:
    """No one listens on it (connections lingering in TIME_WAIT after a restart do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class StreamServer:
    """One VLC process serving `clip` on loopback, looped, on one or more paths.

    protocol "http": MPEG-TS over HTTP, one URL per path (one input, duplicated: cheap for many tiles).
    protocol "rtsp": RTSP (RTP over UDP), one path.
    `port`: a fixed port (a camera list's URLs name one), else a free one. The port stays the same across
    kill() and start(), so a player's URL survives a restart.
    """

    def __init__(self, clip: Path, protocol: str = "http", paths: tuple[str, ...] = ("cam1",),
                 port: int | None = None):
        if protocol not in ("http", "rtsp"):
            raise ValueError(f"protocol must be http or rtsp, not {protocol!r}")
        if protocol == "rtsp" and len(paths) != 1:
            raise ValueError("an RTSP server here serves exactly one path")
        self.clip, self.protocol, self.paths = clip, protocol, tuple(paths)
        self.port = free_port() if port is None else port
        self._home = make_media_dir()
        self._home.chmod(0o777)  # VLC writes its config under HOME as 'nobody'
        self._process: subprocess.Popen | None = None

    @property
    def urls(self) -> list[str]:
        return [f"{self.protocol}://127.0.0.1:{self.port}/{path}" for path in self.paths]

    @property
    def url(self) -> str:
        return self.urls[0]

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self, timeout: float = 15.0) -> None:
        """Start serving and return once the port accepts connections."""
        if self._process is not None:
            raise RuntimeError("server already running")
        _require("vlc", "vlc-bin")
        _require("setpriv", "util-linux")
        if self.protocol == "http" and not _port_is_free(self.port):
            raise RuntimeError(f"port {self.port} on 127.0.0.1 is already in use (another demo running?)")
        command = ["vlc", "-I", "dummy", "--no-audio", "--quiet", str(self.clip), "--sout", self._sout(),
                   "--sout-keep", "--loop", f"--sout-mux-caching={MUX_CACHING_MS}"]
        # VLC gets SIGKILL when the thread that started it ends, the process with it even on kill -9: a
        # demo or test that dies never leaves a server holding its port.
        owner = ["setpriv", "--pdeathsig", "KILL"]
        if os.geteuid() == 0:
            owner += ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", f"HOME={self._home}"]
        command = owner + command
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         env={**os.environ, "HOME": str(self._home)})
        deadline = time.monotonic() + timeout
        while not self._accepts_connections():
            if self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                raise RuntimeError(f"VLC stream server exited with code {code}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"VLC stream server not listening on {self.port} after {timeout} s")
            time.sleep(0.02)

    def kill(self) -> None:
        """Kill the server at once, as a crashed camera or encoder would go."""
        if self._process is not None:
            self._process.kill()  # SIGKILL ends a frozen (SIGSTOPped) process too
            self._process.wait(timeout=10)
            self._process = None

    def freeze(self) -> None:
        """Stop the server sending without closing anything: a hung encoder, a stalled network."""
        self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self._home, ignore_errors=True)

    def _sout(self) -> str:
        if self.protocol == "rtsp":
            return f"#rtp{{sdp=rtsp://127.0.0.1:{self.port}/{self.paths[0]}}}"
        outputs = [f"std{{access=http,mux=ts,dst=127.0.0.1:{self.port}/{path}}}" for path in self.paths]
        if len(outputs) == 1:
            return "#" + outputs[0]
        return "#duplicate{" + ",".join(f"dst={output}" for output in outputs) + "}"

    def _accepts_connections(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False


def demo_camera_paths(cameras, center: tuple[float, float], count: int = DEMO_CAMERAS) -> tuple[int, list[str]]:
    """(port, paths) to serve for the `count` cameras nearest `center` whose stream URL is plain HTTP on
    127.0.0.1 (the demo pack's `http://127.0.0.1:8090/cam/<camera_id>`), nearest first.

    `cameras`: (camera_id, stream_url, lon, lat) tuples. Only cameras on the port of the nearest one are
    taken: one VLC process serves one port."""
    local = []
    for camera_id, url, lon, lat in cameras:
        parts = urlsplit(url or "")
        if parts.scheme == "http" and parts.hostname == "127.0.0.1" and parts.port and parts.path.strip("/"):
            distance = math.hypot((lon - center[0]) * math.cos(math.radians(center[1])), lat - center[1])
            local.append((distance, camera_id, parts.port, parts.path.strip("/")))
    local.sort()
    if not local:
        return 0, []
    port = local[0][2]
    return port, [path for _, _, camera_port, path in local if camera_port == port][:count]


class DemoStreams:
    """The demo's camera streams: one small generated clip, served by one VLC process at the URLs of the
    cameras nearest the city centre. `start` blocks for a second or two (encoding, VLC's start): call it
    off the GUI thread, on a thread that lives as long as the streams should (VLC dies with it; an
    asyncio executor's threads live as long as the process). A missing ffmpeg or VLC, or a port in use, is reported and the demo goes on
    without video. Call `stop` once `start` has returned."""

    def __init__(self, cameras, center: tuple[float, float], count: int = DEMO_CAMERAS):
        self.port, self.paths = demo_camera_paths(cameras, center, count)
        self.problem: str | None = None  # why the streams are not served, once start() has given up
        self._server: StreamServer | None = None
        self._media: Path | None = None

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.port}/{path}" for path in self.paths]

    def start(self) -> str | None:
        """Encode the clip and start serving; returns None, or the reason the streams are not served."""
        if not self.paths:
            self.problem = "no camera of the city has a stream URL on 127.0.0.1"
            return self.problem
        try:
            self._media = make_media_dir()
            clip = make_test_clip(self._media, seconds=60, size=DEMO_CLIP_SIZE, fps=DEMO_CLIP_FPS,
                                  bitrate_kbps=DEMO_BITRATE_KBPS)
            self._server = StreamServer(clip, "http", tuple(self.paths), port=self.port)
            self._server.start()
        except (StreamToolMissing, RuntimeError, OSError, subprocess.SubprocessError) as exc:
            self.problem = str(exc)
            self.stop()
            return self.problem
        return None

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._media is not None:
            shutil.rmtree(self._media, ignore_errors=True)
            self._media = None
