"""Two dispatchers assign the same available unit at the same moment: exactly one wins, every time."""
from __future__ import annotations

import asyncio

from dispatch.client import DispatchClient

ROUNDS = 200


async def _race(url: str, tokens: dict[str, str]) -> None:
    alice = await DispatchClient.connect(url, tokens["alice"])
    bob = await DispatchClient.connect(url, tokens["bob"], batch=False)
    watcher = await DispatchClient.connect(url, tokens["vic"])
    units = sorted(u for u, unit in alice.state["units"].items() if unit["status"] == "available")
    lon, lat = alice.state["units"][units[0]]["lon"], alice.state["units"][units[0]]["lat"]
    try:
        for round_no in range(ROUNDS):
            unit_id = units[round_no % len(units)]
            created = await asyncio.gather(
                alice.command("incident.create", kind="fight", priority=2, lon=lon, lat=lat),
                bob.command("incident.create", kind="theft", priority=3, lon=lon, lat=lat),
            )
            assert [r["op"] for r in created] == ["ack", "ack"], created
            incidents = [r["incident_id"] for r in created]
            replies = await asyncio.gather(
                alice.command("unit.assign", unit_id=unit_id, incident_id=incidents[0]),
                bob.command("unit.assign", unit_id=unit_id, incident_id=incidents[1]),
            )
            ops = sorted(r["op"] for r in replies)
            assert ops == ["ack", "nack"], replies
            nack = next(r for r in replies if r["op"] == "nack")
            assert nack["code"] == "conflict"
            assert "not available" in nack["message"]
            closed = await asyncio.gather(*(alice.command("incident.close", incident_id=i, disposition="RESOLVED")
                                            for i in incidents))
            assert [r["op"] for r in closed] == ["ack", "ack"], closed
        last = max(alice.seq, bob.seq)
        await asyncio.gather(*(c.wait_for_seq(last) for c in (alice, bob, watcher)))
        assert alice.state == bob.state == watcher.state
        # The log agrees with the clients: a fresh snapshot equals what they folded.
        late = await DispatchClient.connect(url, tokens["sam"])
        await late.wait_for_seq(last)
        assert late.state == alice.state
        await late.close()
        assert all(u["status"] == "available" for u in alice.state["units"].values())
    finally:
        for client in (alice, bob, watcher):
            await client.close()


def test_two_dispatchers_race_for_one_unit(server_on_each_store, tokens):
    asyncio.run(_race(server_on_each_store.start(), tokens[1]))
