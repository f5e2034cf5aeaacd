"""The CoT gateway against a real TAK server: FreeTAKServer 2.2.1 (PyPI, tests/support/fts.py) on loopback,
started here. The gateway (`onemap gateway cot --connect`) joins it as a client; a second TAK client, a raw
socket streaming CoT XML as ATAK does, reports positions that move a OneMap unit once a dispatcher attached
its device, and receives OneMap's units and an incident as CoT that parses with takproto.

If FreeTAKServer cannot run on the machine, the test says exactly why (a warning in pytest's summary) and
the same flow runs against the gateway's own TCP listener.
"""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import takproto

from dispatch.client import DispatchClient
from support.fts import FreeTakServer, FtsUnavailable, free_port
from support.server import ServerProcess, make_users
from support.wait import wait_until
from tak.outbound import incident_uid, unit_uid

ROOT = Path(__file__).resolve().parents[2]
DEVICE = "ANDROID-ONEMAP-TEST-1"
UNIT = "U021"  # P-07, a patrol of the demo city
FIX = (24.9412, 60.1712)


@pytest.fixture
def onemap(tmp_path):
    users_file = tmp_path / "users.json"
    tokens = make_users(users_file, {"alice": "dispatcher", "fred": "feed"})
    process = ServerProcess(tmp_path / "events.db", users_file)
    process.start()
    yield process, tokens
    process.kill()


@pytest.fixture
def tak_server():
    """(how the gateway reaches TAK devices, the port a TAK client connects to)."""
    fts = FreeTakServer()
    try:
        fts.__enter__()
    except FtsUnavailable as why:
        warnings.warn(f"FreeTAKServer cannot run here ({why}); the flow runs against the gateway's own listener")
        port = free_port()
        yield ["--listen", f"tcp://127.0.0.1:{port}"], port
        return
    try:
        yield ["--connect", f"tcp://127.0.0.1:{fts.cot_port}"], fts.cot_port
    finally:
        fts.stop()


def pli(uid: str, callsign: str, lon: float, lat: float) -> bytes:
    now = datetime.now(timezone.utc)
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"  # noqa: E731
    return (f"<?xml version='1.0' encoding='UTF-8' standalone='yes'?><event version='2.0' uid='{uid}' "
            f"type='a-f-G-U-C' time='{stamp(now)}' start='{stamp(now)}' stale='{stamp(now + timedelta(seconds=30))}' "
            f"how='m-g'><point lat='{lat}' lon='{lon}' hae='20.0' ce='4.9' le='9999999.0'/><detail>"
            f"<contact endpoint='*:-1:stcp' callsign='{callsign}'/><__group name='Cyan' role='Team Member'/>"
            f"<takv device='test' platform='ATAK-CIV' os='30' version='4.10'/><track course='90.0' speed='3.0'/>"
            f"</detail></event>").encode()


class TakClient:
    """A TAK device's stream: CoT XML out, every event that comes back kept as takproto's TakMessage."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.received: list = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"</event>" in buffer:
                event, buffer = buffer.split(b"</event>", 1)
                xml = event[event.index(b"<event"):] + b"</event>"
                self.received.append(takproto.parse_proto(takproto.xml2proto(xml.decode())))

    def close(self) -> None:
        self.sock.close()


def test_a_tak_client_through_a_tak_server_moves_a_unit_and_sees_onemaps_units_and_incidents(onemap, tak_server,
                                                                                             tmp_path):
    server, tokens = onemap
    via, tak_port = tak_server
    token_file = tmp_path / "fred.token"
    token_file.write_text(tokens["fred"])
    token_file.chmod(0o600)
    gateway = subprocess.Popen([sys.executable, "-m", "console.cli", "gateway", "cot", "--server", server.url,
                                "--token-file", str(token_file), *via], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    loop = asyncio.new_event_loop()
    desk = loop.run_until_complete(DispatchClient.connect(server.url, tokens["alice"]))
    state = lambda: loop.run_until_complete(asyncio.sleep(0.05)) or desk.state  # noqa: E731 (fold what came)
    client = None
    output = ""
    try:
        client = wait_until(lambda: _connect(tak_port), 30, "the TAK port")
        # The gateway reaches the TAK server in its own time: the device reports, once a second as ATAK does
        # while moving (FTS passes on no faster a client's burst), until OneMap lists it, then until its unit
        # is where it says.
        def reported(lon: float, lat: float, arrived) -> bool:
            client.send(pli(DEVICE, "Patrol-7", lon, lat))
            return arrived()
        wait_until(lambda: reported(24.95, 60.17, lambda: DEVICE in state().get("devices", {})), 60,
                   f"{DEVICE} listed by the gateway", interval=1.0)
        reply = loop.run_until_complete(desk.command("device.attach", device_uid=DEVICE, unit_id=UNIT))
        assert reply["op"] == "ack", reply
        at_fix = lambda: (state()["units"][UNIT]["lon"], state()["units"][UNIT]["lat"]) == FIX  # noqa: E731
        wait_until(lambda: reported(*FIX, at_fix), 30, f"{UNIT} at the position its device reported", interval=1.0)

        reply = loop.run_until_complete(desk.command("incident.create", kind="fire", priority=1, lon=24.944,
                                                     lat=60.169, address="Mannerheimintie 5"))
        assert reply["op"] == "ack", reply
        incident = reply["incident_id"]
        units = {unit_uid(unit_id) for unit_id in state()["units"]}
        seen = lambda: {m.cotEvent.uid for m in client.received}  # noqa: E731
        wait_until(lambda: units <= seen(), 60, "every OneMap unit as CoT")
        marker = wait_until(lambda: next((m for m in client.received if m.cotEvent.uid == incident_uid(incident)),
                                         None), 60, f"the incident {incident} as CoT")
        assert (round(marker.cotEvent.lon, 4), round(marker.cotEvent.lat, 4)) == (24.944, 60.169)
        assert marker.cotEvent.detail.contact.callsign == f"{incident} fire P1"
        latest = lambda: [m for m in client.received if m.cotEvent.uid == unit_uid(UNIT)][-1]  # noqa: E731
        # A unit's position goes out at most once a second (the last one wins): its moved CoT comes in time.
        wait_until(lambda: (latest().cotEvent.lon, latest().cotEvent.lat) == pytest.approx(FIX, abs=1e-6), 30,
                   f"{UNIT} at its new position as CoT")
        assert latest().cotEvent.type == "a-f-G-U-C-I" and latest().cotEvent.detail.contact.callsign == "P-07"
        # FreeTAKServer 2.2.1 passes on what its own model holds: uid, type, point, times, contact, group.
        # It drops <remarks> and the track's course and speed (the gateway's own listener keeps them:
        # tests/tak/test_gateway.py), so a unit's status and an incident's address do not reach a device
        # through it (docs/tak.md).
    finally:
        if client is not None:
            client.close()
        loop.run_until_complete(desk.close())
        loop.close()
        gateway.terminate()
        output = gateway.communicate(timeout=15)[0]
        print(output)  # the gateway's own account (its counters), shown when the test fails
    assert gateway.returncode in (0, -15), output


def _connect(port: int) -> TakClient | None:
    try:
        return TakClient(port)
    except OSError:
        return None
