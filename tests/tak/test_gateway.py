"""The CoT gateway between TAK devices (real TCP, TLS and UDP sockets) and a real OneMap server on loopback."""
from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import subprocess
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import takproto

from dispatch.client import DispatchClient
from tak.cot import Cot, parse_xml, to_protobuf, to_xml
from tak.gateway import Gateway, client_tls, server_tls
from tak.inbound import DeviceEntry, DeviceTable
from support.fts import free_port
from tak.stream import PROTOBUF, StreamReader

PLI_STREAM = Path("/work/shared/data/cot/freetakserver_pli_stream_2020-02-08.txt")
C0RV0, CORVTAB = "ANDROID-351811095448994", "ANDROID-R52JB0CDC4E"


async def until(check, what: str, timeout: float = 20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def table(**units: str) -> DeviceTable:
    return DeviceTable(by_uid={uid: DeviceEntry(unit_id) for uid, unit_id in units.items()})


def pli(uid: str, lat: float, lon: float, *, opex: str | None = None, kind: str = "a-f-G-U-C", **fields) -> Cot:
    moment = datetime.now(timezone.utc)
    return Cot(uid=uid, type=kind, time=moment, start=moment, stale=moment + timedelta(seconds=75), lat=lat, lon=lon,
               how="m-g", callsign=uid.lower(), endpoint="*:-1:stcp", opex=opex, **fields)


class Watcher:
    """A dispatcher's connection that keeps every event of its namespace."""

    def __init__(self):
        self.events: list[dict] = []
        self.client: DispatchClient | None = None

    @classmethod
    async def connect(cls, url: str, token: str, namespace: str = "live") -> "Watcher":
        watcher = cls()
        watcher.client = await DispatchClient.connect(url, token, namespace=namespace, on_event=watcher.events.append)
        return watcher

    def moves(self, unit_id: str) -> list[dict]:
        return [e["data"] for e in self.events if e["type"] == "unit.moved" and e["data"]["unit_id"] == unit_id]


@asynccontextmanager
async def gateway_on(server, token: str, *, tls: ssl.SSLContext | None = None, upstreams: tuple = (), **options):
    gateway = Gateway(server.url, token, **options)
    port = await gateway.listen("127.0.0.1", 0, tls)
    stop = asyncio.Event()
    running = asyncio.ensure_future(gateway.run(stop, upstreams))
    await until(lambda: all(link.connected.is_set() for link in gateway.links.values()), "the feed connection")
    try:
        yield gateway, port
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)


def test_the_recorded_stream_moves_the_mapped_unit_through_every_position(server, tokens):
    lines = PLI_STREAM.read_bytes()
    expected = [(c.lon, c.lat, c.time) for c in map(parse_xml, lines.splitlines()) if c.uid == C0RV0]
    assert len(expected) == 28

    async def scenario():
        watcher = await Watcher.connect(server.url, tokens["alice"])
        async with gateway_on(server, tokens["fred"], devices=table(**{C0RV0: "U009"}),
                              device_rate=(10_000.0, 10_000.0)) as (gateway, port):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(lines)
            await writer.drain()
            moves = await until(lambda: len(watcher.moves("U009")) >= 28 and watcher.moves("U009"), "28 moves")
            device = await until(lambda: watcher.client.state["devices"].get(CORVTAB), "corvTab seen")
            writer.close()
        assert [(m["lon"], m["lat"]) for m in moves] == [(lon, lat) for lon, lat, _ in expected]
        assert [m["ts"] for m in moves] == [t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
                                            for _, _, t in expected]
        # the tablet without GPS is a device without a fix, never a unit near 0,0
        assert (device["callsign"], device["lon"], device["lat"], device["unit_id"]) == ("corvTab", None, None, None)
        assert not [e for e in watcher.events if e["type"] == "unit.moved" and abs(e["data"]["lat"]) < 1]
        assert gateway.counters["received"] == 502 and gateway.counters["nack_bad_request"] == 0
        await watcher.client.close()

    asyncio.run(scenario())


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
                             for n in range(1, 10))
                  + b']><event version="2.0" uid="A" type="a-f-G-U-C" time="2026-12-02T08:00:00Z" '
                    b'start="2026-12-02T08:00:00Z" stale="2026-12-02T08:01:00Z"><point lat="1" lon="1"/>'
                    b'<detail><remarks>&lol9;</remarks></detail></event>')
