"""The console's link survives servers that misbehave during the handshake."""
from __future__ import annotations

import socket
import threading

from console.link import CONNECTING, DISCONNECTED, ServerLink


def test_a_server_that_hangs_up_during_the_handshake_does_not_kill_the_link(qtbot):
    """Accept TCP, read the upgrade request, close without answering: websockets raises InvalidMessage,
    which is not an OSError. The link must report it and keep retrying."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def rude_server():
        for _ in range(2):
            conn, _ = listener.accept()
            conn.recv(4096)
            conn.close()

    threading.Thread(target=rude_server, daemon=True).start()
    link = ServerLink(f"ws://127.0.0.1:{port}/ws", "token")
    states = []
    link.stateChanged.connect(lambda state, detail: states.append((state, detail)))
    link.start()
    try:
        qtbot.waitUntil(lambda: [s for s, _ in states].count(CONNECTING) >= 2
                        and [s for s, _ in states].count(DISCONNECTED) >= 2, timeout=10_000)
        assert link._thread.is_alive()
    finally:
        link.stop()
        listener.close()
