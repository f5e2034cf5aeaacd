"""Watchlists (布控), plate reads and hits (docs/anpr.md): kept by supervisors, read by feeds, handled by
dispatchers; and nobody else receives any of it, not a byte (the raw frames of a real server)."""
from __future__ import annotations

import asyncio
import json

import orjson
import pytest

from dispatch.city_state import initial_state
from dispatch.client import DispatchClient
from dispatch.commands import Rejected
from dispatch.nearby import Nearby
from dispatch.privacy import public_event, public_state
from dispatch.reducer import copy_state
from layers.citypack import load_city
from support.desk import Desk
from support.wire import hello

READ = {"checkpoint_id": "B02", "confidence": 91.5, "direction": "north", "ts": "2026-12-02T06:00:00Z",
        "image_url": "http://agent.example.org:8355/img/4f1.jpg"}
STOLEN = {"pattern": "粤S·12345", "category": "stolen", "reason": "stolen 2026-11-30, case 4412"}
WANTED = {"pattern": "粤B1234*", "category": "wanted", "reason": "armed robbery suspect, fled in this car"}


@pytest.fixture(scope="module")
def city_state():
    return initial_state(load_city("demo"))


def desk(city_state, role: str, namespace: str = "live") -> Desk:
    return Desk(copy_state(city_state), role, namespace, grid_at=lambda lon, lat: "G7",
                nearby=Nearby.of_city(load_city("demo")))


def as_(desk: Desk, role: str, cmd: str, **args) -> list[dict]:
    desk.role = role
    return desk.do(cmd, **args)


def refused(desk: Desk, role: str, cmd: str, **args) -> Rejected:
    with pytest.raises(Rejected) as caught:
        as_(desk, role, cmd, **args)
    return caught.value


def test_only_supervisors_keep_the_watchlist_and_a_bad_entry_is_refused(city_state):
    d = desk(city_state, "supervisor")
    [added] = as_(d, "supervisor", "watchlist.add", **STOLEN)
    assert (added["type"], added["data"]["entry_id"], added["data"]["pattern"]) == ("watchlist.added", "W1", "粤S12345")
    assert d.state["watchlist"]["W1"]["added_by"] == "a"
    for role in ("dispatcher", "viewer", "feed"):
        assert refused(d, role, "watchlist.add", **WANTED).code == "forbidden"
    for bad, words in [({**STOLEN, "category": "nice"}, "category"), ({**STOLEN, "pattern": "*******"}, "wildcards"),
                       ({**STOLEN, "valid_from": "2026-12-02T00:00:00Z", "valid_until": "2026-12-01T00:00:00Z"},
                        "not after"), ({**STOLEN, "reason": " "}, "reason")]:
        rejection = refused(d, "supervisor", "watchlist.add", **bad)
        assert rejection.code == "bad_request" and words in rejection.message, rejection.message
    assert refused(d, "dispatcher", "watchlist.remove", entry_id="W1", reason="found").code == "forbidden"
    as_(d, "supervisor", "watchlist.remove", entry_id="W1", reason="the car was found")
    assert d.state["watchlist"] == {}
    assert refused(d, "supervisor", "watchlist.remove", entry_id="W1", reason="again").code == "not_found"