EXTERNAL_ENTITY = BILLION_LAUGHS.split(b"<!ENTITY")[0] + b'<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + \
    BILLION_LAUGHS.split(b"]>", 1)[1].replace(b"&lol9;", b"&xxe;")


def test_malformed_cot_and_a_flood_are_refused_and_counted_while_another_device_is_served(server, tokens):
    good = to_xml(pli("DEV-A", 60.17, 24.94))

    async def scenario():
        watcher = await Watcher.connect(server.url, tokens["alice"])
        async with gateway_on(server, tokens["fred"], devices=table(**{"DEV-A": "U011", "DEV-B": "U010"})) as (
                gateway, port):
            _, other = await asyncio.open_connection("127.0.0.1", port)
            sent: list[float] = []
            attacking = asyncio.Event()

            async def second_device():
                n = 0
                while attacking.is_set() or n < 5:
                    lat = 60.1 + n * 0.0001
                    other.write(to_xml(pli("DEV-B", lat, 24.9)))
                    sent.append(lat)
                    n += 1
                    await asyncio.sleep(0.1)

            attacking.set()
            served = asyncio.ensure_future(second_device())
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for hostile in (b"this is not XML at all\n", BILLION_LAUGHS, EXTERNAL_ENTITY,
                            good.replace(b'<point lat="60.17" lon="24.94" hae="9999999.0" ce="9999999.0" '
                                         b'le="9999999.0" />', b""),
                            good.replace(b'lat="60.17"', b'lat="91.0"'),
                            good.replace(b"<detail>", b"<detail><remarks>" + b"x" * 10_000_000 + b"</remarks>")):
                writer.write(hostile)
                await writer.drain()
            writer.write(good * 1000)  # a flood from one connection
            await writer.drain()
            await until(lambda: gateway.counters["flood"] >= 800, "the flood refused")
            attacking.clear()
            await served
            await until(lambda: len(watcher.moves("U010")) == len(sent), "every position of the second device")
            counters = dict(gateway.counters)
            writer.close()
            other.close()
        assert [m["lat"] for m in watcher.moves("U010")] == sent
        assert counters["not_xml"] == 1 and counters["forbidden_xml"] == 2
        assert counters["no_point"] == 1 and counters["bad_point"] == 1 and counters["too_large"] == 1
        assert 800 <= counters["flood"] <= 1000 - 90  # the burst went through, the rest was refused
        assert len(watcher.moves("U011")) == 1000 - counters["flood"]
        await watcher.client.close()

    asyncio.run(scenario())


def test_an_exercise_marked_position_does_not_move_a_live_unit(server, tokens):
    async def scenario():
        watcher = await Watcher.connect(server.url, tokens["alice"])
        async with gateway_on(server, tokens["fred"], devices=table(**{"EX-1": "U012", "EX-2": "U013"})) as (
                gateway, port):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(to_xml(pli("EX-1", 60.2, 24.9, opex="e-north")) + to_xml(replace(pli("EX-1", 60.3, 24.9),
                                                                                          how="m-s")))
            writer.write(to_xml(pli("EX-2", 60.2, 24.9)))  # after them on the same connection
            await writer.drain()
            await until(lambda: watcher.moves("U013"), "the unmarked position")
            writer.close()
        assert watcher.moves("U012") == [] and gateway.counters["exercise_in_live"] == 2
        await watcher.client.close()

    asyncio.run(scenario())


