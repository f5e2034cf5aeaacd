"""Two servers on one PostgreSQL log; one of them killed (kill -9) 20 times while four consoles, two on each,
send as fast as they can (issue #13). Afterwards every acked command is in the log once, none twice (the
commands in flight when a server died were sent again, marked retry), the log has no gap, and each console
received every event from where it started, once, in order: the killed server's consoles resumed on the
other with exactly what they missed."""
from __future__ import annotations

import itertools
import time

from console.link import CONNECTED, ServerLink
from support.whole_log import whole_log

ROUNDS = 20
CONSOLES_PER_SERVER = 2
CREATE = {"kind": "theft", "priority": 3, "lon": 24.94, "lat": 60.17}


def test_kill_9_of_one_server_twenty_times_loses_nothing_and_does_nothing_twice(qtbot, users, servers_of_one_log):
    users_file, tokens = users
    servers = servers_of_one_log(users_file)
    urls = [server.url for server in servers]
    # two consoles start on each server, each knowing both
    links = [ServerLink(",".join(urls if n % 2 == 0 else urls[::-1]), tokens["alice" if n % 2 else "bob"])
             for n in range(2 * CONSOLES_PER_SERVER)]
    received: list[list[int]] = [[] for _ in links]
    welcomed: list[list[int]] = [[] for _ in links]
    replies: dict[str, dict] = {}
    sent: list[str] = []
    for link, seqs, welcomes in zip(links, received, welcomed):
        link.eventsReceived.connect(lambda batch, seqs=seqs: seqs.extend(e["seq"] for e in batch))
        link.welcomed.connect(lambda welcome, welcomes=welcomes: welcomes.append(welcome["seq"]))
        link.replied.connect(lambda cmd_id, reply: replies.__setitem__(cmd_id, reply))
        link.start()
    ring = itertools.cycle(links)

    def send_a_while(seconds: float) -> None:
        """Every console sends as fast as the test can ask, for `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for _ in links:
                cmd_id = next(ring).send("incident.create", CREATE)
                if cmd_id is not None:  # None: that console is between servers
                    sent.append(cmd_id)
            qtbot.wait(2)

    try:
        qtbot.waitUntil(lambda: all(link.state == CONNECTED for link in links), timeout=30_000)
        for round_no in range(ROUNDS):
            send_a_while(0.5)
            victim = servers[round_no % 2]
            victim.kill()
            send_a_while(1.0)  # the victim's consoles go on to the other server meanwhile
            victim.start()
        send_a_while(0.5)
        qtbot.waitUntil(lambda: all(cmd_id in replies for cmd_id in sent), timeout=90_000)
        events = whole_log(urls[0], tokens["sam"])
        last = events[-1]["seq"]
        qtbot.waitUntil(lambda: all(seqs and seqs[-1] == last for seqs in received), timeout=30_000)
    finally:
        for link in links:
            link.stop()

    assert [e["seq"] for e in events] == list(range(1, last + 1)), "a gap in the log"
    done = [e["cmd"] for e in events if e["type"] == "incident.created"]
    assert len(done) == len(set(done)), "a command was applied twice"
    acked = {cmd_id for cmd_id, reply in replies.items() if reply["op"] == "ack"}
    assert acked <= set(done), "an acked command is not in the log"
    assert any(reply.get("duplicate") for reply in replies.values()) or len(acked) == len(sent)
    lost = [reply for reply in replies.values() if reply["op"] != "ack"]
    assert all(reply["code"] == "disconnected" for reply in lost), lost[:3]
    for seqs, welcomes in zip(received, welcomed):
        assert seqs == list(range(welcomes[0] + 1, last + 1)), "a console missed an event or got one twice"
        assert len(welcomes) > 1, "a console never went over to the other server"
