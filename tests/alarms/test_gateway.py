"""The alarm gateway between panic apps (real HTTP), alarm panels (real DC-09 over TCP) and a real OneMap
server on loopback; and `onemap gateway alarms` as a process."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import datetime, timezone

import aiohttp

from alarms.gateway import AlarmGateway
from alarms.panels import Panel, PanelTable
from dispatch.client import DispatchClient
from support import dc09
from support.alarm_gateway import APP_TOKEN, AlarmGatewayProcess
from support.fts import free_port
from support.server import ServerProcess
from support.wait import wait_until

LON, LAT = 24.9413, 60.1699
SCHOOL = Panel("1234", "No. 1 Middle School, guard room", LON, LAT)


async def until(check, what: str, timeout: float = 20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := check()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    return result


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def alarms_of(client: DispatchClient, device: str) -> list[dict]:
    """The alarms of a device (an app's id), or of a panel (dc09:ACCOUNT: each zone and kind its own)."""
    return sorted((a for a in client.state.get("alarms", {}).values()
                   if a["device_id"] == device or a["device_id"].startswith(device + ":")),
                  key=lambda a: int(a["alarm_id"][1:]))


@asynccontextmanager
async def gateway_on(url: str, token: str):
    gateway = AlarmGateway(url, token, panels=PanelTable({SCHOOL.account: SCHOOL}), app_tokens=frozenset({APP_TOKEN}))
    http_port = await gateway.listen_http("127.0.0.1", 0)
    dc09_port = await gateway.listen_dc09("127.0.0.1", 0)
    stop = asyncio.Event()
    running = asyncio.ensure_future(gateway.run(stop))
    try:
        yield gateway, f"http://127.0.0.1:{http_port}/alarms", dc09_port
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)


async def post(session: aiohttp.ClientSession, url: str, body, token: str | None = APP_TOKEN) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, bytes) else None
    async with session.post(url, json=None if data is not None else body, data=data, headers=headers) as answer:
        return answer.status, await answer.json()


def test_an_apps_post_raises_an_alarm_and_bad_posts_are_answered_and_raise_nothing(server, tokens):
    async def scenario():
        dispatcher = await DispatchClient.connect(server.url, tokens["alice"])
        async with gateway_on(server.url, tokens["fred"]) as (gateway, url, _), aiohttp.ClientSession() as session:
            await until(lambda: gateway.link.connected.is_set(), "the feed connection")
            alarm = {"device_id": "app-13800138000", "kind": "panic", "lon": LON, "lat": LAT, "ts": now_rfc3339(),
                     "text": "a man follows me"}
            bad = [
                (alarm, None, 401), (alarm, "not-the-token", 401),
                (b"{not json", APP_TOKEN, 400), ([alarm], APP_TOKEN, 400),
                ({**alarm, "device_id": "app-bad-1", "colour": "red"}, APP_TOKEN, 400),
                ({k: v for k, v in alarm.items() if k != "kind"} | {"device_id": "app-bad-2"}, APP_TOKEN, 400),
                ({**alarm, "device_id": "app-bad-3", "kind": "bogus"}, APP_TOKEN, 422),  # OneMap's own check
                ({**alarm, "device_id": "app-bad-4", "lat": 91}, APP_TOKEN, 422),
                ({**alarm, "device_id": "app-bad-5", "text": "x" * 20_000}, APP_TOKEN, 413),
            ]
            for body, token, status in bad:
                got, answer = await post(session, url, body, token)
                assert got == status and answer["error"], (body if not isinstance(body, dict) else body["device_id"],
                                                           got, answer)
            async with session.get(url) as answer:
                assert answer.status == 405
            status, answer = await post(session, url, alarm)
            assert status == 201 and answer["status"] == "raised"
            alarm_id = answer["alarm_id"]
            status, again = await post(session, url, {**alarm, "lat": LAT + 0.001})  # its live location
            assert status == 201 and again["alarm_id"] == alarm_id
        await until(lambda: (a := alarms_of(dispatcher, "app-13800138000")) and a[0]["lat"] == LAT + 0.001,
                    "the alarm at the dispatcher, moved")
        [raised] = alarms_of(dispatcher, "app-13800138000")
        assert (raised["alarm_id"], raised["kind"], raised["text"]) == (alarm_id, "panic", "a man follows me")
        assert not [a for a in dispatcher.state["alarms"].values() if a["device_id"].startswith("app-bad")]
        assert gateway.counters["http_unauthorised"] == 2 and gateway.counters["http_alarm"] == 2
        await dispatcher.close()

    asyncio.run(scenario())


async def exchange(writer: asyncio.StreamWriter, reader: asyncio.StreamReader, message: bytes) -> str:
    """Send a panel's message; the receiver's answer token (ACK, NAK, DUH)."""
    writer.write(message)
    await writer.drain()
    return dc09.answer_token(await asyncio.wait_for(reader.readuntil(b"\r"), 20))


