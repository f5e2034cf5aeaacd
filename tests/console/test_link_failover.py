"""A console given two servers of one PostgreSQL log (docs/deploy.md) goes on to the other when its server
is killed, and resumes there: every event once, in seq order, none missing."""
from __future__ import annotations

import asyncio
import os
import signal
import threading

from console.link import CONNECTED, ServerLink
from dispatch.client import DispatchClient
from support.whole_log import whole_log


def _create(url: str, token: str, count: int) -> int:
    async def run() -> int:
        client = await DispatchClient.connect(url, token, subscribe=False)
        replies = [await client.command("incident.create", kind="theft", priority=3, lon=24.94, lat=60.17)
                   for _ in range(count)]
        await client.close()
        assert all(r["op"] == "ack" for r in replies), replies
        return replies[-1]["seq"]
    return asyncio.run(run())


def test_a_console_whose_server_dies_resumes_on_the_other_with_no_gap_and_nothing_twice(qtbot, tmp_path, users,
                                                                                         servers_of_one_log):
    users_file, tokens = users
    first, second = servers_of_one_log(users_file)
    link = ServerLink(f"{first.url},{second.url}", tokens["alice"])
    seqs: list[int] = []
    link.eventsReceived.connect(lambda batch: seqs.extend(e["seq"] for e in batch))
    welcomes = []
    link.welcomed.connect(welcomes.append)
    link.start()
    try:
        qtbot.waitUntil(lambda: link.state == CONNECTED and link.url == first.url, timeout=20_000)
        before = _create(second.url, tokens["bob"], 5)  # made on the other server: reach this console too
        qtbot.waitUntil(lambda: seqs[-1:] == [before], timeout=10_000)
        first.kill()
        while_down = _create(second.url, tokens["bob"], 5)  # what the console must not miss
        qtbot.waitUntil(lambda: link.state == CONNECTED and link.url == second.url, timeout=20_000)
        after = _create(second.url, tokens["bob"], 3)
        qtbot.waitUntil(lambda: seqs[-1:] == [after], timeout=10_000)
        assert while_down < after and seqs == list(range(welcomes[0]["seq"] + 1, after + 1))
        assert len(welcomes) == 2 and welcomes[1]["snapshot"] is None, "it resumed, not started over"
    finally:
        link.stop()


class LossyProxy:
    """A TCP hop between the console and a server, on a thread of its own: it can start dropping what the
    server sends (the acks are lost, the commands still arrive), then cut the connection."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.dropping = threading.Event()
        self.port: int | None = None
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._writers: list[asyncio.StreamWriter] = []
        threading.Thread(target=self._run, daemon=True).start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _accept(self, reader, writer) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self._writers += [writer, up_writer]

        async def pipe(source, sink, droppable: bool) -> None:
            while data := await source.read(65536):
                if not (droppable and self.dropping.is_set()):
                    sink.write(data)
            sink.close()
        await asyncio.gather(pipe(reader, up_writer, False), pipe(up_reader, writer, True), return_exceptions=True)

    def cut(self) -> None:
        self._loop.call_soon_threadsafe(lambda: [w.close() for w in self._writers])


def _incidents_by(url: str, token: str, actor: str) -> list[dict]:
    return [e for e in whole_log(url, token) if e["type"] == "incident.created" and e["actor"] == actor]


def test_a_command_whose_ack_was_lost_is_sent_again_on_the_other_server_and_done_once(qtbot, users, servers_of_one_log):
    """The server stored the command, its ack never reached the console, the connection fell: the console
    sends it again on the other server, which answers with the first ack marked duplicate, and the log
    holds the incident once."""
    users_file, tokens = users
    first, second = servers_of_one_log(users_file)
    proxy = LossyProxy(int(first.url.rsplit(":", 1)[1].split("/")[0]))
    link = ServerLink(f"ws://127.0.0.1:{proxy.port}/ws,{second.url}", tokens["alice"])
    replies: list[tuple[str, dict]] = []
    link.replied.connect(lambda cmd_id, reply: replies.append((cmd_id, reply)))
    link.start()
    try:
        qtbot.waitUntil(lambda: link.state == CONNECTED, timeout=20_000)
        proxy.dropping.set()
        cmd_id = link.send("incident.create", {"kind": "theft", "priority": 3, "lon": 24.94, "lat": 60.17})
        qtbot.waitUntil(lambda: len(_incidents_by(second.url, tokens["sam"], "alice")) == 1, timeout=10_000)
        assert replies == [], "the ack was to be lost"
        proxy.cut()
        qtbot.waitUntil(lambda: bool(replies), timeout=20_000)
        [(answered, reply)] = replies
        stored = _incidents_by(second.url, tokens["sam"], "alice")
        assert answered == cmd_id and link.url == second.url
        assert reply["op"] == "ack" and reply["duplicate"] is True, reply
        assert [e["data"]["incident_id"] for e in stored] == [reply["incident_id"]], "done twice"
        assert stored[0]["cmd"] == cmd_id
    finally:
        link.stop()


def test_a_command_the_dead_server_never_stored_is_done_on_the_other(qtbot, users, servers_of_one_log):
    """The server froze with the command unread, then died: sent again on the other server, it is done
    there, once, and acked as a command of its own."""
    users_file, tokens = users
    first, second = servers_of_one_log(users_file)
    link = ServerLink(f"{first.url},{second.url}", tokens["alice"])
    replies: list[tuple[str, dict]] = []
    link.replied.connect(lambda cmd_id, reply: replies.append((cmd_id, reply)))
    link.start()
    try:
        qtbot.waitUntil(lambda: link.state == CONNECTED and link.url == first.url, timeout=20_000)
        os.kill(first.proc.pid, signal.SIGSTOP)
        cmd_id = link.send("incident.create", {"kind": "theft", "priority": 3, "lon": 24.94, "lat": 60.17})
        first.kill()
        qtbot.waitUntil(lambda: bool(replies), timeout=20_000)
        [(answered, reply)] = replies
        assert answered == cmd_id and reply["op"] == "ack" and "duplicate" not in reply, reply
        stored = _incidents_by(second.url, tokens["sam"], "alice")
        assert [e["data"]["incident_id"] for e in stored] == [reply["incident_id"]]
    finally:
        link.stop()
