"""The server's life: users and tokens, TLS, the endpoint path, clean stops, slow consumers, restarts."""
from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import subprocess
import sys

import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from dispatch.client import DispatchClient
from support.server import ROOT, ServerProcess


def test_users_add_prints_token_last_and_keeps_only_its_hash(tmp_path):
    users = tmp_path / "users.json"
    result = subprocess.run([sys.executable, "-m", "console.cli", "users", "add", "li.wei", "--role", "dispatcher",
                             "--users", str(users)], cwd=ROOT, capture_output=True, text=True, check=True)
    token = result.stdout.strip().splitlines()[-1]
    assert len(token) >= 40
    stored = users.read_text()
    assert token not in stored
    assert json.loads(stored)["users"]["li.wei"]["role"] == "dispatcher"
    again = subprocess.run([sys.executable, "-m", "console.cli", "users", "add", "li.wei", "--role", "viewer",
                            "--users", str(users)], cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 2 and "already exists" in again.stderr
    bad_role = subprocess.run([sys.executable, "-m", "console.cli", "users", "add", "x", "--role", "admin",
                               "--users", str(users)], cwd=ROOT, capture_output=True, text=True)
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr


def test_a_broken_city_pack_is_named_in_the_error(tmp_path, tokens):
    users_file, _ = tokens
    pack = tmp_path / "broken"
    pack.mkdir()
    (pack / "city.json").write_text("{}")
    result = subprocess.run([sys.executable, "-m", "console.cli", "server", "--city", str(pack), "--db",
                             str(tmp_path / "e.db"), "--users", str(users_file), "--port", "0"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "units" in result.stderr and "listening" not in result.stdout


def test_sigterm_stops_cleanly_and_a_restart_keeps_the_state(fresh_server, tokens):
    _, token = tokens

    async def work(url):
        client = await DispatchClient.connect(url, token["alice"])
        unit = sorted(client.state["units"])[0]
        created = await client.command("incident.create", kind="fire", priority=1, lon=24.94, lat=60.17)
        await client.command("unit.assign", unit_id=unit, incident_id=created["incident_id"])
        await client.wait_for_seq(client.seq)
        state, seq = client.state, client.seq
        await client.close()
        return state, seq

    async def read(url):
        client = await DispatchClient.connect(url, token["vic"])
        await client.close()
        return client.state, client.seq

    fresh_server.start()
    state, seq = asyncio.run(work(fresh_server.url))
    assert fresh_server.terminate() == 0
    assert "stopping" in "".join(fresh_server.stderr_lines)
    fresh_server.start()
    assert asyncio.run(read(fresh_server.url)) == (state, seq)


def test_only_the_ws_path_is_served(server):
    async def run():
        with pytest.raises(InvalidStatus) as refused:
            await connect(server.url.replace("/ws", "/other"))
        assert refused.value.response.status_code == 404
    asyncio.run(run())


@pytest.mark.parametrize("batch", [False, True], ids=["v1", "batch"])
def test_slow_consumer_is_cut_off_4408_without_stalling_others(fresh_server, tokens, batch):
    _, token = tokens
    fresh_server.start()

    def cut_off() -> bool:
        return any("too slow" in line for line in fresh_server.stderr_lines)

    async def run():
        # A console that stops reading: its socket buffers fill, then its queue, then the server closes it.
        stalled = await connect(fresh_server.url, max_size=None, compression=None)
        await stalled.send(orjson.dumps({"op": "hello", "token": token["vic"], "resume_from": None,
                                         "batch": batch}).decode())
        stalled.transport.pause_reading()
        healthy = await DispatchClient.connect(fresh_server.url, token["sam"])
        feeds = [await DispatchClient.connect(fresh_server.url, token["fred"], subscribe=False) for _ in range(3)]
        unit = sorted(healthy.state["units"])[0]
        deadline = asyncio.get_running_loop().time() + 120
        burst = 0
        while not cut_off():
            assert asyncio.get_running_loop().time() < deadline, "the stalled console was never cut off"
            assert fresh_server.alive(), "".join(fresh_server.stderr_lines[-30:])
            feed = feeds[burst % len(feeds)]
            replies = await asyncio.gather(*(feed.send_command(
                "unit.position", {"unit_id": unit, "lon": 24.94, "lat": 60.17 + (burst * 1000 + i) * 1e-7})
                for i in range(1000)))
            acked = [r["seq"] for r in replies if r["op"] == "ack"]
            if acked:
                await healthy.wait_for_seq(max(acked), timeout=5)  # the healthy console keeps up all along
            burst += 1
        stalled.transport.resume_reading()

        async def drain():
            with contextlib.suppress(ConnectionClosed):
                async for _ in stalled:
                    pass
        await asyncio.wait_for(drain(), 30)
        assert stalled.close_code == 4408
        assert not healthy.closed.is_set()
        await healthy.close()
        for feed in feeds:
            await feed.close()

    asyncio.run(run())


def test_tls(tmp_path, tokens):
    users_file, token = tokens
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    process = ServerProcess(tmp_path / "e.db", users_file, extra_args=("--cert", str(cert), "--key", str(key)))
    url = process.start()
    try:
        assert url.startswith("wss://")

        async def run():
            context = ssl.create_default_context(cafile=str(cert))
            client = await DispatchClient.connect(url, token["alice"], ssl=context)
            reply = await client.command("incident.create", kind="fire", priority=2, lon=24.94, lat=60.17)
            assert reply["op"] == "ack"
            await client.close()
            with pytest.raises(ssl.SSLCertVerificationError):
                await DispatchClient.connect(url, token["alice"], ssl=ssl.create_default_context())
        asyncio.run(run())
    finally:
        process.kill()


def test_events_that_come_with_the_welcome_reach_the_listener(fresh_server, tokens):
    # A resumed connection's history can arrive in the same read as the welcome; the reader folds it
    # before connect() returns to its caller, so the listener must be there from the start.
    _, token = tokens
    fresh_server.start()

    async def scenario() -> None:
        writer = await DispatchClient.connect(fresh_server.url, token["sam"], subscribe=False)
        for _ in range(50):
            await writer.command("incident.create", kind="x", priority=3, lon=24.94, lat=60.17)
        await writer.close()
        for resume_from in (0, 10, 49):
            heard: list[int] = []
            reader = await asyncio.wait_for(DispatchClient.connect(
                fresh_server.url, token["vic"], resume_from=resume_from, keep_state=False,
                on_event=lambda event: heard.append(event["seq"])), 10)
            await asyncio.sleep(0.1)  # a caller busy with the welcome (as the console is) must miss nothing
            await reader.wait_for_seq(50)
            await reader.close()
            assert heard == list(range(resume_from + 1, 51))

    asyncio.run(scenario())


def test_a_listener_that_fails_on_one_event_keeps_the_connection_and_hears_the_next(server, tokens):
    _, token = tokens

    async def scenario() -> None:
        heard: list[str] = []

        def listener(event: dict) -> None:
            if event["data"].get("kind") == "broken":
                raise RuntimeError("a bug in the listener")
            heard.append(event["data"].get("kind"))

        client = await DispatchClient.connect(server.url, token["alice"], on_event=listener)
        for kind in ("broken", "fire"):
            ack = await client.command("incident.create", kind=kind, priority=3, lon=24.94, lat=60.17)
        await client.wait_for_seq(ack["seq"])
        assert heard == ["fire"] and not client.closed.is_set()
        assert any(i["kind"] == "broken" for i in client.state["incidents"].values())  # the state has it all
        await client.close()

    asyncio.run(scenario())