@pytest.mark.parametrize("plate, entry_id, match, positions", [
    ("粤S12345", "W1", "exact", []),
    ("粤s 12345", "W1", "exact", []),  # lower case and a space, as read
    ("粤S1Z345", "W1", "lookalike", [3]),  # a 2 read as Z
    ("粤B12349", "W2", "wildcard", []),
    ("粤B1Z34D", "W2", "wildcard", [3]),
])
def test_a_read_on_the_watchlist_is_a_hit_saying_which_entry_and_how(city_state, plate, entry_id, match, positions):
    d = desk(city_state, "supervisor")
    as_(d, "supervisor", "watchlist.add", **STOLEN)
    as_(d, "supervisor", "watchlist.add", **WANTED)
    read, hit = as_(d, "feed", "plate.read", plate=plate, **READ)
    assert read["type"] == "plate.read" and read["data"]["checkpoint_id"] == "B02"
    assert hit["type"] == "plate.hit"
    data = hit["data"]
    assert (data["hit_id"], data["entry_id"], data["match"], data["positions"]) == ("H1", entry_id, match, positions)
    checkpoint = d.state["checkpoints"]["B02"]
    assert (data["lon"], data["lat"]) == (checkpoint["lon"], checkpoint["lat"])
    assert len(data["unit_ids"]) == 3 and all(d.state["units"][u]["status"] == "available" for u in data["unit_ids"])
    assert data["camera_ids"] == Nearby.of_city(load_city("demo")).cameras(checkpoint["lon"], checkpoint["lat"],
                                                                           500.0)[:4]  # none observed offline
    assert len(data["camera_ids"]) == 4
    assert d.state["hits"]["H1"]["status"] == "open"


def test_a_read_matching_nothing_or_an_entry_out_of_its_time_makes_no_hit_and_a_later_read_a_new_one(city_state):
    d = desk(city_state, "supervisor")
    as_(d, "supervisor", "watchlist.add", **STOLEN, valid_until="2026-12-02T05:00:00Z")
    as_(d, "supervisor", "watchlist.add", **WANTED)
    assert [e["type"] for e in as_(d, "feed", "plate.read", plate="粤S12345", **READ)] == ["plate.read"]  # expired
    assert [e["type"] for e in as_(d, "feed", "plate.read", plate="京A00001", **READ)] == ["plate.read"]
    for _ in range(2):
        as_(d, "feed", "plate.read", plate="粤B12340", **READ)
    assert sorted(d.state["hits"]) == ["H1", "H2"]


def test_a_hit_is_accepted_with_an_intercept_incident_or_rejected_with_a_reason_once(city_state):
    d = desk(city_state, "supervisor")
    as_(d, "supervisor", "watchlist.add", **WANTED)
    for _ in range(2):
        as_(d, "feed", "plate.read", plate="粤B12340", **READ)
    created, accepted = as_(d, "dispatcher", "hit.accept", hit_id="H1", intercept=True)
    incident = created["data"]
    assert (incident["kind"], incident["priority"], incident["source"]) == ("intercept", 1, "anpr")
    assert "粤B" not in incident["note"] and "robbery" not in incident["note"]  # everyone sees incidents
    assert d.state["hits"]["H1"]["incident_id"] == incident["incident_id"]
    assert refused(d, "dispatcher", "hit.reject", hit_id="H1", reason="misread").code == "conflict"
    assert refused(d, "dispatcher", "hit.reject", hit_id="H2", reason="bored").code == "bad_request"
    as_(d, "dispatcher", "hit.reject", hit_id="H2", reason="not_the_vehicle", note="a grey van, not a car")
    hit = d.state["hits"]["H2"]
    assert (hit["status"], hit["reject_reason"], hit["note"]) == ("rejected", "not_the_vehicle", "a grey van, not a car")
    for role in ("viewer", "feed"):
        assert refused(d, role, "hit.accept", hit_id="H2").code == "forbidden"


def test_bad_reads_are_refused_naming_the_field(city_state):
    d = desk(city_state, "feed")
    for changes, words in [({"checkpoint_id": "B99"}, "B99"), ({"confidence": 101}, "confidence"),
                           ({"image_url": "file:///etc/passwd"}, "image_url"), ({"ts": "yesterday"}, "ts")]:
        rejection = refused(d, "feed", "plate.read", **{**READ, "plate": "粤S12345", **changes})
        assert words in rejection.message, rejection.message
    assert refused(d, "feed", "plate.read", **{**READ, "plate": " "}).code == "bad_request"


def test_plates_and_watchlists_never_enter_an_exercise(city_state):
    d = desk(city_state, "trainer", "exercise:x")
    assert refused(d, "trainer", "watchlist.add", **STOLEN).code == "forbidden"
    assert refused(d, "feed", "plate.read", plate="粤S12345", **READ).code == "forbidden"


