"""Real test streams on loopback: a generated clip served by VLC over HTTP (MPEG-TS) or RTSP.

The clip is ffmpeg's testsrc2 pattern (six colour bars, a moving gradient and a running clock), H.264 at
640x360, 25 fps, a key frame every 12 frames so a (re)connecting player shows its first picture quickly.
VLC refuses to run as root, so as root the server runs as 'nobody' (../shared/STACK-NOTES.md); the clip then
lives in a world-readable directory.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CLIP_SIZE = (640, 360)
CLIP_FPS = 25
# testsrc2's six vertical bars, left to right, as (R, G, B).
BAR_COLOURS = ((255, 0, 0), (0, 255, 0), (255, 255, 0), (0, 0, 255), (255, 0, 255), (0, 255, 255))
# A camera sends each frame as it is made. VLC's streamer holds 1.5 s of mux caching by default, which the
# first client receives as a burst and then carries as 1.4 s of delay: a killed source would keep playing
# on the wall for 1.4 s after it died (measured), which no camera does.
MUX_CACHING_MS = 50


def make_media_dir() -> Path:
    """A fresh temporary directory the 'nobody' server can read; the caller removes it."""
    directory = Path(tempfile.mkdtemp(prefix="onemap-video-"))
    directory.chmod(0o755)
    return directory


def make_test_clip(directory: Path, seconds: int = 60) -> Path:
    """Encode the test pattern into `directory`/testsrc2.ts and return its path."""
    clip = directory / "testsrc2.ts"
    width, height = CLIP_SIZE
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", f"testsrc2=size={width}x{height}:rate={CLIP_FPS}:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "12",
         "-pix_fmt", "yuv420p", "-f", "mpegts", str(clip)],
        check=True, timeout=120,
    )
    clip.chmod(0o644)
    return clip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class StreamServer:
    """One VLC process serving `clip` on loopback, looped, on one or more paths.

    protocol "http": MPEG-TS over HTTP, one URL per path (one input, duplicated: cheap for many tiles).
    protocol "rtsp": RTSP (RTP over UDP), one path.
    The port stays the same across kill() and start(), so a player's URL survives a restart.
    """

    def __init__(self, clip: Path, protocol: str = "http", paths: tuple[str, ...] = ("cam1",)):
        if protocol not in ("http", "rtsp"):
            raise ValueError(f"protocol must be http or rtsp, not {protocol!r}")
        if protocol == "rtsp" and len(paths) != 1:
            raise ValueError("an RTSP server here serves exactly one path")
        self.clip, self.protocol, self.paths = clip, protocol, tuple(paths)
        self.port = free_port()
        self._home = make_media_dir()
        self._home.chmod(0o777)  # VLC writes its config under HOME as 'nobody'
        self._process: subprocess.Popen | None = None

    @property
    def urls(self) -> list[str]:
        return [f"{self.protocol}://127.0.0.1:{self.port}/{path}" for path in self.paths]

    @property
    def url(self) -> str:
        return self.urls[0]

    def start(self, timeout: float = 15.0) -> None:
        """Start serving and return once the port accepts connections."""
        if self._process is not None:
            raise RuntimeError("server already running")
        command = ["vlc", "-I", "dummy", "--no-audio", "--quiet", str(self.clip), "--sout", self._sout(),
                   "--sout-keep", "--loop", f"--sout-mux-caching={MUX_CACHING_MS}"]
        if os.geteuid() == 0:
            command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                       "env", f"HOME={self._home}"] + command
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         env={**os.environ, "HOME": str(self._home)})
        deadline = time.monotonic() + timeout
        while not self._accepts_connections():
            if self._process.poll() is not None:
                raise RuntimeError(f"VLC stream server exited with code {self._process.returncode}")
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
