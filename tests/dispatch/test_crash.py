"""kill -9 of the server under load, on SQLite and on PostgreSQL: every acked event survives, seqs have no gap, resume is exact."""
from __future__ import annotations

import asyncio
import random

from dispatch.client import Disconnected, DispatchClient

ROUNDS = 20
WINDOW = 32  # commands in flight per client: "as fast as they can" without unbounded memory


def _command_maker(user: str, units: list[str], rng: random.Random):
    """Each client's stream of commands: positions for feeds, incidents for the others."""
    def position():
        return "unit.position", {"unit_id": rng.choice(units), "lon": round(24.9 + rng.random() / 20, 6),
                                 "lat": round(60.15 + rng.random() / 40, 6), "heading": float(rng.randrange(360))}

    def incident():
        return "incident.create", {"kind": rng.choice(["fire", "theft", "crash"]), "priority": rng.randint(1, 5),
                                   "lon": round(24.9 + rng.random() / 20, 6), "lat": round(60.15 + rng.random() / 40, 6)}

    return position if user in ("fred", "bob") else incident


async def _hammer(client: DispatchClient, make, acked: list, stop: asyncio.Event) -> None:
    requests: dict[asyncio.Future, tuple[str, dict]] = {}

    def record(future: asyncio.Future) -> None:
        if not future.cancelled() and future.exception() is None and future.result()["op"] == "ack":
            acked.append((future.result()["seq"], client.user, *requests[future]))

    in_flight: set[asyncio.Future] = set()
    try:
        while not stop.is_set():
            while len(in_flight) < WINDOW:
                cmd, args = make()
                future = client.send_command(cmd, args)
                requests[future] = (cmd, args)
                in_flight.add(future)
            done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                record(future)
    except Disconnected:
        pass
    for future in in_flight:  # replies lost with the server: not acked, so no promise was made
        if future.done():
            record(future)
        else:
            future.cancel()


def _matches(event: dict, user: str, cmd: str, args: dict) -> bool:
    data = event["data"]
    if event["actor"] != user:
        return False
    if cmd == "unit.position":
        return event["type"] == "unit.moved" and (data["unit_id"], data["lon"], data["lat"]) == (
            args["unit_id"], args["lon"], args["lat"])
    return event["type"] == "incident.created" and (data["kind"], data["lon"], data["lat"]) == (
        args["kind"], args["lon"], args["lat"])


async def _collect_log(url: str, token: str) -> list[dict]:
    """Every event of the live namespace, read back with resume_from 0."""
    events: list[dict] = []
    reader = await DispatchClient.connect(url, token, resume_from=0, keep_state=False, on_event=events.append)
    await reader.wait_for_seq(reader.welcome["seq"], timeout=60)
    await reader.close()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), "the log has a gap"
    return events


async def _round(server, tokens: dict[str, str], rng: random.Random) -> None:
    url = server.url
    observer = await DispatchClient.connect(url, tokens["vic"])
    clients = [await DispatchClient.connect(url, tokens[name], subscribe=False) for name in ("alice", "bob", "fred", "sam")]
    units = sorted(observer.state["units"])
    acked: list[tuple] = []
    stop = asyncio.Event()
    tasks = [asyncio.create_task(_hammer(c, _command_maker(c.user, units, rng), acked, stop)) for c in clients]
    kill_after = rng.randint(20, 1500)
    deadline = asyncio.get_running_loop().time() + 30
    while len(acked) < kill_after:
        assert asyncio.get_running_loop().time() < deadline, f"only {len(acked)} acks in 30 s"
        await asyncio.sleep(0.005)
    server.kill()
    await asyncio.gather(*tasks)
    stop.set()
    await observer.closed.wait()
    last_seen, observer_state = observer.seq, observer.state

    server.start()
    log = await _collect_log(server.url, tokens["sam"])
    by_seq = {e["seq"]: e for e in log}
    for seq, user, cmd, args in acked:
        assert seq in by_seq, f"acked seq {seq} ({cmd} by {user}) is missing after kill -9"
        assert _matches(by_seq[seq], user, cmd, args), (by_seq[seq], user, cmd, args)

    missed: list[dict] = []
    resumed = await DispatchClient.connect(server.url, tokens["vic"], resume_from=last_seen, state=observer_state,
                                           on_event=missed.append)
    await resumed.wait_for_seq(resumed.welcome["seq"])
    assert missed == log[last_seen:], "resume did not deliver exactly the missed events"
    fresh = await DispatchClient.connect(server.url, tokens["sam"])
    assert fresh.state == resumed.state
    await fresh.close()
    await resumed.close()
    for client in clients:
        await client.close()


def test_kill_9_under_load_loses_no_acked_event(server_on_each_store, tokens):
    rng = random.Random(20261123)
    server_on_each_store.start()
    for _ in range(ROUNDS):
        asyncio.run(_round(server_on_each_store, tokens[1], rng))