def test_a_panels_alarm_is_acknowledged_once_onemap_has_it_and_bad_frames_do_not_stop_the_gateway(server, tokens):
    async def scenario():
        dispatcher = await DispatchClient.connect(server.url, tokens["alice"])
        async with gateway_on(server.url, tokens["fred"]) as (gateway, _, port):
            await until(lambda: gateway.link.connected.is_set(), "the feed connection")
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            # Nothing readable is answered: the first answer is the burglary's, after all of these.
            writer.write(b"GET / HTTP/1.1\r\n\r\n" + b"\n" + b"\x00" * 5000 + b"\r"
                         + dc09.sia("1234", "PA")[:-1].replace(b"PA", b"PB", 1) + b"\r")
            assert await exchange(writer, reader, dc09.sia("1234", "BA", zone="15", sequence=7)) == "ACK"
            assert await exchange(writer, reader, dc09.sia("9999", "PA", sequence=8)) == "NAK"  # nobody's panel
            assert await exchange(writer, reader, dc09.sia("1234", "OP", sequence=9)) == "ACK"  # raises nothing
            other_reader, other_writer = await asyncio.open_connection("127.0.0.1", port)  # another panel line
            assert await exchange(other_writer, other_reader, dc09.contact_id("1234", 1, 120, sequence=10)) == "ACK"
            writer.close()
            other_writer.close()
            counters = dict(gateway.counters)
        burglary, panic = await until(lambda: len(alarms_of(dispatcher, "dc09:1234")) == 2
                                      and alarms_of(dispatcher, "dc09:1234"), "the panel's two alarms")
        assert (burglary["kind"], burglary["lon"], burglary["lat"]) == ("intrusion", LON, LAT)
        assert "zone 15" in burglary["text"] and "No. 1 Middle School" in burglary["text"]
        assert panic["kind"] == "panic" and panic["device_id"] == "dc09:1234:1:panic"
        assert counters["dc09_bad_crc"] == 1 and counters["dc09_malformed"] >= 1
        assert counters["dc09_unknown_account"] == 1 and counters["dc09_not_an_alarm_OP"] == 1
        assert counters["dc09_alarm"] == 2
        await dispatcher.close()

    asyncio.run(scenario())


def test_while_onemap_is_down_a_panel_is_not_acknowledged_and_an_apps_alarm_is_kept_and_sent(users, tmp_path):
    users_file, tokens = users
    port = free_port()
    later = ServerProcess(tmp_path / "events.db", users_file)

    async def scenario():
        async with gateway_on(f"ws://127.0.0.1:{port}/ws", tokens["fred"]) as (gateway, url, dc09_port), \
                aiohttp.ClientSession() as session:
            reader, writer = await asyncio.open_connection("127.0.0.1", dc09_port)
            writer.write(dc09.sia("1234", "PA"))
            await writer.drain()
            await until(lambda: gateway.counters["dc09_not_acknowledged_onemap_unreachable"], "the panel not acked")
            status, answer = await post(session, url, {"device_id": "app-late", "kind": "panic", "lon": LON,
                                                       "lat": LAT})
            assert status == 202 and answer["status"] == "queued"
            await asyncio.to_thread(later.start, port)
            dispatcher = await DispatchClient.connect(later.url, tokens["alice"])
            await until(lambda: alarms_of(dispatcher, "app-late"), "the kept alarm, sent when OneMap was back")
            assert not alarms_of(dispatcher, "dc09:1234")  # the panel sends again; the gateway kept nothing
            assert await exchange(writer, reader, dc09.sia("1234", "PA", sequence=2)) == "ACK"  # and it did
            await until(lambda: alarms_of(dispatcher, "dc09:1234"), "the panel's alarm")
            writer.close()
            await dispatcher.close()

    try:
        asyncio.run(scenario())
    finally:
        later.kill()


def test_the_command_line_gateway_takes_both_and_reports_its_counters_on_exit(server, tokens, tmp_path):
    panels = f'[[panel]]\naccount = "ABC1"\nname = "Bank, Main Street"\nlon = {LON}\nlat = {LAT}\n'
    gateway = AlarmGatewayProcess(tmp_path, server.url, tokens["fred"], panels).start()
    try:
        wait_until(lambda: gateway.panel_sends(dc09.sia("ABC1", "HA"), timeout=1) == "ACK", 30,
                   "the panel acknowledged, once the gateway's feed link is up")
        status, answer = gateway.post({"device_id": "app-cli", "kind": "text", "lon": LON, "lat": LAT, "text": "hi"})
        assert status == 201 and answer["status"] == "raised"
    finally:
        out = gateway.stop()
    assert gateway.proc.returncode == 0
    counters = dict(item.split("=") for item in out.split("alarm gateway stopped:")[1].split())
    assert counters["http_alarm"] == "1" and counters["sent"] == "2"  # the panel's acknowledged alarm, the app's
    assert int(counters["dc09_alarm"]) == 1 + int(counters.get("dc09_not_acknowledged_onemap_unreachable", 0))
