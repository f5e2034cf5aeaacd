"""The `cmds` frame (added to v1): many commands in one frame, one `replies` frame answering them all."""
from __future__ import annotations

import asyncio
import json
import time

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.client import DispatchClient
from support.wire import arg_names, arg_values, commands, hello, shape_valid


async def _frames_until_replies(ws) -> tuple[list[dict], dict]:
    """Every event received before the next `replies` frame, and that frame."""
    events = []
    while True:
        msg = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        if msg["op"] == "replies":
            return events, msg
        if msg["op"] == "events":
            events.extend(msg["events"])
        elif msg["op"] == "event":
            events.append(msg)
        else:
            raise AssertionError(f"expected events, then replies; got {msg}")


def test_each_command_is_judged_alone_and_the_replies_follow_their_events(server, tokens):
    async def run():
        ws, welcome = await hello(server.url, tokens[1]["alice"], subscribe=True, batch=True)
        available = sorted(u for u, unit in welcome["snapshot"]["units"].items() if unit["status"] == "available")
        unit = available[0]
        cmds = [
            {"id": "a", "cmd": "incident.create", "args": {"kind": "fire", "priority": 2, "lon": 24.94,
                                                            "lat": 60.17, "incident_id": "CMDS-1"}},
            {"id": "b", "cmd": "incident.create", "args": {"kind": "fire", "priority": 2, "lon": 24.94, "lat": 91}},
            {"id": "c", "cmd": "unit.assign", "args": {"unit_id": unit, "incident_id": "CMDS-1"}},
            {"id": "d", "cmd": "unit.assign", "args": {"unit_id": unit, "incident_id": "CMDS-1"}},
            {"id": "e", "cmd": "unit.position", "args": {"unit_id": unit, "lon": 24.95, "lat": 60.18}},
        ]
        await ws.send(json.dumps({"op": "cmds", "cmds": cmds}))
        events, replies = await _frames_until_replies(ws)
        by_id = {r["id"]: r for r in replies["replies"]}
        assert [r["id"] for r in replies["replies"]] == ["a", "b", "c", "d", "e"]
        assert [by_id[i]["op"] for i in "abcde"] == ["ack", "nack", "ack", "nack", "ack"]
        assert by_id["b"]["code"] == "bad_request" and "lat 91" in by_id["b"]["message"]
        # judged in order: the second assignment sees the first one's effect
        assert by_id["d"]["code"] == "conflict"
        assert [e["type"] for e in events] == ["incident.created", "unit.assigned", "unit.moved"]
        assert [by_id[i]["seq"] for i in "ace"] == [e["seq"] for e in events]
        await ws.close()
    asyncio.run(run())


def test_a_malformed_cmds_frame_runs_none_of_its_commands(server, tokens):
    bad_frames = [
        ('{"op":"cmds","cmds":{}}', "must be a list of 1-1000 commands"),
        ('{"op":"cmds","cmds":[]}', "must be a list of 1-1000 commands"),
        ('{"op":"cmds"}', "must be a list of 1-1000 commands"),
        (json.dumps({"op": "cmds", "cmds": [{"id": f"x{i}", "cmd": "unit.teleport"} for i in range(1001)]}),
         "must be a list of 1-1000 commands"),
        ('{"op":"cmds","cmds":[{"id":"ok","cmd":"incident.create","args":{"kind":"x","priority":3,"lon":24.9,'
         '"lat":60.1}},{"cmd":"incident.create"}]}', "cmds[1] is not a command with an id"),
        ('{"op":"cmds","cmds":[{"id":"ok","cmd":"incident.create","args":{"kind":"x","priority":3,"lon":24.9,'
         '"lat":60.1}},[1,2]]}', "cmds[1] is not a command with an id"),
    ]

    async def run():
        ws, welcome = await hello(server.url, tokens[1]["alice"])
        for frame, words in bad_frames:
            await ws.send(frame)
            reply = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            assert reply["op"] == "error" and reply["code"] == "bad_request" and words in reply["message"], reply
        # nothing ran: the next accepted command has the seq after the welcome's (this module's server has
        # no other writer meanwhile)
        await ws.send(json.dumps({"op": "cmds", "cmds": [{"id": "after", "cmd": "incident.create", "args": {
            "kind": "x", "priority": 3, "lon": 24.9, "lat": 60.1}}]}))
        _, replies = await _frames_until_replies(ws)
        [ack] = replies["replies"]
        assert ack == {"op": "ack", "id": "after", "seq": welcome["seq"] + 1, "incident_id": ack["incident_id"]}
        assert ack["incident_id"].startswith("DEMO-")
        await ws.close()
    asyncio.run(run())


