"""Drills end to end with real processes: `onemap drill run` against a real `onemap server`, read back from
the server's own SQLite log. Drill times are computed from the log's events (drills.clock), as scoring does."""
from __future__ import annotations

import asyncio
import csv
import json
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
from drills.msel import HEADINGS
from layers.citypack import load_city
from support.server import ROOT, ServerProcess, make_users

SPEED = 60


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


def write_msel(path: Path, rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADINGS)
        writer.writerows(rows)
    return path


def inject(number: int, at: str, command: str, args: dict, message: str = "") -> list:
    return [number, at, "Inject", "Sim", "Dispatcher", message, "", "", "", command, json.dumps(args)]


def namespace_events(db: Path, namespace: str) -> list[dict]:
    """The namespace's events as the server stored them (a read-only reader beside the running server)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        rows = connection.execute("SELECT frame FROM events WHERE ns = ? ORDER BY seq", (namespace,)).fetchall()
    return [orjson.loads(frame) for (frame,) in rows]


def live_frames(db: Path) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return connection.execute("SELECT seq, ts, actor, type, frame FROM events WHERE ns = 'live' ORDER BY seq").fetchall()


def onemap(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "console.cli", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def drill_command(server: ServerProcess, token_file: Path, *args: str) -> list[str]:
    return ["drill", *args, "--server", server.url, "--token-file", str(token_file)]


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout} s: {what}")


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
        # Rows 2-4 fall due 4.5-4.8 s of wall time after row 1 at speed 60; the pause lasts 5 s and holds them.
        deadline = paused_at + 5.0
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
    assert resumed_ts - paused_at >= 4.9


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