def test_the_public_copy_withholds_every_anpr_event_and_the_state_has_none_of_it(city_state):
    d = desk(city_state, "supervisor")
    events = as_(d, "supervisor", "watchlist.add", **WANTED) + as_(d, "feed", "plate.read", plate="粤B12340", **READ)
    for event in events:
        public = public_event(event)
        assert public == {"op": "event", "seq": event["seq"], "ts": event["ts"], "type": "withheld", "data": {}}
    public = orjson.dumps(public_state(d.state)).decode()
    assert "粤B" not in public and "watchlist" not in public and "H1" not in public


def test_a_viewer_and_a_feed_connected_all_along_receive_no_byte_of_a_watchlist_read_or_hit(server, tokens):
    _, token = tokens
    secrets = ["粤B1234", "粤B·1234", "robbery", "plate.hit", "watchlist", "H1", "W1", "4f1.jpg"]

    async def scenario():
        viewer, welcome = await hello(server.url, token["vic"], subscribe=True)
        bystander, _ = await hello(server.url, token["fred"], subscribe=True)  # a feed that did not send them
        dispatcher = await DispatchClient.connect(server.url, token["alice"])
        supervisor = await DispatchClient.connect(server.url, token["sam"])
        await supervisor.command("watchlist.add", **WANTED)
        reader = await DispatchClient.connect(server.url, token["fred"], subscribe=False)
        ack = await reader.command("plate.read", plate="粤B12340", **READ)
        await dispatcher.wait_for_seq(ack["seq"])
        [hit] = dispatcher.state["hits"].values()
        assert hit["entry_id"] == "W1" and hit["display"] == "粤B·12340"
        await supervisor.command("bookmark.add", at="2026-12-02T06:00:00Z", note="after the hit")
        frames = {"viewer": [json.dumps(welcome, ensure_ascii=False)], "feed": []}
        for name, ws in (("viewer", viewer), ("feed", bystander)):
            while True:
                raw = await asyncio.wait_for(ws.recv(), 10)
                frames[name].append(raw if isinstance(raw, str) else raw.decode())
                if '"bookmark.added"' in frames[name][-1]:
                    break
        for name, received in frames.items():
            text = "".join(received)
            assert not [s for s in secrets if s in text], (name, [s for s in secrets if s in text])
            withheld = [orjson.loads(f) for f in received if '"withheld"' in f]
            assert len(withheld) == 3 and all(e["data"] == {} for e in withheld), name  # the entry, read, hit
        for client in (dispatcher, supervisor, reader):
            await client.close()
        await viewer.close()
        await bystander.close()

    asyncio.run(scenario())


def test_the_servers_matcher_follows_each_entry_as_it_comes_and_is_built_at_load(city_state, monkeypatch):
    """The ledger's index takes each watchlist event as it is judged, without walking the list; a ledger
    loaded on a state with a watchlist has its index built before the first read."""
    from dispatch.ledger import WatchlistIndex, watchlist_seq

    d = desk(city_state, "supervisor")
    for n in range(30):
        as_(d, "supervisor", "watchlist.add", **{**STOLEN, "pattern": f"粤S·1{n:04d}"})
    as_(d, "supervisor", "watchlist.remove", entry_id="W7", reason="the car was found")
    index = d.ledger.watchlist
    assert index.seq == watchlist_seq(d.ledger.decision_state) and len(index.records) == 29
    walks = []
    monkeypatch.setattr(WatchlistIndex, "_add", lambda self, *a: walks.append(a) or None)  # no walk from here on
    [read, hit] = as_(d, "feed", "plate.read", plate="粤S10003", **READ)
    assert hit["data"]["entry_id"] == "W4" and walks == []
    [read] = as_(d, "feed", "plate.read", plate="粤S10006", **READ)  # W7 (粤S10006) was removed
    monkeypatch.undo()

    loaded = desk(copy_state(d.state), "feed")
    assert loaded.ledger.watchlist.seq == watchlist_seq(d.state) and len(loaded.ledger.watchlist.records) == 29
