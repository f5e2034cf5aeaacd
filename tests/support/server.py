"""A real `onemap server` process on loopback, for tests and benchmarks."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

from dispatch.users import add_user

ROOT = Path(__file__).resolve().parents[2]

# One user per role, plus a second dispatcher for races.
TEST_USERS = {
    "alice": "dispatcher",
    "bob": "dispatcher",
    "sam": "supervisor",
    "vic": "viewer",
    "fred": "feed",
    "tina": "trainer",
}


def make_users(path: Path, users: dict[str, str] = TEST_USERS) -> dict[str, str]:
    """Write a users file and return each user's token."""
    return {name: add_user(path, name, role) for name, role in users.items()}


class ServerProcess:
    def __init__(self, db: Path | str, users_file: Path, city: str = "demo", extra_args: tuple[str, ...] = ()):
        self.db = db
        self.users_file = users_file
        self.city = city
        self.extra_args = extra_args
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.url = ""
        self.stderr_lines: list[str] = []

    def start(self, port: int | None = None, timeout: float = 60.0) -> str:
        port = self.port if port is None else port
        # A path is a SQLite file; a string, a store URL (postgresql://...).
        log = ["--db", str(self.db)] if isinstance(self.db, Path) else ["--store", self.db]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "console.cli", "server", "--city", self.city, *log,
             "--users", str(self.users_file), "--port", str(port), *self.extra_args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def pump(stream, sink):
            for line in stream:
                sink(line)
            if stream is self.proc.stdout:
                lines.put(None)

        threading.Thread(target=pump, args=(self.proc.stdout, lines.put), daemon=True).start()
        threading.Thread(target=pump, args=(self.proc.stderr, self.stderr_lines.append), daemon=True).start()
        while True:
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                self.kill()
                raise RuntimeError(f"server did not listen within {timeout} s: {''.join(self.stderr_lines)}")
            if line is None:
                self.proc.wait(timeout=10)
                raise RuntimeError(f"server exited with {self.proc.returncode}: {''.join(self.stderr_lines)}")
            if line.startswith("listening on "):
                self.url = line.split()[-1]
                self.port = int(self.url.rsplit(":", 1)[1].split("/", 1)[0])
                return self.url

    def kill(self) -> None:
        """kill -9: no chance to flush or close anything."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 30.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None
