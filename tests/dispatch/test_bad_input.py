"""Hostile and broken input: each gets a clear nack or error, and the server and connection keep working."""
from __future__ import annotations

import asyncio
import json

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from dispatch.client import DispatchClient, Refused
from support.wire import arg_names, arg_values, commands, hello, json_values, shape_valid

# (name, raw frame or None, command, args, expected code, words the message must contain)
COMMAND_CASES = [
    ("unknown cmd", None, "unit.teleport", {}, "bad_request", "unknown command"),
    ("missing args", None, "incident.create", {"kind": "fire"}, "bad_request", "priority is missing"),
    ("ill-typed arg", None, "incident.create", {"kind": "fire", "priority": "high", "lon": 24.9, "lat": 60.1},
     "bad_request", "priority must be an integer"),
    ("bool as number", None, "unit.position", {"unit_id": "{unit}", "lon": True, "lat": 60.1},
     "bad_request", "lon must be a number"),
    ("unknown field", None, "unit.assign", {"unit_id": "{unit}", "incident_id": "x", "force": True},
     "bad_request", "unknown field 'force'"),
    ("NaN coordinate", '{"op":"cmd","id":"nan","cmd":"unit.position","args":{"unit_id":"{unit}","lon":NaN,"lat":60.1}}',
     None, None, "bad_request", "lon must be a finite number"),
    ("Infinity coordinate", '{"op":"cmd","id":"inf","cmd":"unit.position","args":{"unit_id":"{unit}","lon":24.9,"lat":Infinity}}',
     None, None, "bad_request", "lat must be a finite number"),
    ("1e400 coordinate", '{"op":"cmd","id":"big","cmd":"incident.create","args":{"kind":"fire","priority":1,"lon":1e400,"lat":60.1}}',
     None, None, "bad_request", "lon must be a finite number"),
    ("lat 91", None, "incident.create", {"kind": "fire", "priority": 1, "lon": 24.9, "lat": 91},
     "bad_request", "lat 91 is outside [-90.0, 90.0]"),
    ("priority 0", None, "incident.create", {"kind": "fire", "priority": 0, "lon": 24.9, "lat": 60.1},
     "bad_request", "priority 0 is outside [1, 5]"),
    ("priority 6", None, "incident.create", {"kind": "fire", "priority": 6, "lon": 24.9, "lat": 60.1},
     "bad_request", "priority 6 is outside [1, 5]"),
    ("unknown unit", None, "unit.status", {"unit_id": "NOPE-1", "status": "busy"}, "not_found", "no unit 'NOPE-1'"),
    ("unknown incident", None, "incident.close", {"incident_id": "I999999", "disposition": "REPORT"},
     "not_found", "no incident 'I999999'"),
    ("forbidden transition", None, "unit.status", {"unit_id": "{unit}", "status": "onscene"},
     "invalid_transition", "cannot go from available to onscene"),
    ("status outside the machine", None, "unit.status", {"unit_id": "{unit}", "status": "asleep"},
     "bad_request", "is not one of"),
    # urllib's parser raises on a bracketed host that is not IPv6
    ("a URL no parser can read", None, "alarm.raise", {"device_id": "APP-1", "kind": "panic", "lon": 24.94,
                                                      "lat": 60.17, "ts": "2026-12-04T10:00:00+00:00",
                                                      "media_url": "http://[not-ipv6/live"},
     "bad_request", "is not an http, https or rtsp URL"),
]

FRAME_CASES = [
    ("not JSON", "this is not json", "the frame is not JSON"),
    ("a JSON array", "[1, 2, 3]", "must be a JSON object"),
    ("no op", '{"id": "x"}', "no op"),
    ("unknown op", '{"op": "dance"}', "unknown op 'dance'"),
    ("cmd without id", '{"op": "cmd", "cmd": "unit.status", "args": {}}', "needs an id"),
    ("second hello", '{"op": "hello", "token": "x"}', "already received"),
]


