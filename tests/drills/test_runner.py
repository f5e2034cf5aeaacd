"""Drills end to end with real processes: `onemap drill run` against a real `onemap server`, read back from
the server's own SQLite log. Drill times are computed from the log's events (drills.clock), as scoring does."""
from __future__ import annotations

import asyncio
import csv
import json
import math
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from dispatch.client import DispatchClient
from dispatch.history import epoch
from drills.clock import DrillClock, fired_rows
from drills.fleet import service_time
from drills.load import generate_calls, sf_profile, street_sampler
from drills.runner import GENERATED_NOTE
from drills.score import score
from layers.citypack import load_city
from support.drill import namespace_events, write_msel
from support.server import ROOT, ServerProcess, make_users
from support.wait import wait_until

SPEED = 60
COMMIT_S = 0.05  # a command's way to the server and its commit, in real time, on a busy machine


@pytest.fixture(scope="module")
def drill_server(tmp_path_factory):
    """A real server on the demo city, its users' tokens and a trainer's token file."""
    folder = tmp_path_factory.mktemp("drill")
    tokens = make_users(folder / "users.json")
    token_file = folder / "tina.token"
    token_file.write_text(tokens["tina"])
    token_file.chmod(0o600)
    server = ServerProcess(folder / "events.db", folder / "users.json")
    server.start()
    yield server, tokens, token_file
    server.kill()



def inject(number: int, at: str, command: str, args: dict, message: str = "") -> list:
    return [number, at, "Inject", "Sim", "Dispatcher", message, "", "", "", command, json.dumps(args)]



def live_frames(db: Path) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return connection.execute("SELECT seq, ts, actor, type, frame FROM events WHERE ns = 'live' ORDER BY seq").fetchall()