def test_a_tak_client_gets_units_an_incident_and_its_tasking_marked_as_the_exercise(server, tokens):
    async def scenario():
        namespace = "exercise:takout"
        watcher = await Watcher.connect(server.url, tokens["alice"], namespace)
        ack = await watcher.client.command("incident.create", kind="burglary", priority=2, lon=24.94, lat=60.17,
                                           address="Mannerheimintie 5")
        incident_id = ack["incident_id"]
        async with gateway_on(server, tokens["fred"], namespace=namespace, devices=table(**{"ANDROID-T1": "U014"})) \
                as (gateway, port):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(to_protobuf(pli("ANDROID-T1", 60.18, 24.95, opex="e-takout")))  # it speaks protobuf
            await writer.drain()
            frames = StreamReader()
            received: list[tuple[str, object]] = []

            async def read_until(check, what):
                while not check():
                    data = await asyncio.wait_for(reader.read(65536), 20)
                    assert data, f"the gateway closed before {what}"
                    for protocol, chunk in frames.frames(data):
                        received.append((protocol, takproto.parse_proto(bytearray(chunk))))

            def uids():
                return {m.cotEvent.uid for _, m in received}

            await read_until(lambda: {f"OneMap.incident.{incident_id}", "OneMap.unit.U001"} <= uids(), "the picture")
            await until(lambda: watcher.moves("U014"), "the device's own position")
            await watcher.client.command("unit.assign", unit_id="U014", incident_id=incident_id)
            await read_until(lambda: any(m.cotEvent.type == "b-t-f" for _, m in received), "the tasking")
            writer.close()
        assert {m.cotEvent.opex for _, m in received} == {"e-takout"}
        units = [m for _, m in received if m.cotEvent.uid.startswith("OneMap.unit.")]
        assert len({m.cotEvent.uid for m in units}) == len(watcher.client.state["units"])
        marker = next(m for _, m in received if m.cotEvent.uid == f"OneMap.incident.{incident_id}")
        assert (marker.cotEvent.lat, marker.cotEvent.lon) == (60.17, 24.94)
        assert "Mannerheimintie 5" in marker.cotEvent.detail.xmlDetail
        [(protocol, chat)] = [(p, m) for p, m in received if m.cotEvent.type == "b-t-f"]
        assert protocol == PROTOBUF  # answered the way the device speaks
        assert f"Go to {incident_id} burglary P2 Mannerheimintie 5" in chat.cotEvent.detail.xmlDetail
        assert 'uid1="ANDROID-T1"' in chat.cotEvent.detail.xmlDetail
        await watcher.client.close()

    asyncio.run(scenario())


def alert(kind: str, device: str, lat: float = 60.171, lon: float = 24.941, **fields) -> bytes:
    return to_xml(replace(pli(f"{device}-9-1-1", lat, lon, kind=kind), endpoint=None, callsign=f"{device}-Alert",
                          links=[device], **fields))


def test_an_emergency_raises_one_alarm_its_cancel_is_said_on_it_and_a_marker_to_the_centre_is_a_clue(server, tokens):
    async def scenario():
        watcher = await Watcher.connect(server.url, tokens["alice"])
        async with gateway_on(server, tokens["fred"]) as (gateway, port):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(to_xml(pli("ANDROID-EM", 60.17, 24.94)) + alert("b-a-o-tbl", "ANDROID-EM"))
            writer.write(alert("b-a-o-tbl", "ANDROID-EM", lat=60.172))  # ATAK repeats it, from where it is now
            await writer.drain()
            alarms = watcher.client.state["alarms"]
            await until(lambda: [a for a in alarms.values() if a["lat"] == 60.172], "the alarm at its new place")
            writer.write(alert("b-a-o-can", "ANDROID-EM"))
            marker = replace(pli("4e9c7b1a-marker", 60.172, 24.943, kind="b-m-p-s-m"), endpoint=None, callsign="Car",
                             remarks="red car, two men", links=["ANDROID-EM"], dest=["OneMap"])
            writer.write(to_xml(marker))
            await writer.drain()
            await until(lambda: "cancelled" in (next(iter(alarms.values())).get("text") or ""), "the cancel said")
            incidents = watcher.client.state["incidents"]
            clue = await until(lambda: [i for i in incidents.values() if i["kind"] == "clue"], "the clue")
            writer.close()
        [alarm] = alarms.values()  # one alarm: the repeat and the cancel updated it
        assert (alarm["device_id"], alarm["kind"], alarm["status"]) == ("ANDROID-EM", "panic", "raised")
        assert (alarm["lon"], alarm["lat"]) == (24.941, 60.171)  # the cancel came from the first point again
        assert alarm["grid_id"] is not None and alarm["station_id"] is not None
        assert (clue[0]["source"], clue[0]["lat"], clue[0]["note"]) == (
            "field_unit", 60.172, "Car red car, two men (from android-em)")
        await watcher.client.close()

    asyncio.run(scenario())


