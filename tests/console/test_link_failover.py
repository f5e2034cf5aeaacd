"""A console given two servers of one PostgreSQL log (docs/deploy.md) goes on to the other when its server
is killed, and resumes there: every event once, in seq order, none missing."""
from __future__ import annotations

import asyncio

from console.link import CONNECTED, ServerLink
from dispatch.client import DispatchClient
from support.server import ServerProcess


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
                                                                                         postgres):
    users_file, tokens = users
    log = postgres.new_database()
    first, second = ServerProcess(log, users_file), ServerProcess(log, users_file)
    first.start()
    second.start()
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
        first.kill()
        second.kill()