async def _alive(url: str, token: str) -> None:
    """The server still answers a new connection and a valid command."""
    client = await DispatchClient.connect(url, token, subscribe=False)
    reply = await client.command("incident.create", kind="check", priority=5, lon=24.94, lat=60.17)
    assert reply["op"] == "ack", reply
    await client.close()


async def _next_reply(ws) -> dict:
    while True:
        msg = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        if msg["op"] in ("ack", "nack", "error"):
            return msg


@pytest.mark.parametrize("name,raw,cmd,args,code,words", COMMAND_CASES, ids=[c[0] for c in COMMAND_CASES])
def test_bad_command_gets_clear_nack(server, tokens, name, raw, cmd, args, code, words):
    async def run():
        ws, welcome = await hello(server.url, tokens[1]["alice"])
        unit = sorted(welcome["snapshot"]["units"])[0]
        frame = raw.replace("{unit}", unit) if raw else json.dumps(
            {"op": "cmd", "id": name, "cmd": cmd, "args": json.loads(json.dumps(args).replace("{unit}", unit))})
        await ws.send(frame)
        reply = await _next_reply(ws)
        assert reply["op"] == "nack" and reply["code"] == code, reply
        assert words in reply["message"], reply
        assert reply["id"] == (json.loads(frame, parse_constant=lambda c: c)["id"])
        # The connection survives: a valid command on it is acked.
        await ws.send(json.dumps({"op": "cmd", "id": "ok", "cmd": "unit.status",
                                  "args": {"unit_id": unit, "status": "busy"}}))
        await ws.send(json.dumps({"op": "cmd", "id": "ok2", "cmd": "unit.status",
                                  "args": {"unit_id": unit, "status": "available"}}))
        assert (await _next_reply(ws))["op"] == "ack"
        assert (await _next_reply(ws))["op"] == "ack"
        await ws.close()
        await _alive(server.url, tokens[1]["alice"])
    asyncio.run(run())


@pytest.mark.parametrize("name,frame,words", FRAME_CASES, ids=[c[0] for c in FRAME_CASES])
def test_bad_frame_gets_error_and_keeps_connection(server, tokens, name, frame, words):
    async def run():
        ws, _ = await hello(server.url, tokens[1]["alice"])
        await ws.send(frame)
        reply = await _next_reply(ws)
        assert reply["op"] == "error" and reply["code"] == "bad_request", reply
        assert words in reply["message"], reply
        await ws.send(json.dumps({"op": "cmd", "id": "after", "cmd": "incident.create",
                                  "args": {"kind": "x", "priority": 3, "lon": 24.9, "lat": 60.1}}))
        assert (await _next_reply(ws))["op"] == "ack"
        await ws.close()
    asyncio.run(run())


def test_frame_over_64_kib_closes_1009(server, tokens):
    async def run():
        ws, _ = await hello(server.url, tokens[1]["alice"])
        await ws.send(json.dumps({"op": "cmd", "id": "big", "cmd": "incident.create",
                                  "args": {"note": "x" * (65 * 1024)}}))
        await ws.wait_closed()
        assert ws.close_code == 1009
        await _alive(server.url, tokens[1]["alice"])
    asyncio.run(run())


def test_command_before_hello_is_refused_4400(server, tokens):
    async def run():
        ws = await connect(server.url)
        await ws.send(json.dumps({"op": "cmd", "id": "1", "cmd": "unit.status", "args": {}}))
        error = orjson.loads(await ws.recv())
        assert error["op"] == "error" and error["code"] == "bad_request"
        await ws.wait_closed()
        assert ws.close_code == 4400
        await _alive(server.url, tokens[1]["alice"])
    asyncio.run(run())


@pytest.mark.parametrize("token", ["wrong-token", None, ""])
def test_wrong_or_missing_token_is_refused_4401(server, tokens, token):
    async def run():
        with pytest.raises(Refused) as refused:
            await DispatchClient.connect(server.url, token)
        assert refused.value.code == "unauthorized" and refused.value.close_code == 4401
        await _alive(server.url, tokens[1]["alice"])
    asyncio.run(run())