def make_pki(folder: Path) -> dict[str, str]:
    """A CA, a server certificate for 127.0.0.1 and a device's client certificate, with openssl."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)

    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    run("req", "-x509", *ec, "-days", "2", "-subj", "/CN=OneMap test CA", "-keyout", "ca.key", "-out", "ca.pem")
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for name in ("server", "device"):
        run("req", *ec, "-subj", f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.csr")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "san.ext", "-out", f"{name}.pem")
    return {p.stem + p.suffix: str(p) for p in folder.iterdir()}


def test_tls_devices_need_a_client_certificate_from_the_ca(server, tokens, tmp_path):
    pki = make_pki(tmp_path)

    async def scenario():
        watcher = await Watcher.connect(server.url, tokens["alice"])
        tls = server_tls(pki["server.pem"], pki["server.key"], pki["ca.pem"])
        async with gateway_on(server, tokens["fred"], tls=tls, devices=table(**{"TLS-1": "U015"})) as (gateway, port):
            anonymous = ssl.create_default_context(cafile=pki["ca.pem"])  # trusts the gateway, has no certificate
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=anonymous)
                writer.write(to_xml(pli("TLS-1", 60.3, 24.8)))
                await writer.drain()
                refused = await asyncio.wait_for(reader.read(100), 10)
                assert refused == b""
            except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
                pass  # refused in the handshake
            device = client_tls(pki["device.pem"], pki["device.key"], pki["ca.pem"])
            _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=device)
            writer.write(to_xml(pli("TLS-1", 60.31, 24.81)))
            await writer.drain()
            await until(lambda: watcher.moves("U015"), "the position over TLS")
            writer.close()
        assert [(m["lat"], m["lon"]) for m in watcher.moves("U015")] == [(60.31, 24.81)]
        await watcher.client.close()

    asyncio.run(scenario())


def test_client_mode_connects_to_a_tak_server_and_connects_again_when_it_is_lost(server, tokens):
    async def scenario():
        watcher = await Watcher.connect(server.url, tokens["alice"])
        accepted: asyncio.Queue = asyncio.Queue()
        tak_server = await asyncio.start_server(lambda r, w: accepted.put_nowait((r, w)), "127.0.0.1", 0)
        port = tak_server.sockets[0].getsockname()[1]
        async with gateway_on(server, tokens["fred"], devices=table(**{"UP-1": "U016"}),
                              upstreams=(("127.0.0.1", port, None),)) as (gateway, _):
            reader, writer = await asyncio.wait_for(accepted.get(), 10)
            frames = StreamReader()
            data = await asyncio.wait_for(reader.read(65536), 10)
            greeting = [c for c in frames.feed(data) if isinstance(c, Cot)]
            writer.write(to_xml(pli("UP-1", 60.4, 24.7)))  # a device on the TAK server
            await writer.drain()
            await until(lambda: watcher.moves("U016"), "the position through the TAK server")
            writer.close()  # the TAK server goes away; the gateway comes back
            reader, writer = await asyncio.wait_for(accepted.get(), 10)
            writer.write(to_xml(pli("UP-1", 60.41, 24.71)))
            await writer.drain()
            await until(lambda: len(watcher.moves("U016")) == 2, "the position after the reconnect")
            writer.close()
        tak_server.close()
        assert greeting and all(c.uid.startswith("OneMap.") for c in greeting)
        assert [m["lat"] for m in watcher.moves("U016")] == [60.4, 60.41]
        await watcher.client.close()

    asyncio.run(scenario())


def test_the_sa_multicast_group_is_heard_and_told(server, tokens):
    group = "239.2.3.1"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mesh = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mesh.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    mesh.bind(("", port))
    mesh.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                    struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton("127.0.0.1")))
    mesh.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
    mesh.setblocking(False)

    async def scenario():
        watcher = await Watcher.connect(server.url, tokens["alice"])
        async with gateway_on(server, tokens["fred"], devices=table(**{"MC-1": "U017"})) as (gateway, _):
            await gateway.join_multicast(group, port, "127.0.0.1")
            mesh.sendto(to_xml(pli("MC-1", 60.5, 24.6)), (group, port))
            await until(lambda: watcher.moves("U017"), "the position from the mesh")
            loop = asyncio.get_running_loop()
            heard = []
            while "OneMap.unit.U017" not in heard:
                data = await asyncio.wait_for(loop.sock_recv(mesh, 65536), 10)
                heard.append(parse_xml(data).uid)
        assert watcher.moves("U017")[0]["lat"] == 60.5
        await watcher.client.close()

    try:
        asyncio.run(scenario())
    finally:
        mesh.close()


def test_the_command_line_gateway_maps_by_city_pack_and_file_and_reports_its_counters_on_exit(server, tokens,
                                                                                              tmp_path):
    import os
    import signal
    import sys

    from support.server import ROOT

    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "city.json").write_text((ROOT / "resources/cities/demo/city.json").read_text())
    (pack / "devices.toml").write_text('[[device]]\nuid = "CLI-1"\nunit_id = "U018"\n'
                                       '[[device]]\ncallsign = "cli-2"\nunit_id = "U001"\n')
    devices = tmp_path / "devices.toml"
    devices.write_text('[[device]]\ncallsign = "cli-2"\nunit_id = "U019"\n')  # wins over the pack's

    async def scenario():
        watcher = await Watcher.connect(server.url, tokens["alice"])
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "console.cli", "gateway", "cot", "--server", server.url, "--listen",
            "tcp://127.0.0.1:0", "--city", str(pack), "--devices", str(devices), cwd=ROOT,
            env={**os.environ, "ONEMAP_TOKEN": tokens["fred"]}, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        try:
            line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
            assert line.startswith("listening on tcp://127.0.0.1:"), line
            port = int(line.rsplit(":", 1)[1])
            for attempt in range(2):  # the first may come before the feed connection: it is kept and sent
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(to_xml(pli("CLI-1", 60.6, 24.5)) + to_xml(pli("CLI-2", 60.61, 24.51)) + b"junk<")
                await writer.drain()
                writer.close()
            await until(lambda: len(watcher.moves("U018")) == 2 and len(watcher.moves("U019")) == 2, "both units", 60)
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, err.decode()
        assert "CoT gateway stopped:" in out.decode() and "received=4" in out.decode() and "not_xml=2" in out.decode()
        assert watcher.moves("U001") == []
        await watcher.client.close()

    asyncio.run(scenario())


def test_what_devices_send_while_onemap_is_down_is_kept_and_sent_when_it_is_back(users, tmp_path):
    from support.server import ServerProcess

    users_file, tokens = users
    port = free_port()
    later = ServerProcess(tmp_path / "events.db", users_file)

    async def scenario():
        gateway = Gateway(f"ws://127.0.0.1:{port}/ws", tokens["fred"], devices=table(**{"LATE-1": "U020"}))
        device_port = await gateway.listen("127.0.0.1", 0)
        stop = asyncio.Event()
        running = asyncio.ensure_future(gateway.run(stop))
        _, writer = await asyncio.open_connection("127.0.0.1", device_port)
        for n in range(5):
            writer.write(to_xml(pli("LATE-1", 60.1 + n / 100, 24.9)))
        await writer.drain()
        link = gateway.links["live"]
        await until(lambda: len(link.backlog) == 5, "the positions held")
        assert not link.connected.is_set()
        await asyncio.to_thread(later.start, port)
        watcher = await Watcher.connect(later.url, tokens["alice"])
        await until(lambda: len(watcher.client.state["units"]["U020"].get("pos_ts") or "") and
                    watcher.client.state["units"]["U020"]["lat"] == 60.14, "the last held position")
        history = await watcher.client.command("history.events", after_seq=0, types=["unit.moved"])
        assert [e["data"]["lat"] for e in history["events"]] == [60.1 + n / 100 for n in range(5)]
        stop.set()
        await asyncio.wait_for(running, 10)
        writer.close()
        await watcher.client.close()

    try:
        asyncio.run(scenario())
    finally:
        later.kill()


def test_a_device_that_does_not_read_is_dropped_and_one_that_reads_gets_everything(server, tokens):
    async def scenario():
        async with gateway_on(server, tokens["fred"]) as (gateway, port):
            _, stalled = await asyncio.open_connection("127.0.0.1", port)  # never reads
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            await until(lambda: len(gateway.connections) == 2, "both devices connected")
            frames = StreamReader()
            got: list[str] = []

            async def read():
                while len(got) < 4000:
                    got.extend(c.uid for c in frames.feed(await asyncio.wait_for(reader.read(1 << 20), 20))
                               if c.uid.startswith("bulk-"))

            reading = asyncio.ensure_future(read())
            for batch in range(200):  # 40 MB, a few at a time as events come
                gateway.fan_out([pli(f"bulk-{batch}-{n}", 60.0, 24.0, remarks="x" * 10_000) for n in range(20)])
                gateway.flush()  # a slice of the devices written to each time, 200 KB at a time
                await asyncio.sleep(0.005)
            await asyncio.wait_for(reading, 60)
            counters = dict(gateway.counters)
            stalled.close()
            writer.close()
        assert counters["slow_device"] == 1
        assert got == [f"bulk-{b}-{n}" for b in range(200) for n in range(20)]

    asyncio.run(scenario())


def test_client_mode_over_tls_presents_its_certificate_and_checks_the_servers(server, tokens, tmp_path):
    pki = make_pki(tmp_path)

    async def scenario():
        watcher = await Watcher.connect(server.url, tokens["alice"])
        accepted: asyncio.Queue = asyncio.Queue()
        tls = server_tls(pki["server.pem"], pki["server.key"], pki["ca.pem"])  # demands a client certificate
        tak_server = await asyncio.start_server(lambda r, w: accepted.put_nowait((r, w)), "127.0.0.1", 0, ssl=tls)
        port = tak_server.sockets[0].getsockname()[1]
        upstream = client_tls(pki["device.pem"], pki["device.key"], pki["ca.pem"])
        async with gateway_on(server, tokens["fred"], devices=table(**{"UPTLS-1": "U021"}),
                              upstreams=(("127.0.0.1", port, upstream),)) as (gateway, _):
            reader, writer = await asyncio.wait_for(accepted.get(), 10)
            assert writer.get_extra_info("peercert")["subject"] == ((("commonName", "device"),),)
            writer.write(to_xml(pli("UPTLS-1", 60.45, 24.75)))
            await writer.drain()
            await until(lambda: watcher.moves("U021"), "the position over TLS from the TAK server")
            writer.close()
        tak_server.close()
        await watcher.client.close()

    asyncio.run(scenario())


class ListeningDevice:
    """A TAK device on the gateway's listener that keeps the uid of every CoT it is sent."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.writer, self.uids = writer, []
        self._frames = StreamReader()
        self._reading = asyncio.ensure_future(self._read(reader))

    @classmethod
    async def connect(cls, port: int) -> "ListeningDevice":
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while data := await reader.read(1 << 20):
            self.uids.extend(cot.uid for cot in self._frames.feed(data) if isinstance(cot, Cot))

    async def report(self, cot: Cot) -> None:
        self.writer.write(to_xml(cot))
        await self.writer.drain()

    def close(self) -> None:
        self._reading.cancel()
        self.writer.close()