def test_the_client_splits_large_batches_under_the_frame_cap_and_the_rate_limit_counts_each_command(server, tokens):
    async def run():
        feed = await DispatchClient.connect(server.url, tokens[1]["fred"], subscribe=False)
        units = sorted(feed.state["units"])
        # ~170 bytes a report: 3,000 of them need several frames under the 64 KiB cap
        reports = [("unit.position", {"unit_id": units[i % len(units)], "lon": 24.9 + i * 1e-6, "lat": 60.1,
                                      "heading": 90.0, "speed": 10.0, "ts": "2026-11-23T12:00:00.000Z"})
                   for i in range(3_000)]
        replies = await asyncio.wait_for(asyncio.gather(*feed.send_commands(reports)), 30)
        assert [r["op"] for r in replies] == ["ack"] * 3_000
        # the feed's bucket holds 4,000 commands and refills 2,000 a second: of 10,000 more in one go,
        # each command takes its own token, so most are refused, each with its own reply
        started = time.monotonic()
        replies = await asyncio.wait_for(asyncio.gather(*feed.send_commands(reports * 3 + reports[:1_000])), 60)
        elapsed = time.monotonic() - started
        codes = [r.get("code", "ack") for r in replies]
        assert len(codes) == 10_000 and set(codes) == {"ack", "rate_limited"}
        assert codes.count("ack") <= 4_000 + 2_000 * elapsed + 1, (codes.count("ack"), elapsed)
        await feed.close()
    asyncio.run(run())


def test_fuzz_cmds_frames_never_ack_an_invalid_command(server, tokens):
    loop = asyncio.new_event_loop()
    ws, welcome = loop.run_until_complete(hello(server.url, tokens[1]["sam"]))
    units = sorted(welcome["snapshot"]["units"])
    counter = iter(range(10**9))

    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
    @given(batch=st.lists(st.tuples(commands, st.dictionaries(arg_names, arg_values, max_size=6)),
                             min_size=1, max_size=8))
    def fuzz(batch):
        async def run():
            cmds = []
            for cmd, args in batch:
                if args.get("unit_id") == "P-01":
                    args["unit_id"] = units[0]
                cmds.append({"id": f"f{next(counter)}", "cmd": cmd, "args": args})
            await ws.send(json.dumps({"op": "cmds", "cmds": cmds}))
            while True:
                msg = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
                if msg["op"] == "replies":
                    break
            assert [r["id"] for r in msg["replies"]] == [c["id"] for c in cmds]
            for (cmd, args), reply in zip(batch, msg["replies"]):
                if reply["op"] == "ack":
                    assert shape_valid(cmd, args), f"acked an invalid command: {cmd} {args}"
        loop.run_until_complete(run())

    try:
        fuzz()
        assert server.alive()
    finally:
        loop.run_until_complete(ws.close())
        loop.close()


def test_the_patrol_simulator_reports_through_cmds_frames(server, tokens):
    from dispatch.simulate import SimulationFeed, UnitSimulator
    from layers.citypack import load_city

    async def run():
        moved: set[str] = set()
        watcher = await DispatchClient.connect(
            server.url, tokens[1]["vic"],
            on_event=lambda e: moved.add(e["data"]["unit_id"]) if e["type"] == "unit.moved" else None)
        stop = asyncio.Event()
        simulator = UnitSimulator(load_city("demo").streets)
        patrols = asyncio.create_task(SimulationFeed(server.url, tokens[1]["fred"], simulator).run(stop))
        patrol_units = {u for u, unit in watcher.state["units"].items() if unit["kind"] in ("patrol", "traffic")}
        deadline = time.monotonic() + 30
        while len(moved & patrol_units) < 10 and time.monotonic() < deadline and not patrols.done():
            await asyncio.sleep(0.05)
        stop.set()
        await patrols
        await watcher.close()
        # (fire engines and ambulances that earlier tests moved away from their station drive back to it)
        assert len(moved & patrol_units) >= 10, moved
    asyncio.run(run())
