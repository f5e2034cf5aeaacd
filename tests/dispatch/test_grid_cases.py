"""Grid cases (docs/state-machines.md, "Grid case"): every status x command x role through the server's own
ledger (dispatch.commands.decide, then the reducer), on the demo city's catalogue, calendar and grid; a grid
officer's cells; due times and on-time closing; privacy, keyframes; and a real server on loopback."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import itertools
import re
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest

from dispatch.city_state import centre_of, initial_state
from dispatch.client import DispatchClient
from dispatch.commands import Rejected
from dispatch.domain import ROLE_COMMANDS, ROLES
from dispatch.event_store import StoredEvent
from dispatch.grid_cases import (CASE_OUTCOMES, CASE_STATUSES, CASE_TRANSITIONS, VERIFY_FAILED, overdue)
from dispatch.history import History, epoch
from dispatch.keyframes import KeyframeWriter
from dispatch.ledger import Ledger
from dispatch.privacy import public_event, public_state
from dispatch.reducer import copy_state, fold
from dispatch.store import EventStore
from dispatch.users import Users, UsersError, add_user
from layers.citypack import load_city

DOCS = Path(__file__).resolve().parents[2] / "docs" / "state-machines.md"
# Near the demo city's centre: the cell and its areas are read from the pack.
PLACE = {"lon": 24.9442, "lat": 60.1719}
REPORT = {"category": "MANHOLE", **PLACE, "text": "manhole cover missing outside number 5",
          "photos": ["https://photos.example.org/gc/1.jpg"], "source": "hotline", "caller_name": "Wang Fang",
          "callback": "+358 40 123 4567"}
MONDAY_9 = "2026-12-07T07:00:00.000Z"  # Monday 7 December 2026, 09:00 in Helsinki
ARGS = {"case.register": {}, "case.reject": {"reason": "duplicate", "note": "same as GC1"}, "case.dispatch": {},
        "case.start": {"note": "crew on the way"}, "case.handle": {"note": "cover replaced",
                                                                   "photos": ["https://photos.example.org/gc/2.jpg"]},
        "case.return": {"reason": "a private yard: not a street"}, "case.verify": {"passed": True},
        "case.close": {}, "case.rate": {"rating": 4, "comment": "fixed within the morning"}}
# How each status is reached: (command, args) by a supervisor.
PATHS = {"reported": [], "registered": ["case.register"], "dispatched": ["case.register", "case.dispatch"],
         "in_progress": ["case.register", "case.dispatch", "case.start"],
         "handled": ["case.register", "case.dispatch", "case.start", "case.handle"],
         "verified": ["case.register", "case.dispatch", "case.start", "case.handle", "case.verify"],
         "closed": ["case.register", "case.dispatch", "case.start", "case.handle", "case.verify", "case.close"],
         "returned": ["case.register", "case.dispatch", "case.return"], "rejected": ["case.reject"]}
# Who acts: (role, namespace); a trainer acts only in exercises.
ACTORS = [(role, "live") for role in ROLES] + [("trainer", "exercise:gc")]


@pytest.fixture(scope="module")
def city():
    return load_city("demo")


class CaseDesk:
    """Commands judged and committed at once by a real Ledger on the demo centre; each names its sender."""

    def __init__(self, city, namespace: str = "live", cells: dict[str, frozenset[str]] | None = None,
                 start: str = MONDAY_9):
        self.ledger = Ledger(namespace, initial_state(city), 0, "", centre=centre_of(city), grid_at=city.grid_at,
                             cells_of=lambda actor: (cells or {}).get(actor, frozenset()))
        self.start = epoch(start)
        self.sent = 0
        self.frames: list[bytes] = []  # every accepted event as the server stores it

    @property
    def state(self):
        return self.ledger.committed_state

    def do(self, cmd: str, role: str = "supervisor", actor: str = "sam", at: float | None = None, **args) -> list[dict]:
        """`at`: the command's time in seconds after the desk's start (else a minute per command)."""
        self.sent += 1
        now = datetime.fromtimestamp(self.start + (self.sent * 60 if at is None else at), timezone.utc)
        msg = {"id": f"c{self.sent}", "cmd": cmd, "args": args}
        outcome = self.ledger.judge("desk", actor, role, msg, None, now.isoformat(timespec="milliseconds")
                                    .replace("+00:00", "Z"))
        self.ledger.committed(self.ledger.take_group())
        if isinstance(outcome, bytes):
            nack = orjson.loads(outcome)
            raise Rejected(nack["code"], nack["message"])
        self.frames.extend(outcome.frames)
        return outcome.events

    def report(self, at: float | None = None, **changes) -> str:
        return self.do("case.report", at=at, **{**REPORT, **changes})[0]["data"]["case_id"]

    def reach(self, status: str) -> str:
        case_id = self.report()
        for cmd in PATHS[status]:
            self.do(cmd, case_id=case_id, **ARGS[cmd])
        assert self.state["cases"][case_id]["status"] == status
        return case_id


def refusal(desk: CaseDesk, cmd: str, **kwargs) -> Rejected:
    with pytest.raises(Rejected) as caught:
        desk.do(cmd, **kwargs)
    return caught.value


@pytest.mark.parametrize("status,cmd,actor", list(itertools.product(CASE_STATUSES, CASE_TRANSITIONS, ACTORS)))
def test_every_status_command_and_role(city, status, cmd, actor):
    role, namespace = actor
    desk = CaseDesk(city, namespace, cells={"gina": frozenset({city.grid_at(**PLACE)})})
    case_id = desk.reach(status)
    before = desk.state["cases"][case_id]
    allowed = cmd in ROLE_COMMANDS[role] and not (role == "trainer" and namespace == "live")
    if not allowed:
        assert refusal(desk, cmd, role=role, actor="gina", case_id=case_id, **ARGS[cmd]).code == "forbidden"
    elif status not in CASE_TRANSITIONS[cmd]:
        refused = refusal(desk, cmd, role=role, actor="gina", case_id=case_id, **ARGS[cmd])
        assert refused.code == "invalid_transition"
        assert f"case {case_id} is {status.replace('_', ' ')}" in refused.message
    else:
        events = desk.do(cmd, role=role, actor="gina", case_id=case_id, **ARGS[cmd])
        case = desk.state["cases"][case_id]
        assert case["status"] == CASE_OUTCOMES[cmd] == events[-1]["data"]["status"]
        step = case["steps"][-1]
        assert (step["actor"], step["role"], step["ts"]) == ("gina", role, events[-1]["ts"])
        assert case["event_seqs"][-1] == events[-1]["seq"]
        return
    assert desk.state["cases"][case_id] is before, "a refused command changes nothing"


@pytest.mark.parametrize("role,namespace", ACTORS)
def test_who_may_report_a_case(city, role, namespace):
    desk = CaseDesk(city, namespace)
    if "case.report" not in ROLE_COMMANDS[role] or (role, namespace) == ("trainer", "live"):
        assert refusal(desk, "case.report", role=role, **REPORT).code == "forbidden"
        return
    if role == "grid":  # a grid officer reports as itself, with no source to give
        case_id = desk.do("case.report", role=role, actor="gina", **{**REPORT, "source": None})[0]["data"]["case_id"]
        assert desk.state["cases"][case_id]["source"] == "grid_officer"
    else:
        case_id = desk.report()
        assert desk.state["cases"][case_id]["source"] == "hotline"
    assert desk.state["cases"][case_id]["status"] == "reported"


def test_a_reported_case_and_its_record(city):
    desk = CaseDesk(city)
    events = desk.do("case.report", **REPORT)
    assert desk.do("case.report", **REPORT)[0]["data"]["case_id"] == "GC2"
    case = desk.state["cases"]["GC1"]
    grid_id = city.grid_at(**PLACE)
    assert (case["grid_id"], case["areas"]) == (grid_id, city.areas_of(grid_id))
    assert set(case["areas"]) == {"cell", "community", "town", "city"} and case["areas"]["city"] == "HEL"
    assert (case["category"], case["text"], case["photos"], case["caller_name"]) == (
        "MANHOLE", REPORT["text"], REPORT["photos"], "Wang Fang")
    assert (case["reported_by"], case["reported_ts"], case["due"], case["closed_at"]) == ("sam", events[0]["ts"], None, None)
    assert case["photos"] is not events[0]["data"]["photos"], "records never share a list with the event"


@pytest.mark.parametrize("changes,code,words", [
    ({"category": "UFO"}, "bad_request", "category 'UFO' is not in the catalogue; categories: ABANDONED_BIKE"),
    ({"category": None}, "bad_request", "category is missing"),
    ({"lon": 25.5}, "bad_request", "lies in no grid cell of the city"),
    ({"text": "  "}, "bad_request", "text is empty"),
    ({"source": None}, "bad_request", "source is missing: one of grid_officer, hotline"),
    ({"source": "pigeon"}, "bad_request", "'pigeon' is not one of"),
    ({"photos": "https://x.org/1.jpg"}, "bad_request", "photos must be a list of at most 9"),
    ({"photos": ["ftp://x.org/1.jpg"]}, "bad_request", "'ftp://x.org/1.jpg' is not an http or https URL"),
    ({"photos": [f"https://x.org/{n}.jpg" for n in range(10)]}, "bad_request", "at most 9"),
    ({"callback": "call me"}, "bad_request", "is not a phone number"),
    ({"colour": "red"}, "bad_request", "unknown field 'colour'"),
])
def test_bad_reports_are_refused_naming_the_field(city, changes, code, words):
    desk = CaseDesk(city)
    refused = refusal(desk, "case.report", **{**REPORT, **changes})
    assert (refused.code, words in refused.message) == (code, True), refused.message
    assert desk.state["cases"] == {}


def test_a_grid_officer_reports_only_as_a_grid_officer(city):
    refused = refusal(CaseDesk(city), "case.report", role="grid", actor="gina", **REPORT)
    assert (refused.code, refused.message) == ("forbidden", "case.report: a grid officer reports as grid_officer, "
                                                            "not hotline")


def test_a_grid_officer_verifies_in_its_own_cells_only(city):
    here = city.grid_at(**PLACE)
    elsewhere = sorted(set(city.grids["grid_id"]) - {here})[:2]
    desk = CaseDesk(city, cells={"gina": frozenset({here}), "gus": frozenset(elsewhere)})
    case_id = desk.reach("handled")
    refused = refusal(desk, "case.verify", role="grid", actor="gus", case_id=case_id, passed=True)
    assert refused.code == "forbidden"
    assert refused.message == (f"case.verify: case {case_id} is in cell {here}, not one of gus's cells "
                               f"({', '.join(elsewhere)})")
    assert desk.state["cases"][case_id]["status"] == "handled"
    assert refusal(desk, "case.verify", role="grid", actor="nobody", case_id=case_id,
                   passed=True).message.endswith("(none in the users file)")
    desk.do("case.verify", role="grid", actor="gina", case_id=case_id, passed=True)
    assert desk.state["cases"][case_id]["status"] == "verified"


def test_a_failed_verification_sends_the_case_back_to_work_and_says_why(city):
    desk = CaseDesk(city)
    case_id = desk.reach("handled")
    assert "note is missing" in refusal(desk, "case.verify", case_id=case_id, passed=False).message
    desk.do("case.verify", case_id=case_id, passed=False, note="the new cover rocks", photos=["https://p.org/3.jpg"])
    case = desk.state["cases"][case_id]
    assert case["status"] == VERIFY_FAILED == "in_progress"
    assert (case["steps"][-1]["passed"], case["steps"][-1]["note"]) == (False, "the new cover rocks")
    desk.do("case.handle", case_id=case_id, note="cover seated again")
    desk.do("case.verify", case_id=case_id, passed=True)
    desk.do("case.close", case_id=case_id)
    assert [s["step"] for s in desk.state["cases"][case_id]["steps"]] == [
        "reported", "registered", "dispatched", "started", "handled", "verified", "handled", "verified", "closed"]


def test_a_returned_case_goes_to_another_department_or_is_rejected(city):
    desk = CaseDesk(city)
    case_id = desk.reach("returned")
    case = desk.state["cases"][case_id]
    assert (case["department"], case["return_reason"]) == ("WATER", "a private yard: not a street")
    refused = refusal(desk, "case.dispatch", case_id=case_id, department="POLICE")
    assert (refused.code, "'POLICE' is not a department; departments: ENFORCEMENT" in refused.message) == (
        "bad_request", True)
    desk.do("case.dispatch", case_id=case_id, department="ROADS")
    assert desk.state["cases"][case_id]["department"] == "ROADS"
    other = desk.reach("returned")
    desk.do("case.reject", case_id=other, reason="out_of_scope")
    assert desk.state["cases"][other]["reject_reason"] == "out_of_scope"
    assert refusal(desk, "case.reject", case_id=other, reason="bored").code == "bad_request"


def test_the_centre_may_register_under_another_category(city):
    desk = CaseDesk(city)
    case_id = desk.report()
    desk.do("case.register", case_id=case_id, category="BLOCKED_DRAIN")
    case = desk.state["cases"][case_id]
    assert (case["category"], case["limit"]) == ("BLOCKED_DRAIN", {"amount": 1.0, "unit": "working_days"})
    desk.do("case.dispatch", case_id=case_id)
    assert desk.state["cases"][case_id]["department"] == "WATER"


def test_a_closed_case_is_rated_once(city):
    desk = CaseDesk(city)
    case_id = desk.reach("closed")
    assert "rating 6 is outside [1, 5]" in refusal(desk, "case.rate", case_id=case_id, rating=6).message
    desk.do("case.rate", case_id=case_id, rating=5, comment="very quick")
    case = desk.state["cases"][case_id]
    assert (case["status"], case["rating"], case["rating_comment"]) == ("closed", 5, "very quick")
    again = refusal(desk, "case.rate", case_id=case_id, rating=1)
    assert (again.code, again.message) == ("conflict", f"case.rate: case {case_id} was already rated 5")
    assert refusal(desk, "case.rate", case_id="GC99", rating=1).code == "not_found"


@pytest.mark.parametrize("registered_at,category,due", [
    # Friday 11 December 15:00 + 4 working hours (08:00-16:00): 1 h on Friday, 3 h on Monday.
    ("2026-12-11T13:00:00.000Z", "MANHOLE", "2026-12-14T09:00:00.000Z"),
    # Wednesday 23 December 14:00 + 2 working days: Christmas Eve to Sunday off, so Monday and Tuesday.
    ("2026-12-23T12:00:00.000Z", "STREETLIGHT", "2026-12-29T12:00:00.000Z"),
])
def test_due_times_run_on_the_centre_s_work_calendar(city, registered_at, category, due):
    desk = CaseDesk(city, start=registered_at)
    case_id = desk.report(at=0, category=category)
    desk.do("case.register", case_id=case_id, at=0)
    assert desk.state["cases"][case_id]["due"] == due


def test_closing_by_the_due_time_is_on_time_and_open_cases_past_it_are_overdue(city):
    desk = CaseDesk(city)  # Monday 09:00; MANHOLE: 4 working hours, due 13:00 local
    early, late, still_open = (desk.report(at=0) for _ in range(3))
    for case_id in (early, late, still_open):
        desk.do("case.register", case_id=case_id, at=0)
    due = desk.state["cases"][early]["due"]
    assert due == "2026-12-07T11:00:00.000Z"
    for case_id, closing in ((early, 3 * 3600), (late, 5 * 3600)):
        for cmd in PATHS["closed"][1:]:
            desk.do(cmd, case_id=case_id, at=closing, **ARGS[cmd])
    cases = desk.state["cases"]
    assert (cases[early]["on_time"], cases[early]["closed_at"]) == (True, "2026-12-07T10:00:00.000Z")
    assert (cases[late]["on_time"], cases[late]["closed_at"]) == (False, "2026-12-07T12:00:00.000Z")
    past_due = datetime(2026, 12, 7, 11, 0, 1, tzinfo=timezone.utc)
    assert overdue(cases[still_open], past_due) and not overdue(cases[still_open], datetime.fromisoformat(
        "2026-12-07T11:00:00+00:00"))
    assert not overdue(cases[late], past_due), "a closed case is late, not overdue"
    assert not overdue({**cases[still_open], "status": "reported", "due": None}, past_due)
    with pytest.raises(ValueError):
        overdue(cases[still_open], datetime(2026, 12, 8))


def test_history_namespaces_stay_read_only_and_exercises_work(city):
    assert "read-only" in refusal(CaseDesk(city, "history:sf"), "case.report", **REPORT).message
    exercise = CaseDesk(city, "exercise:gc")
    case_id = exercise.do("case.report", role="trainer", actor="tina", **REPORT)[0]["data"]["case_id"]
    assert exercise.state["cases"][case_id]["status"] == "reported"


def test_citizens_names_and_numbers_reach_only_the_roles_that_see_personal_data(city):
    desk = CaseDesk(city)
    events = desk.do("case.report", **REPORT)
    public = public_state(desk.state)["cases"]["GC1"]
    assert "caller_name" not in public and "callback" not in public and public["text"] == REPORT["text"]
    assert desk.state["cases"]["GC1"]["caller_name"] == "Wang Fang", "the state itself keeps them"
    assert "caller_name" not in public_event(events[0])["data"]


def test_a_keyframe_round_trips_cases(city, tmp_path):
    desk = CaseDesk(city)
    for status in CASE_STATUSES:
        desk.reach(status)
    desk.do("case.rate", case_id="GC7", rating=3)
    events = [orjson.loads(frame) for frame in desk.frames]
    store = EventStore(tmp_path / "events.db")
    writer = KeyframeWriter(store, "live", copy_state(initial_state(city)), 0, None, None, every=10)
    writer.write()
    store.append([StoredEvent("live", e["seq"], e["ts"], e["actor"], e["type"], orjson.dumps(e)) for e in events])
    writer.add(events)
    keyframes = store.keyframe_seqs("live")
    assert len(keyframes) > 3
    history = History(store, "live")
    for seq in keyframes:
        expected = fold(copy_state(initial_state(city)), events[:seq])
        assert history.state_at(seq)["cases"] == orjson.loads(orjson.dumps(expected["cases"])), seq
    assert history.state_at(len(events))["cases"] == orjson.loads(orjson.dumps(desk.state["cases"]))


def test_the_documented_table_is_the_code_s():
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Grid case"):]
    rows = [line for line in section.split("\n## ")[0].splitlines() if line.startswith("| ")]
    header = [cell.strip(" `") for cell in rows[0].strip("|").split("|")]
    commands = header[1:]
    assert set(commands) == set(CASE_TRANSITIONS)
    seen = set()
    for row in rows[1:]:  # the |---| line is not among them
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        status = cells[0]
        seen.add(status)
        for cmd, cell in zip(commands, cells[1:]):
            if status in CASE_TRANSITIONS[cmd]:
                outcomes = {"in_progress" if cmd == "case.verify" else CASE_OUTCOMES[cmd], CASE_OUTCOMES[cmd]}
                assert all(o in re.sub(r"[^a-z_ ]", " ", cell).split() for o in outcomes), (status, cmd, cell)
            else:
                assert "`invalid_transition`" in cell, (status, cmd, cell)
    assert seen == set(CASE_STATUSES)


def test_the_users_file_gives_grid_officers_their_cells(tmp_path):
    users_file = tmp_path / "users.json"
    add_user(users_file, "gina", "grid", cells=["G001", "G002"])
    add_user(users_file, "alice", "dispatcher")
    users = Users.load(users_file)
    assert users.cells_of("gina") == {"G001", "G002"} and users.cells_of("alice") == frozenset()
    with pytest.raises(UsersError, match="only a grid officer"):
        add_user(users_file, "bob", "dispatcher", cells=["G001"])
    with pytest.raises(UsersError, match="cells must be a list of grid ids"):
        add_user(users_file, "gus", "grid", cells=[""])


def test_a_case_through_a_real_server_survives_a_kill(fresh_server, tokens):
    """A citizen's case from report to rating over the wire, each ack after its events; a viewer's copy without
    the caller; after kill -9 and a restart the server's snapshot holds the same case."""
    _, token = tokens
    fresh_server.start()

    async def run():
        alice = await DispatchClient.connect(fresh_server.url, token["alice"], keep_state=True)
        sam = await DispatchClient.connect(fresh_server.url, token["sam"], keep_state=True)
        vic = await DispatchClient.connect(fresh_server.url, token["vic"], keep_state=True)
        ack = await alice.command("case.report", **REPORT)
        assert ack["op"] == "ack" and ack["case_id"] == "GC1", ack
        case_id = ack["case_id"]
        for cmd in PATHS["closed"]:
            client = sam if cmd == "case.verify" else alice
            reply = await client.command(cmd, case_id=case_id, **ARGS[cmd])
            assert reply["op"] == "ack", (cmd, reply)
        refused = await alice.command("case.verify", case_id=case_id, passed=True)
        assert (refused["op"], refused["code"]) == ("nack", "forbidden"), "a dispatcher does not verify on site"
        rated = await alice.command("case.rate", case_id=case_id, rating=4)
        for client in (alice, sam, vic):
            await client.wait_for_seq(rated["seq"])
        case = alice.state["cases"][case_id]
        assert (case["status"], case["rating"], case["department"]) == ("closed", 4, "WATER")
        assert case["on_time"] is (epoch(case["closed_at"]) <= epoch(case["due"]))
        assert [s["actor"] for s in case["steps"]] == ["alice"] * 5 + ["sam", "alice", "alice"]
        assert "caller_name" not in vic.state["cases"][case_id] and vic.state["cases"][case_id]["status"] == "closed"
        for client in (alice, sam, vic):
            await client.close()
        return case

    case = asyncio.run(run())
    fresh_server.kill()
    fresh_server.start()

    async def again():
        alice = await DispatchClient.connect(fresh_server.url, token["alice"], keep_state=True)
        assert alice.state["cases"][case["case_id"]] == case
        await alice.close()

    asyncio.run(again())


