"""The database fails over (issue #13): the event log's PostgreSQL has a synchronous streaming standby; the
primary crashes (`pg_ctl stop -m immediate`) while a dispatcher sends, the standby is promoted, and the server,
given both hosts in one libpq URL, reconnects to the new primary by itself; or the one database crashes and
is started again. No acked event is lost, the seqs
stay gap-free, and the commands sent during the outage are answered once the log is back."""
from __future__ import annotations

import asyncio

from dispatch.client import DispatchClient
from support.postgres import PostgresCluster
from support.server import ServerProcess
from support.whole_log import whole_log

BEFORE, DURING, AFTER = 20, 10, 10


def test_a_promoted_standby_takes_over_and_loses_no_acked_event(tokens):
    with PostgresCluster() as primary:
        standby = primary.standby()
        try:
            database = primary.new_database().rsplit("/", 1)[1]
            url = (f"postgresql://onemap@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/{database}"
                   "?target_session_attrs=read-write")
            _no_acked_event_lost(*_through_a_failover(url, tokens, primary, standby))
        finally:
            standby.close()


def test_postgresql_stopped_hard_and_restarted_loses_no_acked_event(tokens):
    """The same with no standby: the one database crashes and comes back; the server recovers by itself."""
    with PostgresCluster() as database:
        _no_acked_event_lost(*_through_a_failover(database.new_database(), tokens, database, None))


def _through_a_failover(url: str, tokens, primary: PostgresCluster,
                        standby: PostgresCluster | None) -> tuple[list[dict], list[dict]]:
    """A server on `url` through the database's crash: the acks its dispatcher saw, and its log after."""
    users_file, users = tokens
    server = ServerProcess(url, users_file)
    server.start()
    try:
        acks = asyncio.run(_send_through_a_failover(server.url, users["alice"], primary, standby))
        assert server.proc.poll() is None, "the server stopped"
        return acks, whole_log(server.url, users["sam"])
    finally:
        server.kill()


def _no_acked_event_lost(acks: list[dict], events: list[dict]) -> None:
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), "a gap in the log"
    created = {e["data"]["incident_id"] for e in events if e["type"] == "incident.created"}
    acked = {ack["incident_id"] for ack in acks if ack["op"] == "ack"}
    assert len(acked) == BEFORE + DURING + AFTER, [a for a in acks if a["op"] != "ack"]
    assert acked == created, "an acked incident is not in the log after the crash"


async def _send_through_a_failover(url: str, token: str, primary: PostgresCluster,
                                   standby: PostgresCluster | None) -> list[dict]:
    """Commands before, during and after the primary's crash; then the standby promoted, or (None) the
    primary started again."""
    client = await DispatchClient.connect(url, token, subscribe=False)
    create = {"kind": "theft", "priority": 3, "lon": 24.94, "lat": 60.17}
    try:
        acks = [await client.command("incident.create", **create) for _ in range(BEFORE)]
        outage = [client.send_command("incident.create", create) for _ in range(DURING)]
        await asyncio.to_thread(primary.stop, "immediate")  # a crash, with commands on their way
        await asyncio.to_thread(primary.start if standby is None else standby.promote)
        acks += await asyncio.wait_for(asyncio.gather(*outage), 60)
        acks += [await client.command("incident.create", **create) for _ in range(AFTER)]
        return acks
    finally:
        await client.close()