def onemap(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "console.cli", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def drill_command(server: ServerProcess, token_file: Path, *args: str) -> list[str]:
    return ["drill", *args, "--server", server.url, "--token-file", str(token_file)]


def finished(process: subprocess.Popen, timeout: float = 60.0) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def fired_drill_times(events: list[dict]) -> list[tuple[int, float]]:
    """(Event Number, the drill time of the server's record of its firing) in log order."""
    clock = DrillClock(events)
    return [(e["data"]["event_number"], clock.drill_at(epoch(e["ts"]))) for e in events
            if e["type"] == "drill.inject_fired"]


def live_trainer_refusals(url: str, token: str) -> list[dict]:
    async def send() -> list[dict]:
        client = await DispatchClient.connect(url, token, namespace="live")
        try:
            return [await client.command("incident.create", kind="fire", priority=1, lon=24.94, lat=60.17),
                    await client.command("drill.start", speed=60)]
        finally:
            await client.close()
    return asyncio.run(send())


def live_call(url: str, token: str) -> None:
    async def send() -> None:
        client = await DispatchClient.connect(url, token, namespace="live")
        try:
            assert (await client.command("incident.create", kind="fire", priority=1, lon=24.94, lat=60.17))["op"] == "ack"
        finally:
            await client.close()
    asyncio.run(send())


def test_a_drill_fires_its_injects_in_order_at_their_drill_times_and_live_is_untouched(drill_server, tmp_path):
    server, tokens, token_file = drill_server
    live_call(server.url, tokens["alice"])
    live_before = live_frames(server.db)
    camera_id = load_city("demo").cameras["camera_id"].iloc[0]
    msel = write_msel(tmp_path / "msel.csv", [
        inject(1, "+00:00:30", "call", {"kind": "fire", "priority": 1, "address": "Mannerheimintie 5"},
               "Smoke from a shop"),
        inject(2, "+00:01:30", "message", {}, "The caller says people are inside"),
        inject(3, "+00:02:00", "camera_dark", {"camera_id": camera_id}),
        inject(4, "+00:02:30", "call", {"kind": "traffic", "priority": 2,
                                         "intersection": ["Kaivokatu", "Mannerheimintie"]}),
        inject(5, "+00:03:00", "unit_out", {"unit_id": "U001"}),
    ])
    code, out, err = finished(onemap(*drill_command(server, token_file, "run", str(msel), "--name", "a1",
                                                    "--speed", str(SPEED))))
    assert code == 0, err
    events = namespace_events(server.db, "exercise:a1")
    fired = fired_drill_times(events)
    assert [number for number, _ in fired] == [1, 2, 3, 4, 5]
    scenario = {1: 30, 2: 90, 3: 120, 4: 150, 5: 180}
    for number, drill_s in fired:  # the server's record, after the inject's own commands: within 1 s
        assert scenario[number] <= drill_s <= scenario[number] + 1.0, (number, drill_s)
    records = fired_rows(events)
    assert all(0 <= records[n]["drill_s"] - scenario[n] <= 1.0 for n in scenario), records
    types = [e["type"] for e in events]
    assert types.count("incident.created") == 2 and "camera.status_changed" in types
    note = next(e for e in events if e["type"] == "incident.noted")
    assert note["data"] == {"incident_id": records[1]["incident_id"], "text": "The caller says people are inside"}
    assert next(e for e in events if e["type"] == "unit.status_changed")["data"]["status"] == "offduty"
    assert live_frames(server.db) == live_before

    # A rerun under a used name is refused, naming it, and adds nothing to the old run.
    code, _, err = finished(onemap(*drill_command(server, token_file, "run", str(msel), "--name", "a1")))
    assert code == 2 and "exercise:a1" in err and "conflict" in err
    assert namespace_events(server.db, "exercise:a1") == events

    # The scorecard of the run's log has the calls the runner fired.
    out_dir = tmp_path / "card"
    code, out, err = finished(onemap("drill", "score", "--db", str(server.db), "--namespace", "exercise:a1",
                                     "--out", str(out_dir), "--msel", str(msel)))
    assert code == 0, err
    with (out_dir / "calls.csv").open(encoding="utf-8") as handle:
        calls = list(csv.DictReader(handle))
    assert [c["incident_id"] for c in calls] == [records[1]["incident_id"], records[4]["incident_id"]]
    assert [c["kind"] for c in calls] == ["fire", "traffic"]
    assert "EXERCISE" in (out_dir / "scorecard.html").read_text(encoding="utf-8")
    assert live_frames(server.db) == live_before


def test_a_trainers_commands_to_live_are_refused(drill_server):
    server, tokens, _ = drill_server
    before = live_frames(server.db)
    replies = live_trainer_refusals(server.url, tokens["tina"])
    assert [(r["op"], r["code"]) for r in replies] == [("nack", "forbidden"), ("nack", "forbidden")]
    assert all("exercise" in r["message"] for r in replies)
    assert live_frames(server.db) == before


def test_injects_due_during_a_pause_fire_after_resume_once_each_in_order_at_drill_times_without_the_pause(
        drill_server, tmp_path):
    server, _, token_file = drill_server
    msel = write_msel(tmp_path / "msel.csv", [
        inject(1, "+00:00:30", "call", {"kind": "fire", "priority": 1, "address": "Mannerheimintie 5"}),
        inject(2, "+00:05:00", "avl_silent", {"unit_id": "U002"}),
        inject(3, "+00:05:10", "call", {"kind": "medical", "priority": 3, "address": "Mannerheimintie 5"}),
        inject(4, "+00:05:20", "message", {}, "Second caller on the line"),
    ])
    runner = onemap(*drill_command(server, token_file, "run", str(msel), "--name", "p1", "--speed", str(SPEED)))
    try:
        wait_until(lambda: 1 in fired_rows(namespace_events(server.db, "exercise:p1")), 30, "row 1 fired")
        pause = finished(onemap(*drill_command(server, token_file, "pause", "--name", "p1")))
        assert pause[0] == 0, pause[2]
        paused = namespace_events(server.db, "exercise:p1")
        paused_at = time.time()
        # Rows 2-4 fall due 4.5-4.8 s of wall time after row 1 at speed 60; the pause lasts 10 s (10 minutes
        # of drill time at that speed) and holds them.
        deadline = paused_at + 10.0
        while time.time() < deadline:
            assert set(fired_rows(namespace_events(server.db, "exercise:p1"))) == {1}
            time.sleep(0.05)
        resume = finished(onemap(*drill_command(server, token_file, "resume", "--name", "p1")))
        assert resume[0] == 0, resume[2]
        code, out, err = finished(runner)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert code == 0, err
    events = namespace_events(server.db, "exercise:p1")
    fired = fired_drill_times(events)
    assert [number for number, _ in fired] == [1, 2, 3, 4]  # once each, in order
    scenario = {1: 30, 2: 300, 3: 310, 4: 320}
    for number, drill_s in fired:
        assert scenario[number] <= drill_s <= scenario[number] + 1.0, (number, drill_s)
    resumed_ts = next(epoch(e["ts"]) for e in events if e["type"] == "drill.resumed")
    assert all(epoch(e["ts"]) > resumed_ts for e in events[len(paused):] if e["type"] == "drill.inject_fired")
    assert resumed_ts - paused_at >= 9.9


def test_a_restarted_runner_with_resume_carries_on_without_firing_a_row_again(drill_server, tmp_path):
    server, _, token_file = drill_server
    msel = write_msel(tmp_path / "msel.csv", [
        inject(1, "+00:00:06", "message", {}, "First"),
        inject(2, "+00:10:00", "message", {}, "Second"),
        inject(3, "+00:10:06", "message", {}, "Third"),
    ])
    first = onemap(*drill_command(server, token_file, "run", str(msel), "--name", "r1", "--speed", str(SPEED)))
    try:
        wait_until(lambda: 1 in fired_rows(namespace_events(server.db, "exercise:r1")), 30, "row 1 fired")
    finally:
        first.kill()
        first.communicate(timeout=10)
    code, out, err = finished(onemap(*drill_command(server, token_file, "run", str(msel), "--name", "r1",
                                                    "--speed", str(SPEED), "--resume")))
    assert code == 0, err
    events = namespace_events(server.db, "exercise:r1")
    assert [n for n, _ in fired_drill_times(events)] == [1, 2, 3]
    assert [e["type"] for e in events].count("drill.started") == 1
    assert "1 rows fired before" in out


def test_a_contingency_inject_fires_once_its_expected_action_is_missed_and_not_before(drill_server, tmp_path):
    server, _, token_file = drill_server
    msel = write_msel(tmp_path / "msel.csv", [
        inject(1, "+00:00:06", "call", {"kind": "fire", "priority": 1, "address": "Mannerheimintie 5"}),
        [2, "+00:00:06", "Expected Action", "", "Dispatcher", "", "Assign a fire unit", "", "", "expect",
         json.dumps({"assign_kind": "fire", "to_inject": 1, "within_s": 60})],
        [3, "+00:00:12", "Contingency Inject", "Caller", "Call taker", "Flames now", "", "", "", "message",
         json.dumps({"on_miss": 2})],
    ])
    code, out, err = finished(onemap(*drill_command(server, token_file, "run", str(msel), "--name", "c1",
                                                    "--speed", str(SPEED))))
    assert code == 0, err
    events = namespace_events(server.db, "exercise:c1")
    fired = dict(fired_drill_times(events))
    assert list(fired) == [1, 3]
    assert 66 < fired[3] <= 67  # the deadline (the call's drill time + 60 s) passed, within 1 s
    note = next(e for e in events if e["type"] == "incident.noted")
    assert note["data"]["text"] == "Flames now"


def test_a_bad_msel_is_refused_naming_row_and_column_and_no_drill_starts(drill_server, tmp_path):
    server, _, token_file = drill_server
    msel = write_msel(tmp_path / "bad.csv", [
        inject(1, "+00:00:06", "call", {"kind": "fire", "priority": 1, "address": "Qwxyzstrasse 9"}),
        inject(2, "+00:00:07", "teleport", {}),
    ])
    code, _, err = finished(onemap(*drill_command(server, token_file, "run", str(msel), "--name", "bad1")))
    assert code == 2
    assert "bad.csv: row 2, column K (Args): unknown address" in err
    assert "bad.csv: row 3, column J (Command)" in err
    assert namespace_events(server.db, "exercise:bad1") == []


class LiveListener:
    """A live console's connection at the wire: every frame the server sends it after its welcome, kept as
    bytes, on a thread of its own while a drill runs."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token
        self.frames: list[bytes] = []
        self.welcomed = False
        self.stopping = False
        self.thread = None

    async def _listen(self) -> None:
        from websockets.asyncio.client import connect

        async with connect(self.url, max_size=None, compression=None) as ws:
            await ws.send(orjson.dumps({"op": "hello", "token": self.token, "resume_from": None,
                                        "namespace": "live", "batch": True, "subscribe": True}), text=True)
            welcome = orjson.loads(await ws.recv())
            assert welcome["op"] == "welcome" and welcome["namespace"] == "live", welcome
            self.welcomed = True
            while not self.stopping:
                try:
                    frame = await asyncio.wait_for(ws.recv(decode=False), 0.1)
                except asyncio.TimeoutError:
                    continue
                self.frames.append(frame)

    def __enter__(self):
        import threading

        self.thread = threading.Thread(target=lambda: asyncio.run(self._listen()), daemon=True)
        self.thread.start()
        wait_until(lambda: self.welcomed, 10, "the live listener's welcome")
        return self

    def __exit__(self, *exc):
        self.stopping = True
        self.thread.join(timeout=10)


def live_camera(url: str, token: str, camera_id: str) -> dict:
    """The camera as a live console's welcome has it."""
    async def read() -> dict:
        client = await DispatchClient.connect(url, token, namespace="live")
        try:
            return client.state["cameras"][camera_id]
        finally:
            await client.close()
    return asyncio.run(read())


def test_a_live_console_through_a_whole_drill_receives_no_byte_of_it_and_its_camera_outage_stays_in_it(drill_server, tmp_path):
    server, tokens, token_file = drill_server
    camera_id = load_city("demo").cameras["camera_id"].iloc[0]
    msel = write_msel(tmp_path / "msel.csv", [
        inject(1, "+00:00:10", "call", {"kind": "fire", "priority": 1, "address": "Mannerheimintie 5"}),
        inject(2, "+00:00:20", "camera_dark", {"camera_id": camera_id}),
        inject(3, "+00:00:30", "unit_out", {"unit_id": "U002"}),
    ])
    live_before = live_frames(server.db)
    camera_before = live_camera(server.url, tokens["alice"], camera_id)
    with LiveListener(server.url, tokens["alice"]) as listener:
        code, _, err = finished(onemap(*drill_command(server, token_file, "run", str(msel), "--name", "iso1",
                                                      "--speed", str(SPEED))))
        assert code == 0, err
        exercise = namespace_events(server.db, "exercise:iso1")
        assert [e["type"] for e in exercise].count("drill.inject_fired") == 3
        live_call(server.url, tokens["alice"])  # live traffic still reaches it: the listener is listening
        wait_until(lambda: listener.frames, 10, "the live call's event at the live listener")
    messages = [orjson.loads(frame) for frame in listener.frames]
    events = [e for m in messages for e in ([m] if m["op"] == "event" else m.get("events", []))]
    assert {m["op"] for m in messages} <= {"event", "events"}, messages
    assert [e["type"] for e in events] == ["incident.created"]  # the live call, and nothing of the drill
    assert not any(b"exercise" in frame or b"drill" in frame or camera_id.encode() in frame
                   for frame in listener.frames)
    assert live_frames(server.db)[:len(live_before)] == live_before
    # The exercise's camera went dark there; in live it is as it was.
    assert next(e for e in exercise if e["type"] == "camera.status_changed")["data"]["camera_id"] == camera_id
    assert live_camera(server.url, tokens["alice"], camera_id) == camera_before


# ---- the trainer's asks, for_s, simulated units, generated load ------------------------------------------

def trainer_commands(url: str, token: str, name: str, *commands: tuple[str, dict]) -> list[dict]:
    """The trainer's commands to exercise:NAME, as the trainer's panel sends them; their replies."""
    async def send() -> list[dict]:
        client = await DispatchClient.connect(url, token, namespace=f"exercise:{name}", subscribe=False,
                                              keep_state=False)
        try:
            return [await client.command(cmd, **args) for cmd, args in commands]
        finally:
            await client.close()
    return asyncio.run(send())


def fired_records(events: list[dict]) -> list[dict]:
    return [{**e["data"], "seq": e["seq"], "ts": e["ts"]} for e in events if e["type"] == "drill.inject_fired"]


def test_fire_now_during_a_pause_fires_at_once_and_an_unknown_row_is_said(drill_server, tmp_path):
    server, tokens, token_file = drill_server
    msel = write_msel(tmp_path / "msel.csv", [
        inject(1, "+00:00:01", "message", {}, "Shift briefing"),
        inject(2, "+01:00:00", "call", {"kind": "fire", "priority": 1, "address": "Mannerheimintie 5"}),
        [3, "+00:00:02", "Expected Action", "", "", "", "", "", "", "expect",
         json.dumps({"assign_kind": "fire", "to_inject": 2, "within_s": 90})],
    ])
    runner = onemap(*drill_command(server, token_file, "run", str(msel), "--name", "f1", "--speed", str(SPEED)))
    try:
        wait_until(lambda: 1 in fired_rows(namespace_events(server.db, "exercise:f1")), 30, "row 1 fired")
        assert finished(onemap(*drill_command(server, token_file, "pause", "--name", "f1")))[0] == 0
        replies = trainer_commands(server.url, tokens["tina"], "f1", ("drill.fire_now", {"event_number": 99}),
                                   ("drill.fire_now", {"event_number": 3}), ("drill.fire_now", {"event_number": 2}))
        assert [r["op"] for r in replies] == ["ack", "ack", "ack"]
        asked = time.time()
        wait_until(lambda: 2 in fired_rows(namespace_events(server.db, "exercise:f1")), 10, "row 2 fired now")
        code, out, err = finished(runner)  # nothing left to fire: it ends, still paused
    finally:
        runner.kill()
    assert code == 0, err
    events = namespace_events(server.db, "exercise:f1")
    record = fired_rows(events)[2]
    assert record["fire_now"] is True and record["incident_id"]
    assert epoch(record["fired_ts"]) - asked < 2.0  # at once, not an hour of drill time later
    assert [e["type"] for e in events if e["type"] in ("drill.paused", "drill.resumed")] == ["drill.paused"]
    assert "fire now: event 99 is not in the MSEL" in out and "nothing fired" in out
    assert "fire now: event 3 is an Expected Action, not an inject: nothing fired" in out
    assert sorted(fired_rows(events)) == [1, 2]


def test_an_unplanned_inject_fires_once_and_a_bad_one_is_refused_with_words(drill_server, tmp_path):
    server, tokens, token_file = drill_server
    msel = write_msel(tmp_path / "msel.csv", [inject(1, "+00:00:01", "message", {}, "Shift briefing"),
                                              inject(2, "+00:05:00", "message", {}, "End of the exercise")])
    runner = onemap(*drill_command(server, token_file, "run", str(msel), "--name", "u1", "--speed", str(SPEED)))
    try:
        wait_until(lambda: 1 in fired_rows(namespace_events(server.db, "exercise:u1")), 30, "row 1 fired")
        replies = trainer_commands(
            server.url, tokens["tina"], "u1",
            ("drill.inject", {"command": "call", "args": {"kind": "fight", "priority": 2,
                                                           "address": "Mannerheimintie 5"}}),
            ("drill.inject", {"command": "unit_out", "args": {"unit_id": "NOPE"}}),
            ("drill.inject", {"command": "call", "args": {"kind": "fight", "priority": "high", "grid_id": "G1"}}))
        assert [r["op"] for r in replies] == ["ack", "ack", "ack"]
        code, out, err = finished(runner)
    finally:
        runner.kill()
    assert code == 0, err
    events = namespace_events(server.db, "exercise:u1")
    unplanned = [r for r in fired_records(events) if r.get("request_id")]
    assert [(r["request_id"], r["event_number"], r["fire_now"]) for r in unplanned] == [("U1", None, True)]
    created = next(e["data"] for e in events if e["type"] == "incident.created")
    assert created["incident_id"] == unplanned[0]["incident_id"] and created["kind"] == "fight"
    assert "Mannerheimintie 5" in created["address"]
    assert "unplanned inject U2 (unit_out) refused, nothing fired: Args: the city has no unit 'NOPE'" in out
    assert "unplanned inject U3 (call) refused, nothing fired: Args: priority must be a integer, not \"high\"" in out


def test_asks_made_while_no_runner_ran_are_answered_once_when_it_comes_back(drill_server, tmp_path):
    server, tokens, token_file = drill_server
    msel = write_msel(tmp_path / "msel.csv", [inject(1, "+00:00:01", "message", {}, "Shift briefing"),
                                              inject(2, "+02:00:00", "message", {}, "End of the exercise")])
    runner = onemap(*drill_command(server, token_file, "run", str(msel), "--name", "k1", "--speed", str(SPEED)))
    try:
        wait_until(lambda: 1 in fired_rows(namespace_events(server.db, "exercise:k1")), 30, "row 1 fired")
    finally:
        runner.kill()
        runner.communicate()
    trainer_commands(server.url, tokens["tina"], "k1",
                     ("drill.inject", {"command": "camera_dark", "args": {"camera_id": load_city("demo").cameras["camera_id"].iloc[0]}}),
                     ("drill.fire_now", {"event_number": 2}))
    for _ in range(2):  # the second comes back to a log where every ask is answered: it fires nothing
        code, out, err = finished(onemap(*drill_command(server, token_file, "run", str(msel), "--name", "k1",
                                                        "--speed", str(SPEED), "--resume")))
        assert code == 0, err
    events = namespace_events(server.db, "exercise:k1")
    records = fired_records(events)
    assert [(r["event_number"], r.get("request_id"), r.get("fire_now", False)) for r in records] == [
        (1, None, False), (None, "U1", True), (2, None, True)]
    assert [e["data"]["online"] for e in events if e["type"] == "camera.status_changed"] == [False]


def test_an_outage_with_for_s_ends_at_its_drill_time_also_across_a_runner_restart(drill_server, tmp_path):
    server, _, token_file = drill_server
    camera_id = load_city("demo").cameras["camera_id"].iloc[1]
    msel = write_msel(tmp_path / "msel.csv", [
        inject(1, "+00:00:05", "unit_out", {"unit_id": "U003", "for_s": 480}),
        inject(2, "+00:00:06", "camera_dark", {"camera_id": camera_id, "for_s": 540}),
    ])
    command = drill_command(server, token_file, "run", str(msel), "--name", "o1", "--speed", str(SPEED))
    runner = onemap(*command)
    try:
        wait_until(lambda: 2 in fired_rows(namespace_events(server.db, "exercise:o1")), 30, "rows fired")
    finally:
        runner.kill()
        runner.communicate()
    code, out, err = finished(onemap(*command, "--resume"))  # puts both back, then ends
    assert code == 0, err
    events = namespace_events(server.db, "exercise:o1")
    clock = DrillClock(events)
    fired = fired_rows(events)
    back = next(e for e in events if e["type"] == "unit.status_changed" and e["data"]["status"] == "available")
    lit = next(e for e in events if e["type"] == "camera.status_changed" and e["data"]["online"])
    assert back["data"]["unit_id"] == "U003" and lit["data"]["camera_id"] == camera_id
    # The runner acts within 1 s of drill time; the event's time is when the server stored it, up to
    # COMMIT_S of real time later (the command's way there and the commit): at speed 60 that is 3 drill s.
    late = 1.0 + COMMIT_S * SPEED
    assert 0 <= clock.drill_at(epoch(back["ts"])) - (fired[1]["drill_s"] + 480) <= late
    assert 0 <= clock.drill_at(epoch(lit["ts"])) - (fired[2]["drill_s"] + 540) <= late
    assert "U003 back at drill time" in out


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    kx = 111_320.0 * math.cos(math.radians(a[1]))
    return math.hypot((a[0] - b[0]) * kx, (a[1] - b[1]) * 110_574.0)


def test_simulated_units_drive_to_an_assigned_incident_go_available_after_service_and_obey_avl_silent(
        drill_server, tmp_path):
    server, tokens, token_file = drill_server
    msel = write_msel(tmp_path / "msel.csv", [
        inject(1, "+00:00:01", "avl_silent", {"unit_id": "U020", "for_s": 60}),
        inject(2, "+00:00:02", "call", {"kind": "Alarms", "priority": 2, "address": "Mannerheimintie 5"}),
        inject(3, "+10:00:00", "message", {}, "End of the exercise"),
    ])
    # At speed 30 a wall second's report (30 drill seconds) leaves a few reports on the way there.
    runner = onemap(*drill_command(server, token_file, "run", str(msel), "--name", "v1", "--speed", "30", "--units"))
    try:
        incident = wait_until(lambda: next((e["data"] for e in namespace_events(server.db, "exercise:v1")
                                            if e["type"] == "incident.created"), None), 30, "the call")

        async def assign_farthest_patrol() -> str:  # far: the drive takes several reports
            client = await DispatchClient.connect(server.url, tokens["alice"], namespace="exercise:v1")
            try:
                units = client.state["units"]
                unit_id = max((u for u in units if units[u]["kind"] == "patrol" and units[u]["status"] == "available"
                               and u != "U020"),
                              key=lambda u: metres((units[u]["lon"], units[u]["lat"]), (incident["lon"], incident["lat"])))
                reply = await client.command("unit.assign", unit_id=unit_id, incident_id=incident["incident_id"])
                assert reply["op"] == "ack", reply
                return unit_id
            finally:
                await client.close()
        unit_id = asyncio.run(assign_farthest_patrol())

        def status_event(status: str):
            return next((e for e in namespace_events(server.db, "exercise:v1") if e["type"] == "unit.status_changed"
                         and e["data"]["unit_id"] == unit_id and e["data"]["status"] == status), None)
        wait_until(lambda: status_event("onscene"), 30, "on scene")
        assert finished(onemap(*drill_command(server, token_file, "speed", "1000", "--name", "v1")))[0] == 0
        wait_until(lambda: status_event("available"), 30, "available after service")
    finally:
        runner.kill()
        runner.communicate()
    events = namespace_events(server.db, "exercise:v1")
    clock = DrillClock(events)
    at = {e["seq"]: clock.drill_at(epoch(e["ts"])) for e in events}
    enroute, onscene, available = (status_event(s) for s in ("enroute", "onscene", "available"))
    assert enroute["seq"] < onscene["seq"] < available["seq"]
    moves = [e for e in events if e["type"] == "unit.moved" and e["data"]["unit_id"] == unit_id
             and enroute["seq"] < e["seq"] < onscene["seq"]]
    assert len(moves) >= 2  # it drove there, report by report
    assert metres((moves[-1]["data"]["lon"], moves[-1]["data"]["lat"]), (incident["lon"], incident["lat"])) < 60
    service = service_time(sf_profile(), 1, incident["incident_id"], "Alarms")
    # Not before the service time is over in drill time; after it, within the feed's report ticks (a wall
    # second each: at speed 1000 after the speed change, a second is 1000 drill seconds).
    assert at[available["seq"]] - at[onscene["seq"]] >= service
    assert epoch(available["ts"]) - clock.wall_for(at[onscene["seq"]] + service) <= 3.0
    silenced = fired_rows(events)[1]["drill_s"]
    silent_moves = [at[e["seq"]] for e in events if e["type"] == "unit.moved" and e["data"]["unit_id"] == "U020"]
    assert silent_moves and not [t for t in silent_moves if silenced <= t < silenced + 60]
    assert any(t >= silenced + 60 for t in silent_moves)


def test_a_drill_with_load_creates_calls_at_about_the_datas_rate_and_scores_every_call(drill_server, tmp_path):
    server, _, token_file = drill_server
    msel = write_msel(tmp_path / "msel.csv", [
        inject(1, "+00:30:00", "call", {"kind": "fire", "priority": 1, "address": "Mannerheimintie 5"})])
    code, out, err = finished(onemap(*drill_command(server, token_file, "run", str(msel), "--name", "l1",
                                                    "--speed", "1000", "--hours", "2", "--load", "--load-seed", "7",
                                                    "--load-scale", "3")), timeout=120)
    assert code == 0, err
    events = namespace_events(server.db, "exercise:l1")
    generated = [e["data"] for e in events if e["type"] == "incident.created" and e["data"].get("note") == GENERATED_NOTE]
    profile = sf_profile()
    expected = 3 * (profile.hourly_rate[8] + profile.hourly_rate[9])  # --load-start-hour 8 by default
    assert abs(len(generated) - expected) <= 4 * math.sqrt(expected), (len(generated), expected)
    city = load_city("demo")
    planned = generate_calls(profile, start_hour=8, duration_s=7200, seed=7, street_point=street_sampler(city.streets),
                             rate_scale=3)
    assert [(g["kind"], g["priority"], g["lon"], g["lat"]) for g in generated] == [
        (c.kind, c.priority, c.lon, c.lat) for c in planned]
    records = [r for r in fired_records(events) if r["event_number"] is None]
    assert len(records) == len(planned) and all(r["drill_s"] >= c.drill_s for r, c in zip(records, planned))
    card = score(events)
    assert len(card.calls) == len(planned) + 1
