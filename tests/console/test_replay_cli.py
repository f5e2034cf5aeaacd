"""`onemap replay` refuses what it cannot replay in one clear line, before any window opens."""
from __future__ import annotations

import subprocess
import sys


def _replay(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "console.cli", "replay", *args], capture_output=True, text=True,
                          timeout=60)


def test_a_missing_log_is_named(tmp_path):
    result = _replay("--db", str(tmp_path / "nowhere.db"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"onemap replay: no event log at {tmp_path / 'nowhere.db'}"


def test_a_bad_time_or_a_span_that_ends_before_it_starts_is_refused(tmp_path):
    log = tmp_path / "events.db"
    log.write_bytes(b"")
    bad = _replay("--db", str(log), "--from", "yesterday at eight")
    assert bad.returncode == 2 and "--from: cannot read 'yesterday at eight' as a time" in bad.stderr
    backwards = _replay("--db", str(log), "--from", "2026-12-02T10:00Z", "--to", "2026-12-02T09:00Z")
    assert backwards.returncode == 2 and "is not after --from" in backwards.stderr


def test_a_replay_is_of_a_log_or_of_a_server_not_both():
    result = _replay("--db", "a.db", "--server", "ws://127.0.0.1:1/ws")
    assert result.returncode == 2 and "either --db PATH" in result.stderr
