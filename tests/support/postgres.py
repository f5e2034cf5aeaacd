"""A real PostgreSQL (Debian's `postgresql` package, installed by scripts/install.sh) in a temporary
directory, for the PostgreSQL store's tests and benchmarks.

Its binaries are not on PATH (/usr/lib/postgresql/N/bin) and it refuses to run as root, so as root the
cluster belongs to the `postgres` user and every binary runs through `runuser` (../shared/STACK-NOTES.md).
It listens on loopback on a free port, with trust authentication: a scratch cluster, never a real one.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

START_TIMEOUT_S = 60


class PostgresUnavailable(RuntimeError):
    pass


def _bin_dir() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not versions:
        raise PostgresUnavailable("no /usr/lib/postgresql/*/bin/pg_ctl: scripts/install.sh installs Debian's postgresql")
    return versions[-1].parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresCluster:
    """`with PostgresCluster() as pg:` a started cluster; `pg.new_database()` gives a fresh database's URL."""

    def __init__(self, settings: dict[str, str] | None = None):
        self.bin = _bin_dir()
        self.as_root = os.getuid() == 0
        self.workdir = Path(tempfile.mkdtemp(prefix="onemap-pg-"))
        self.data = self.workdir / "data"
        self.port = _free_port()
        self.settings = {"fsync": "on", "max_connections": "200", **(settings or {})}

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, stdin=subprocess.DEVNULL)

    def __enter__(self) -> PostgresCluster:
        if self.as_root:
            shutil.chown(self.workdir, "postgres", "postgres")
        try:
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "onemap", "-E", "UTF8", "--no-locale")
        except subprocess.CalledProcessError as exc:
            raise PostgresUnavailable(f"initdb failed: {exc.stderr.strip()}") from exc
        self.start()
        return self

    def standby(self) -> PostgresCluster:
        """A streaming-replication standby of this cluster, started, and made synchronous: from now on a
        commit here returns once the standby has it too (`synchronous_standby_names`)."""
        standby = PostgresCluster(self.settings)
        if standby.as_root:
            shutil.chown(standby.workdir, "postgres", "postgres")
        standby._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "onemap", "-D", str(standby.data),
                     "-R", "-X", "stream", "-c", "fast")
        standby.start()
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute("ALTER SYSTEM SET synchronous_standby_names = '*'")
            admin.execute("SELECT pg_reload_conf()")
            deadline = time.monotonic() + START_TIMEOUT_S
            while admin.execute("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'").fetchone()[0] < 1:
                if time.monotonic() > deadline:
                    raise PostgresUnavailable(f"the standby never became synchronous: {standby.log_tail()}")
                time.sleep(0.1)
        return standby

    def promote(self) -> None:
        """A standby made the primary (what an operator or a failover manager does when the primary is lost)."""
        self._run("pg_ctl", "-D", str(self.data), "-w", "promote")

    def start(self) -> None:
        options = f"-k {self.workdir} -p {self.port} -c listen_addresses=127.0.0.1 " + " ".join(
            f"-c {name}={value}" for name, value in self.settings.items())
        started = self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.workdir / "server.log"),
                            "-w", "-t", str(START_TIMEOUT_S), "start", check=False)
        if started.returncode != 0:
            raise PostgresUnavailable(f"pg_ctl start failed: {started.stderr.strip()} {self.log_tail()}")

    def stop(self, mode: str = "fast") -> None:
        """`fast` closes the connections and shuts down cleanly; `immediate` is a crash (no checkpoint)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Stopped (as a crash: nothing to keep) and its files removed."""
        self.stop("immediate")
        shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join((self.workdir / "server.log").read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://onemap@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
