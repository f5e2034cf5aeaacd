"""`onemap gateway alarms` as a process for tests, and what a panic app and an alarm panel send it."""
from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from support import dc09
from support.server import ROOT

APP_TOKEN = "app-token-for-the-tests-0123456789abcdef"


class AlarmGatewayProcess:
    def __init__(self, folder: Path, server_url: str, feed_token: str, panels_toml: str):
        self.folder, self.server_url, self.feed_token, self.panels_toml = folder, server_url, feed_token, panels_toml
        self.proc: subprocess.Popen | None = None
        self.ports: dict[str, int] = {}

    def start(self) -> "AlarmGatewayProcess":
        token_file, app_tokens, panels = (self.folder / name for name in ("feed.token", "apps.tokens", "panels.toml"))
        token_file.write_text(self.feed_token)
        app_tokens.write_text(APP_TOKEN + "\n")
        panels.write_text(self.panels_toml, encoding="utf-8")
        for path in (token_file, app_tokens):
            path.chmod(0o600)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "console.cli", "gateway", "alarms", "--server", self.server_url, "--token-file",
             str(token_file), "--http", "tcp://127.0.0.1:0", "--app-tokens", str(app_tokens), "--dc09",
             "tcp://127.0.0.1:0", "--panels", str(panels)], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        while len(self.ports) < 2:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the alarm gateway did not start: {self.proc.stderr.read()}")
            what, _, where = line.strip().partition(" listening on ")
            self.ports[what] = int(where.rsplit(":", 1)[1])
        return self

    def post(self, body: dict, timeout: float = 20.0) -> tuple[int, dict]:
        """A panic app's post: (HTTP status, answer)."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.ports['http']}/alarms", data=json.dumps(body).encode(),
                                         headers={"Authorization": f"Bearer {APP_TOKEN}",
                                                  "Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def panel_sends(self, message: bytes, timeout: float = 20.0) -> str | None:
        """An alarm panel's message on a line of its own: the receiver's answer (ACK, NAK, DUH), or None when
        none came within `timeout` (the panel would send it again)."""
        with socket.create_connection(("127.0.0.1", self.ports["dc09"]), timeout=timeout) as line:
            line.sendall(message)
            reply = b""
            while not reply.endswith(b"\r"):
                try:
                    chunk = line.recv(4096)
                except TimeoutError:
                    return None
                if not chunk:
                    raise ConnectionError(f"the gateway closed the line after {reply!r}")
                reply += chunk
        return dc09.answer_token(reply)

    def stop(self) -> str:
        """SIGTERM; what it printed (its counters)."""
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=30)
        return out
