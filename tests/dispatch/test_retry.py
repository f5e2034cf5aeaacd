"""A command sent again after its connection fell (`"retry": true`) is applied once: the ledger answers a
retry of a stored command with the original's ack marked `duplicate`, whether this server stored it, another
server did (caught up), or a server before a restart did; a retry never stored is judged as new."""
from __future__ import annotations

import asyncio

import orjson

from dispatch.client import DispatchClient
from dispatch.history import rfc3339
from dispatch.ledger import RETRY_WINDOW_S, Ledger
from support.commands import CENTRE, START, initial
from support.server import ServerProcess

CREATE = {"kind": "theft", "priority": 2, "lon": 113.7, "lat": 23.0}


def ledger() -> Ledger:
    return Ledger("live", initial(), 0, "", centre=CENTRE)


def cmd(cmd_id: str, name: str = "incident.create", retry: bool = False, **args) -> dict:
    return {"op": "cmd", "id": cmd_id, "cmd": name, "args": args or CREATE, **({"retry": True} if retry else {})}


def commit(led: Ledger):
    group = led.take_group()
    published = led.committed(group)
    return group, published


def test_a_retry_of_a_stored_command_is_its_acks_duplicate_and_changes_nothing():
    led = ledger()
    led.judge("s1", "alice", "dispatcher", cmd("a-1"), None, rfc3339(START))
    group, published = commit(led)
    original = orjson.loads(published.replies["s1"][0])
    assert group.events[0]["cmd"] == "a-1"  # a person's command's events carry its id
    answer = led.judge("s2", "alice", "dispatcher", cmd("a-1", retry=True), None, rfc3339(START + 1))
    assert isinstance(answer, bytes)
    assert orjson.loads(answer) == {**original, "duplicate": True}
    assert len(led.committed_state["incidents"]) == 1 and led.seq == group.events[-1]["seq"]
    audit = led.take_group().audits
    assert [(a.cmd_id, a.result, a.code) for a in audit] == [("a-1", "ack", "duplicate")]


def test_a_retry_never_stored_is_judged_as_new_and_the_same_id_of_another_user_is_its_own():
    led = ledger()
    led.judge("s1", "alice", "dispatcher", cmd("x-1"), None, rfc3339(START))
    commit(led)
    for actor in ("alice", "bob"):
        answer = led.judge("s", actor, "dispatcher", cmd("x-2" if actor == "alice" else "x-1", retry=True), None,
                           rfc3339(START + 1))
        assert not isinstance(answer, bytes), answer
    commit(led)
    assert len(led.committed_state["incidents"]) == 3


def test_the_same_id_without_retry_is_a_new_command():
    """Only a client that says it retries is deduplicated: ids are the clients' own, and an old client that
    reuses them across runs must not see its new commands swallowed."""
    led = ledger()
    for second in range(2):
        led.judge("s1", "alice", "dispatcher", cmd("same"), None, rfc3339(START + second))
        commit(led)
    assert len(led.committed_state["incidents"]) == 2


def test_a_retry_while_its_first_try_waits_to_be_stored_is_a_conflict():
    led = ledger()
    led.judge("s1", "alice", "dispatcher", cmd("w-1"), None, rfc3339(START))
    group = led.take_group()  # in flight
    answer = orjson.loads(led.judge("s2", "alice", "dispatcher", cmd("w-1", retry=True), None, rfc3339(START)))
    assert answer["op"] == "nack" and answer["code"] == "conflict"
    led.committed(group)
    assert len(led.committed_state["incidents"]) == 1


