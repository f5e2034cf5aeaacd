"""Event time never goes back within a namespace, whatever the server's clock does (a real server on
loopback, in this process, so the test can step its clock)."""
from __future__ import annotations

import asyncio
import functools
from datetime import timezone

from dispatch import server as server_module
from dispatch.client import DispatchClient
from dispatch.commands import Centre
from dispatch.history import rfc3339
from dispatch.reducer import empty_state
from dispatch.server import DispatchServer
from dispatch.store import EventStore

START = 1_796_256_000.0  # 2026-12-03T00:00:00Z


def _state():
    state = empty_state()
    state["units"]["U1"] = {"unit_id": "U1", "callsign": "U1", "status": "available", "incident_id": None,
                            "lon": 113.7, "lat": 23.0}
    return state


async def _moves(db, users_file, token: str, clock: list[float], times: list[float]) -> None:
    server = DispatchServer(functools.partial(EventStore, db), users_file, _state(), centre=Centre("T", timezone.utc))
    host, port = await server.start(port=0)
    client = await DispatchClient.connect(f"ws://{host}:{port}/ws", token)
    for step, now in enumerate(times):
        clock[0] = now
        await client.command("unit.position", unit_id="U1", lon=113.7 + step * 1e-4, lat=23.0)
    await client.close()
    await server.stop()


def test_stored_event_times_never_decrease_when_the_clock_steps_back(tmp_path, tokens, monkeypatch):
    users_file, token = tokens
    clock = [START]
    monkeypatch.setattr(server_module, "wall_clock", lambda: clock[0])
    db = tmp_path / "events.db"
    asyncio.run(_moves(db, users_file, token["alice"], clock, [START, START + 10, START - 3600, START - 3599,
                                                               START + 11]))
    # A restart reads the last time back from the log: a clock still behind does not take it back either.
    asyncio.run(_moves(db, users_file, token["alice"], clock, [START - 7200, START + 12]))
    store = EventStore(db)
    stamped = [row[0] for row in store._db.execute("SELECT ts FROM events WHERE ns = 'live' ORDER BY seq")]
    assert stamped == sorted(stamped)
    assert stamped == [rfc3339(START), rfc3339(START + 10), rfc3339(START + 10), rfc3339(START + 10),
                       rfc3339(START + 11), rfc3339(START + 11), rfc3339(START + 12)]
