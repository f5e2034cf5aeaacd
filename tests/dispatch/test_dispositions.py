"""Closing an incident needs a disposition code from the city pack; a free-text note may come beside it."""
from __future__ import annotations

import asyncio
import json
import shutil
from datetime import timezone

import pytest

from dispatch.client import DispatchClient
from dispatch.commands import Centre, Context, Rejected, decide
from dispatch.reducer import apply, empty_state
from support.server import ROOT, ServerProcess

PACK_CODES = [
    {"code": "REPORT", "label": "Report taken", "label_zh": "已立案"},
    {"code": "HANDED_TO_COAST_GUARD", "label": "Handed to the coast guard", "label_zh": "已移交海警"},
]


@pytest.fixture(scope="module")
def harbour_server(tmp_path_factory, tokens):
    """A server on a copy of the demo pack whose city.json names its own two disposition codes."""
    pack = tmp_path_factory.mktemp("pack") / "harbour"
    shutil.copytree(ROOT / "resources" / "cities" / "demo", pack)
    meta = json.loads((pack / "city.json").read_text(encoding="utf-8"))
    meta["name"], meta["dispositions"] = "harbour", PACK_CODES
    (pack / "city.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    process = ServerProcess(tmp_path_factory.mktemp("db") / "events.db", tokens[0], city=str(pack))
    process.start()
    yield process
    process.kill()


async def _open_incident(client: DispatchClient) -> tuple[str, str]:
    """A new incident with one unit assigned; (incident id, unit id)."""
    created = await client.command("incident.create", kind="fire", priority=1, lon=24.94, lat=60.17)
    incident_id = created["incident_id"]
    unit_id = next(u for u, unit in sorted(client.state["units"].items()) if unit["status"] == "available")
    assert (await client.command("unit.assign", unit_id=unit_id, incident_id=incident_id))["op"] == "ack"
    return incident_id, unit_id


def test_a_close_without_a_pack_code_is_refused_naming_the_codes_and_the_incident_stays_open(harbour_server, tokens):
    async def run():
        alice = await DispatchClient.connect(harbour_server.url, tokens[1]["alice"])
        incident_id, unit_id = await _open_incident(alice)
        refused = [
            ({}, "disposition is missing"),
            ({"disposition": ""}, "disposition is empty"),
            ({"disposition": "   "}, "disposition is empty"),
            ({"disposition": "report"}, "'report' is not a disposition code"),
            ({"disposition": "FIRE_OUT"}, "'FIRE_OUT' is not a disposition code"),  # a default, not this pack's
            ({"disposition": 7}, "disposition must be a string"),
            ({"disposition": "REPORT", "disposition_note": "x" * 1001}, "longer than 1000 characters"),
        ]
        for args, words in refused:
            reply = await alice.command("incident.close", incident_id=incident_id, **args)
            assert (reply["op"], reply["code"]) == ("nack", "bad_request"), (args, reply)
            assert words in reply["message"], reply
            if "code" in words:
                assert "use one of HANDED_TO_COAST_GUARD, REPORT" in reply["message"]
        await alice.close()
        # What the server stored: a fresh snapshot still has the incident open and its unit on it.
        late = await DispatchClient.connect(harbour_server.url, tokens[1]["sam"], subscribe=False)
        assert late.state["incidents"][incident_id]["status"] == "dispatched"
        assert late.state["units"][unit_id]["incident_id"] == incident_id
        await late.close()
    asyncio.run(run())


def test_a_close_with_a_pack_code_records_code_and_note_in_the_log_and_the_state(harbour_server, tokens):
    async def run():
        alice = await DispatchClient.connect(harbour_server.url, tokens[1]["alice"])
        incident_id, unit_id = await _open_incident(alice)
        reply = await alice.command("incident.close", incident_id=incident_id, disposition="HANDED_TO_COAST_GUARD",
                                    disposition_note="  boat towed to Katajanokka  ")
        assert reply["op"] == "ack", reply
        await alice.close()
        # The log as stored: a client resuming from the start reads the event frames from the store.
        events = []
        reader = await DispatchClient.connect(harbour_server.url, tokens[1]["sam"], resume_from=0,
                                              keep_state=False, on_event=events.append)
        await reader.wait_for_seq(reply["seq"])
        closed = [e for e in events if e["type"] == "incident.closed" and e["data"]["incident_id"] == incident_id]
        assert [e["data"] for e in closed] == [{"incident_id": incident_id, "disposition": "HANDED_TO_COAST_GUARD",
                                               "disposition_note": "boat towed to Katajanokka"}]
        assert closed[0]["actor"] == "alice"
        await reader.close()
        late = await DispatchClient.connect(harbour_server.url, tokens[1]["sam"], subscribe=False)
        incident = late.state["incidents"][incident_id]
        assert (incident["status"], incident["disposition"], incident["disposition_note"]) == (
            "closed", "HANDED_TO_COAST_GUARD", "boat towed to Katajanokka")
        assert late.state["units"][unit_id]["status"] == "available"
        await late.close()
    asyncio.run(run())


def test_the_rule_takes_its_codes_from_the_context_and_a_note_is_optional():
    state = empty_state()
    state["incidents"]["I1"] = {"incident_id": "I1", "kind": "theft", "status": "new", "units": []}
    ctx = Context("dispatcher", "live", lambda lon, lat: None, "2026-12-02T06:00:00.000Z", Centre("T", timezone.utc),
                  frozenset({"SOLVED"}))
    with pytest.raises(Rejected) as refused:
        decide(state, "incident.close", {"incident_id": "I1", "disposition": "REPORT"}, ctx)
    assert refused.value.code == "bad_request" and refused.value.message.endswith("use one of SOLVED")
    [(event_type, data)] = decide(state, "incident.close", {"incident_id": "I1", "disposition": "SOLVED"}, ctx)
    assert (event_type, data) == ("incident.closed", {"incident_id": "I1", "disposition": "SOLVED",
                                                      "disposition_note": None})
    apply(state, {"seq": 2, "ts": "t2", "actor": "a", "type": event_type, "data": data})
    assert state["incidents"]["I1"]["disposition_note"] is None


def test_an_incident_closed_before_notes_existed_still_folds():
    state = empty_state()
    state["incidents"]["I1"] = {"incident_id": "I1", "kind": "theft", "status": "new", "units": []}
    apply(state, {"seq": 2, "ts": "t2", "actor": "a", "type": "incident.closed",
                  "data": {"incident_id": "I1", "disposition": "arrested"}})
    assert state["incidents"]["I1"]["disposition"] == "arrested"
    assert state["incidents"]["I1"]["disposition_note"] is None