def test_grid_officers_connect_report_and_verify_in_their_own_cells_on_a_real_server(tmp_path, city):
    """Through `onemap users add --cells` and a real server: the officer whose cell holds the case verifies it;
    one with other cells is refused, naming its cells."""
    from support.server import ServerProcess

    users_file = tmp_path / "users.json"
    cell = city.grid_at(PLACE["lon"], PLACE["lat"])
    other = next(g for g in sorted(city.grids["grid_id"]) if g != cell)
    tokens = {}
    for name, role, cells in (("gina", "grid", cell), ("gus", "grid", other), ("alice", "dispatcher", None)):
        done = subprocess.run([sys.executable, "-m", "console.cli", "users", "add", name, "--role", role,
                               "--users", str(users_file), *(["--cells", cells] if cells else [])],
                              capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[2])
        tokens[name] = done.stdout.strip().splitlines()[-1]
    server = ServerProcess(tmp_path / "events.db", users_file)
    server.start()

    async def run():
        gina, gus, alice = [await DispatchClient.connect(server.url, tokens[name]) for name in ("gina", "gus", "alice")]
        reported = await gina.command("case.report", **{k: v for k, v in REPORT.items()
                                                        if k not in ("source", "caller_name", "callback")})
        assert reported["op"] == "ack", reported
        case_id = reported["case_id"]
        for cmd in PATHS["handled"]:
            assert (await alice.command(cmd, case_id=case_id, **ARGS[cmd]))["op"] == "ack", cmd
        refused = await gus.command("case.verify", case_id=case_id, passed=True)
        assert (refused["op"], refused["code"]) == ("nack", "forbidden") and other in refused["message"], refused
        verified = await gina.command("case.verify", case_id=case_id, passed=True)
        assert verified["op"] == "ack", verified
        await alice.wait_for_seq(verified["seq"])
        case = alice.state["cases"][case_id]
        assert case["status"] == "verified" and [s["actor"] for s in case["steps"]][0] == "gina"
        assert case["steps"][-1]["actor"] == "gina"
        for client in (gina, gus, alice):
            await client.close()

    try:
        asyncio.run(run())
    finally:
        server.kill()
