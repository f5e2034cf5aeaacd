"""A second console on a running demo: `onemap demo` prints where its server is and a line that opens a
second console on it, and that line, pasted as printed, opens a connected console window."""
from __future__ import annotations

import asyncio
import glob
import os
import queue
import shlex
import signal
import stat
import subprocess
import sys
import threading
import time

from dispatch.users import read_token_file
from support.console import open_window
from support.server import ROOT
from support.wire import hello

START_TIMEOUT_S = 120


def _read_lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)


def _next_line(lines: queue.Queue, proc: subprocess.Popen, deadline: float) -> str:
    while True:
        assert proc.poll() is None, f"the demo exited with {proc.returncode}"
        try:
            return lines.get(timeout=max(0.0, min(1.0, deadline - time.monotonic())))
        except queue.Empty:
            assert time.monotonic() < deadline, "the demo printed nothing in time"


def _window_of(pid: int) -> bool:
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(pid), "--name", "OneMap"],
                           capture_output=True, text=True)
    return found.returncode == 0 and found.stdout.strip() != ""


def _connected(pid: int, port: int) -> bool:
    """Whether process `pid` holds an established TCP connection to `port` on this host."""
    sockets = set()
    for fd in glob.glob(f"/proc/{pid}/fd/*"):
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            sockets.add(target[len("socket:["):-1])
    with open(f"/proc/{pid}/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return any(int(row[2].split(":")[1], 16) == port and row[3] == "01" and row[9] in sockets for row in rows)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_demo_prints_a_line_that_opens_a_second_console_on_it(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    # The demo's data and both consoles' settings go to this HOME; stdout is a pipe, as for a user's `| tee`.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("XDG_") and key not in ("ONEMAP_TOKEN", "PYTHONUNBUFFERED")}
    env["HOME"] = str(home)
    demo = subprocess.Popen([sys.executable, "-m", "console.cli", "demo", "--language", "en"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
    second = None
    try:
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_read_lines, args=(demo.stdout, lines), daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        announced = _next_line(lines, demo, deadline)
        assert announced.startswith("demo server on ws://127.0.0.1:"), announced
        url = announced.split()[3].rstrip(";")
        assert f"data in {home}/.local/share/onemap/demo" in announced
        assert _next_line(lines, demo, deadline) == "to open a second console on this demo, run:\n"
        command = _next_line(lines, demo, deadline).strip()
        words = shlex.split(command)
        assert words[1:4] == ["console", "--server", url] and words[4] == "--token-file", command
        token_file = words[5]
        assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600

        # From the server's side: the printed token file's token is a dispatcher's, on the running demo.
        async def say_hello():
            ws, welcome = await hello(url, read_token_file(token_file))
            await ws.close()
            return welcome
        welcome = asyncio.run(say_hello())
        assert (welcome["user"], welcome["role"]) == ("dispatcher2", "dispatcher")

        # The line exactly as printed, in a shell: a console window appears and stays connected.
        port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
        second = subprocess.Popen(["bash", "-c", command], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        while not (_window_of(second.pid) and _connected(second.pid, port)):
            assert second.poll() is None, f"the second console exited with {second.returncode}: {second.stderr.read()}"
            assert time.monotonic() < deadline, "no connected window of the second console in time"
            time.sleep(0.2)  # polling another process, with the deadline above
        # A refused hello would have closed the connection at once; this one is still open, after another
        # hello of the same user went through beside it.
        assert asyncio.run(say_hello())["user"] == "dispatcher2"
        assert _connected(second.pid, port) and second.poll() is None and demo.poll() is None
    finally:
        if second is not None:
            _stop(second)
        _stop(demo)


def test_the_console_names_its_server_in_the_status_bar_tooltip(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    assert window.statusBar().toolTip() == f"Server: {server.url}"


def test_a_console_started_at_a_terminal_asks_for_its_token(tmp_path, server, users):
    _, tokens = users
    env = {key: value for key, value in os.environ.items() if not key.startswith("XDG_") and key != "ONEMAP_TOKEN"}
    env["HOME"] = str(tmp_path)
    controller, terminal = os.openpty()
    console = subprocess.Popen([sys.executable, "-m", "console.cli", "console", "--server", server.url,
                                "--language", "en"], cwd=ROOT, env=env, stdin=terminal, stdout=terminal,
                               stderr=terminal, start_new_session=True)
    os.close(terminal)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        shown = b""
        while f"token for {server.url}: ".encode() not in shown:
            assert console.poll() is None and time.monotonic() < deadline, shown
            try:
                shown += os.read(controller, 4096)  # blocks until the console writes
            except OSError:  # EIO: the console closed the terminal
                console.wait(timeout=10)
        os.write(controller, tokens["alice"].encode() + b"\n")
        while not (_window_of(console.pid) and _connected(console.pid, server.port)):
            assert console.poll() is None, f"the console exited with {console.returncode}"
            assert time.monotonic() < deadline, "no connected console window in time"
            time.sleep(0.2)  # polling another process, with the deadline above
    finally:
        _stop(console)
        os.close(controller)