@pytest.mark.parametrize("user,namespace,cmd", [
    ("vic", "live", "incident.create"),
    ("fred", "live", "unit.assign"),
    ("tina", "live", "incident.create"),
])
def test_role_may_not_gets_forbidden(server, tokens, user, namespace, cmd):
    async def run():
        client = await DispatchClient.connect(server.url, tokens[1][user], namespace=namespace)
        args = {"kind": "x", "priority": 1, "lon": 24.9, "lat": 60.1} if cmd == "incident.create" else {
            "unit_id": sorted(client.state["units"])[0], "incident_id": "I1"}
        reply = await client.command(cmd, **args)
        assert reply["op"] == "nack" and reply["code"] == "forbidden", reply
        assert client.role in reply["message"] or "exercise" in reply["message"]
        await client.close()
    asyncio.run(run())


def test_trainer_may_command_in_an_exercise(server, tokens):
    async def run():
        client = await DispatchClient.connect(server.url, tokens[1]["tina"], namespace="exercise:bad-input")
        reply = await client.command("incident.create", kind="drill", priority=2, lon=24.9, lat=60.1)
        assert reply["op"] == "ack", reply
        await client.close()
    asyncio.run(run())


def test_ten_thousandcommands_in_a_second_are_rate_limited(server, tokens):
    async def run():
        client = await DispatchClient.connect(server.url, tokens[1]["alice"], subscribe=False)
        unit = sorted(client.state["units"])[-1]
        futures = [client.send_command("unit.position", {"unit_id": unit, "lon": 24.9, "lat": 60.1 + i * 1e-6})
                   for i in range(10_000)]
        replies = await asyncio.wait_for(asyncio.gather(*futures), 60)
        codes = [r.get("code", "ack") for r in replies]
        assert codes.count("rate_limited") > 5_000, codes.count("rate_limited")
        assert codes.count("ack") >= 100
        assert set(codes) == {"ack", "rate_limited"}
        limited = next(r for r in replies if r.get("code") == "rate_limited")
        assert "slow down" in limited["message"]
        await client.close()
        await _alive(server.url, tokens[1]["bob"])
    asyncio.run(run())


# ---- property-based fuzz ------------------------------------------------------------------------

def test_fuzz_random_frames_never_kill_the_server_nor_ack_invalid_commands(server, tokens):
    loop = asyncio.new_event_loop()
    ws, welcome = loop.run_until_complete(hello(server.url, tokens[1]["sam"]))
    units = sorted(welcome["snapshot"]["units"])
    counter = iter(range(10**9))

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(cmd=commands, args=st.dictionaries(arg_names, arg_values, max_size=6),
           garbage=st.one_of(st.none(), json_values, st.binary(max_size=64).map(lambda b: b.decode("latin-1"))))
    def fuzz(cmd, args, garbage):
        async def run():
            if "unit_id" in args and args["unit_id"] == "P-01":
                args["unit_id"] = units[0]
            if garbage is not None:
                frame = garbage if isinstance(garbage, str) else json.dumps(garbage)
                await ws.send(frame)
                reply = await _next_reply(ws)
                assert reply["op"] in ("error", "nack"), (frame, reply)
            cmd_id = f"f{next(counter)}"
            await ws.send(json.dumps({"op": "cmd", "id": cmd_id, "cmd": cmd, "args": args}))
            reply = await _next_reply(ws)
            assert reply.get("id") == cmd_id, reply
            if reply["op"] == "ack":
                assert shape_valid(cmd, args), f"acked an invalid command: {cmd} {args}"
        loop.run_until_complete(run())

    try:
        fuzz()
        loop.run_until_complete(_alive(server.url, tokens[1]["alice"]))
        assert server.alive()
    finally:
        loop.run_until_complete(ws.close())
        loop.close()