def test_a_device_sees_the_units_within_its_range_every_incident_and_one_that_has_not_reported_sees_all(
        server, tokens):
    async def scenario():
        watcher = await Watcher.connect(server.url, tokens["alice"])
        async with gateway_on(server, tokens["fred"], devices=table(**{"ANDROID-NEAR": "U015"}),
                              unit_range_km=2.0) as (gateway, port):
            near, far, silent = [await ListeningDevice.connect(port) for _ in range(3)]
            await until(lambda: len(gateway.connections) == 3, "three devices connected")
            await near.report(pli("ANDROID-NEAR", 60.170, 24.942))  # in the demo city, as U015
            await far.report(pli("ANDROID-FAR", 60.600, 25.600))  # some 55 km north-east: beyond 2 km
            await until(lambda: sum(c.square is not None for c in gateway.connections) == 2, "both positions")
            for device in (near, far, silent):
                device.uids.clear()  # what the greeting sent is not what this is about
            await near.report(pli("ANDROID-NEAR", 60.171, 24.943))  # U015 moves again
            ack = await watcher.client.command("incident.create", kind="theft", priority=3, lon=24.95, lat=60.17)
            incident = f"OneMap.incident.{ack['incident_id']}"
            await until(lambda: {incident, "OneMap.unit.U015"} <= {*near.uids} & {*silent.uids},
                        "the move and the incident at the devices in range and without a position")
            gateway.fan_out([pli("OneMap.sentinel", 60.0, 24.0)])  # after everything before it, on every link
            await until(lambda: "OneMap.sentinel" in far.uids, "the sentinel at the far device")
            for device in (near, far, silent):
                device.close()
        assert incident in far.uids
        assert not [uid for uid in far.uids if uid.startswith("OneMap.unit.")]
        await watcher.client.close()

    asyncio.run(scenario())