def test_a_retry_of_what_another_server_stored_is_a_duplicate_even_when_it_was_judged_first():
    """Server A stored the command and fell before its ack; the console retries on server B. B may judge
    the retry before it reads A's events: then its append loses the race, it catches up, and the retry
    judged again is the duplicate, its events never stored."""
    a, b = ledger(), ledger()
    a.judge("sa", "alice", "dispatcher", cmd("r-1"), None, rfc3339(START))
    stored, _ = commit(a)
    b.judge("sb", "alice", "dispatcher", cmd("r-1", retry=True), None, rfc3339(START + 1))
    b.untake(b.take_group())  # its append met A's events first
    published = b.caught_up(stored.events, [e for e in (orjson.dumps(x) for x in stored.events)])
    reply = orjson.loads(published.replies["sb"][0])
    assert reply["duplicate"] is True and reply["incident_id"] == stored.events[0]["data"]["incident_id"]
    assert b.take_group().stored == []  # nothing of the retry is stored
    assert len(b.committed_state["incidents"]) == 1


def test_a_feeds_commands_carry_no_id_and_are_not_remembered():
    led = ledger()
    position = {"unit_id": "U0", "lon": 113.71, "lat": 23.0, "speed": 5.0}
    led.judge("f", "fred", "feed", cmd("p-1", "unit.position", **position), None, rfc3339(START))
    group, _ = commit(led)
    assert "cmd" not in group.events[0]
    again = led.judge("f", "fred", "feed", cmd("p-1", "unit.position", retry=True, **position), None, rfc3339(START))
    assert not isinstance(again, bytes)


def test_commands_older_than_the_window_are_forgotten():
    led = ledger()
    led.judge("s1", "alice", "dispatcher", cmd("old"), None, rfc3339(START))
    commit(led)
    led.judge("s1", "alice", "dispatcher", cmd("new"), None, rfc3339(START + RETRY_WINDOW_S + 1))
    commit(led)
    assert not isinstance(led.judge("s", "alice", "dispatcher", cmd("old", retry=True), None,
                                    rfc3339(START + RETRY_WINDOW_S + 2)), bytes)
    assert isinstance(led.judge("s", "alice", "dispatcher", cmd("new", retry=True), None,
                                rfc3339(START + RETRY_WINDOW_S + 2)), bytes)


def test_a_restarted_server_knows_the_commands_stored_before(server_on_each_store, tokens):
    """kill -9 after the command is stored; the restarted server answers its retry as a duplicate."""
    _, users = tokens

    async def first() -> dict:
        client = await DispatchClient.connect(server_on_each_store.url, users["alice"])
        try:
            return await asyncio.wait_for(client.send_command("incident.create", CREATE, cmd_id="console-r-1"), 10)
        finally:
            await client.close()

    async def retried() -> tuple[dict, dict]:
        client = await DispatchClient.connect(server_on_each_store.url, users["alice"])
        try:
            reply = await asyncio.wait_for(client.send_command("incident.create", CREATE, cmd_id="console-r-1",
                                                               retry=True), 10)
            return reply, client.state
        finally:
            await client.close()

    server_on_each_store.start()
    original = asyncio.run(first())
    assert original["op"] == "ack"
    server_on_each_store.kill()
    server_on_each_store.start()
    reply, state = asyncio.run(retried())
    assert reply == {**original, "duplicate": True}
    assert [i for i in state["incidents"]] == [original["incident_id"]]


def test_a_retry_on_the_other_server_of_one_log_is_a_duplicate(servers_of_one_log, tokens):
    users_file, users = tokens
    servers = servers_of_one_log(users_file)

    async def run() -> None:
        on_a = await DispatchClient.connect(servers[0].url, users["alice"])
        on_b = await DispatchClient.connect(servers[1].url, users["alice"])
        try:
            original = await on_a.command("incident.create", **CREATE)
            # the ack of A is taken as lost: the same id again, at once, on B
            reply = await asyncio.wait_for(on_b.send_command(
                "incident.create", CREATE, cmd_id=original["id"], retry=True), 10)
            assert reply == {**original, "duplicate": True}
            await on_b.wait_for_seq(original["seq"])
            assert list(on_b.state["incidents"]) == [original["incident_id"]]
        finally:
            await on_a.close()
            await on_b.close()

    asyncio.run(run())
