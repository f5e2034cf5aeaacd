"""A real FreeTAKServer (FTS 2.2.1 from PyPI, in .venv-fts: scripts/install.sh) on loopback, for the CoT
gateway's tests and benchmark.

FTS keeps its data in /opt/fts whatever its settings say (../shared/STACK-NOTES.md) and binds its data
package ports on every interface, so one runs at a time on a machine; its CoT port is a free one.
`FtsUnavailable` says exactly why it cannot run here (no venv, /opt/fts not writable, it never opened its
port), so that a test can say so and run the same flow against the gateway's own listener instead.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FTS_PYTHON = ROOT / ".venv-fts" / "bin" / "python"
FTS_DATA = Path("/opt/fts")
START_TIMEOUT_S = 90.0  # about 8-16 s here; slower when the machine is loaded


class FtsUnavailable(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FreeTakServer:
    """`with FreeTakServer() as fts:` a started FTS whose plain CoT TCP port is `fts.cot_port`."""

    def __init__(self):
        self.cot_port = free_port()
        self.proc: subprocess.Popen | None = None
        self.workdir = tempfile.TemporaryDirectory(prefix="fts-")
        self.log_path = Path(self.workdir.name) / "fts.log"

    def __enter__(self) -> FreeTakServer:
        if not FTS_PYTHON.exists():
            raise FtsUnavailable(f"{FTS_PYTHON} is missing: scripts/install.sh installs FreeTAKServer there")
        try:
            FTS_DATA.mkdir(parents=True, exist_ok=True)
            probe = FTS_DATA / ".onemap-probe"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise FtsUnavailable(f"FreeTAKServer writes its data to {FTS_DATA}, which this user cannot: {exc}") from exc
        ports = {"-CoTPort": self.cot_port, "-SSLCoTPort": free_port(), "-DataPackagePort": free_port(),
                 "-SSLDataPackagePort": free_port(), "-RestAPIPort": free_port()}
        args = [str(FTS_PYTHON), "-m", "FreeTAKServer.controllers.services.FTS", "-AutoStart", "True"]
        for flag in ("-CoTIP", "-SSLCoTIP", "-DataPackageIP", "-SSLDataPackageIP", "-RestAPIIP"):
            args += [flag, "127.0.0.1"]
        for flag, port in ports.items():
            args += [flag, str(port)]
        env = {**os.environ, "FTS_FIRST_START": "false", "FTS_DP_ADDRESS": "127.0.0.1",
               "FTS_USER_ADDRESS": "127.0.0.1", "FTS_API_ADDRESS": "127.0.0.1"}
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(args, cwd=self.workdir.name, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                why = f"FreeTAKServer exited with {self.proc.returncode}: {self.log_tail()}"
                self.stop()
                raise FtsUnavailable(why)
            # Its port opens before its services route anything (an early client is reset): ready is when a
            # position one client sends reaches another.
            if self._relays():
                return self
            time.sleep(0.5)
        why = f"FreeTAKServer opened no CoT port in {START_TIMEOUT_S:.0f} s: {self.log_tail()}"
        self.stop()
        raise FtsUnavailable(why)

    def _relays(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.cot_port), timeout=2) as listener, \
                    socket.create_connection(("127.0.0.1", self.cot_port), timeout=2) as sender:
                listener.sendall(_probe("onemap-probe-listener"))
                received = b""
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline and b"onemap-probe-sender" not in received:
                    sender.sendall(_probe("onemap-probe-sender"))
                    listener.settimeout(1.0)
                    try:
                        received += listener.recv(65536)
                    except socket.timeout:
                        continue
                return b"onemap-probe-sender" in received
        except OSError:
            return False

    def __exit__(self, *_exc) -> None:
        self.stop()

    def stop(self) -> None:
        """FTS runs a process per service: the whole session goes."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its children, if the parent left them behind
            except ProcessLookupError:
                pass
        self.workdir.cleanup()

    def log_tail(self, lines: int = 15) -> str:
        try:
            return " | ".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _probe(uid: str) -> bytes:
    """A position report, as a TAK client's first words to its server."""
    now = time.time()
    stamp = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))  # noqa: E731
    return (f"<event version='2.0' uid='{uid}' type='a-f-G-U-C' time='{stamp(now)}' start='{stamp(now)}' "
            f"stale='{stamp(now + 60)}' how='m-g'><point lat='60.17' lon='24.94' hae='0' ce='10' le='10'/>"
            f"<detail><contact callsign='{uid}' endpoint='*:-1:stcp'/></detail></event>").encode()
