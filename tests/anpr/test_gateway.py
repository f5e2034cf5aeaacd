"""`onemap gateway anpr` as a process between OpenALPR webhooks (real HTTP, the documented bodies) and a real
server: a read on the watchlist reaches a dispatcher as a hit; a heartbeat, a bad body, a wrong token and an
unknown camera are answered and raise nothing."""
from __future__ import annotations

import asyncio
import copy
import signal
import subprocess
import sys

import aiohttp
import pytest

from dispatch.client import DispatchClient
from support.openalpr import AGENT, ALERT, GROUP, HEARTBEAT
from support.server import ROOT, ServerProcess, make_users

AGENT_TOKEN = "agent-token-for-the-tests-0123456789abcdef"


@pytest.fixture
def server(tmp_path):
    users = tmp_path / "users.json"
    tokens = make_users(users)
    process = ServerProcess(tmp_path / "events.db", users)
    process.start()
    yield process, tokens
    process.kill()


def start_gateway(tmp_path, server_url: str, feed_token: str) -> tuple[subprocess.Popen, int]:
    token_file, agent_token, cameras = tmp_path / "feed.token", tmp_path / "agent.token", tmp_path / "cameras.toml"
    token_file.write_text(feed_token)
    agent_token.write_text(AGENT_TOKEN)
    for path in (token_file, agent_token):
        path.chmod(0o600)
    cameras.write_text(f'[[camera]]\nagent_uid = "{AGENT}"\ncamera_id = {GROUP["camera_id"]}\ncheckpoint_id = "B02"\n')
    process = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "gateway", "anpr", "--server", server_url, "--token-file",
         str(token_file), "--listen", "tcp://127.0.0.1:0", "--agent-token-file", str(agent_token), "--cameras",
         str(cameras)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    assert " listening on " in line, process.stderr.read()
    return process, int(line.strip().rsplit(":", 1)[1])


def test_openalpr_reads_reach_the_dispatcher_as_hits_and_bad_posts_raise_nothing(server, tmp_path):
    server, tokens = server
    process, port = start_gateway(tmp_path, server.url, tokens["fred"])
    url = f"http://127.0.0.1:{port}/openalpr/{AGENT_TOKEN}"

    async def scenario():
        supervisor = await DispatchClient.connect(server.url, tokens["sam"])
        await supervisor.command("watchlist.add", pattern="粤S12345", category="stolen", reason="case 4412")
        dispatcher = await DispatchClient.connect(server.url, tokens["alice"])
        async with aiohttp.ClientSession() as session:
            async def post(body, to: str = url) -> int:
                async with session.post(to, data=body if isinstance(body, bytes) else None,
                                        json=None if isinstance(body, bytes) else body) as answer:
                    return answer.status
            assert await post(HEARTBEAT) == 200
            assert await post(b"{not json") == 400
            assert await post({**GROUP, "best_confidence": 250}) == 400
            assert await post(GROUP, url.replace(AGENT_TOKEN, "guess")) == 401
            assert await post({**GROUP, "camera_id": 1}) == 422  # at no checkpoint the gateway knows
            deadline = asyncio.get_running_loop().time() + 30
            while not dispatcher.state.get("hits"):  # until the gateway's feed link is up and the read through
                assert await post(GROUP) == 200
                assert asyncio.get_running_loop().time() < deadline, "no hit"
                await asyncio.sleep(0.2)
            alert = copy.deepcopy(ALERT)
            alert["plate_number"] = "粤S1Z345"  # the agent's own alert, with a look-alike read
            assert await post(alert) == 200
        deadline = asyncio.get_running_loop().time() + 20
        while not any(h["match"] == "lookalike" for h in dispatcher.state["hits"].values()):
            assert asyncio.get_running_loop().time() < deadline, "no look-alike hit"
            await asyncio.sleep(0.05)
        hit = dispatcher.state["hits"]["H1"]
        assert (hit["checkpoint_id"], hit["plate"], hit["match"], hit["entry_id"]) == ("B02", "粤S12345", "exact", "W1")
        assert hit["read_ts"] == "2018-10-07T15:01:53.527Z" and hit["direction"] == "286°"
        assert hit["image_url"] == f"http://127.0.0.1:8355/img/{GROUP['best_uuid']}.jpg"
        await supervisor.close()
        await dispatcher.close()

    try:
        asyncio.run(scenario())
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    counters = dict(item.split("=") for item in out.split("ANPR gateway stopped:")[1].split())
    assert (counters["heartbeat"], counters["bad_body"], counters["unauthorised"], counters["unknown_camera"]) == (
        "1", "2", "1", "1")
