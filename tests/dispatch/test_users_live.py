"""Users and tokens without restarts: a running `onemap server` follows its users file as `onemap users`
changes it, and tokens never travel on a command line."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import pytest

from console.cli import console_token
from dispatch.client import DispatchClient, Refused
from dispatch.users import read_token_file
from support.server import ROOT, ServerProcess, make_users

REVOKE_WITHIN_S = 2.0


def onemap(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "console.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, **kwargs)


@pytest.fixture(scope="module")
def users_server(tmp_path_factory):
    """A server of this module's own on a users file that its tests change."""
    folder = tmp_path_factory.mktemp("live-users")
    users_file = folder / "users.json"
    tokens = make_users(users_file, {"alice": "dispatcher", "sam": "supervisor"})
    process = ServerProcess(folder / "events.db", users_file)
    process.start()
    yield process, users_file, tokens
    process.kill()


async def connect_within(url: str, token: str, seconds: float) -> DispatchClient:
    """Connect, retrying refusals until the deadline: the server reads its users file about once a second."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await DispatchClient.connect(url, token, subscribe=False)
        except Refused:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


async def still_serves(url: str, token: str) -> None:
    client = await DispatchClient.connect(url, token, subscribe=False)
    reply = await client.command("incident.create", kind="fire", priority=2, lon=24.94, lat=60.17)
    assert reply["op"] == "ack", reply
    await client.close()


def replace_json(path, change) -> None:
    """Rewrite the users file the way an editor or a script might (atomically, as `onemap users` does)."""
    raw = json.loads(path.read_text())
    change(raw["users"])
    tmp = path.with_name("edited.tmp")
    tmp.write_text(json.dumps(raw))
    os.replace(tmp, path)


def test_a_user_added_by_users_add_connects_without_a_restart(users_server, tmp_path):
    server, users_file, _ = users_server
    token_file = tmp_path / "carol.token"
    added = onemap("users", "add", "carol", "--role", "viewer", "--users", str(users_file),
                   "--token-file", str(token_file))
    assert added.returncode == 0, added.stderr
    token = read_token_file(token_file)
    assert token not in added.stdout and oct(token_file.stat().st_mode & 0o777) == "0o600"

    async def run():
        client = await connect_within(server.url, token, seconds=5)
        assert (client.user, client.role) == ("carol", "viewer")
        await client.close()
    asyncio.run(run())
    assert server.alive()


@pytest.mark.parametrize("revocation", ["removed", "token changed", "role changed"])
def test_a_revoked_users_open_connection_is_closed_4401_within_2_s(users_server, tmp_path, revocation):
    server, users_file, tokens = users_server
    name = f"dan-{revocation.split()[0]}"
    token = onemap("users", "add", name, "--role", "dispatcher", "--users", str(users_file)).stdout.splitlines()[-1]

    async def run():
        revoked = await connect_within(server.url, token, seconds=5)
        watching = await DispatchClient.connect(server.url, tokens["sam"])  # another user, subscribed
        began = time.monotonic()
        if revocation == "removed":
            assert onemap("users", "remove", name, "--users", str(users_file)).returncode == 0
        elif revocation == "token changed":
            replace_json(users_file, lambda users: users[name].update(token_sha256="0" * 64))
        else:
            replace_json(users_file, lambda users: users[name].update(role="viewer"))
        await asyncio.wait_for(revoked.closed.wait(), 10)
        assert time.monotonic() - began < REVOKE_WITHIN_S
        assert revoked.close_code == 4401
        assert [e["code"] for e in revoked.errors] == ["unauthorized"]
        if revocation == "role changed":  # the token still holds, for the new role only
            again = await DispatchClient.connect(server.url, token, subscribe=False)
            assert again.role == "viewer"
            await again.close()
        else:
            with pytest.raises(Refused) as refused:
                await DispatchClient.connect(server.url, token)
            assert (refused.value.code, refused.value.close_code) == ("unauthorized", 4401)
        assert not watching.closed.is_set()
        await still_serves(server.url, tokens["alice"])
        await watching.close()
    asyncio.run(run())


def test_a_broken_users_file_keeps_the_server_and_the_last_good_users(users_server):
    server, users_file, tokens = users_server
    good = users_file.read_text()

    async def run():
        open_connection = await DispatchClient.connect(server.url, tokens["alice"])
        errors_before = sum("keeping the users read before" in line for line in server.stderr_lines)
        users_file.write_text(good[:len(good) // 2])  # half written, in place: what a careless writer leaves
        deadline = time.monotonic() + 10
        while sum("keeping the users read before" in line for line in server.stderr_lines) == errors_before:
            assert time.monotonic() < deadline, "the broken users file was never reported"
            await asyncio.sleep(0.05)
        assert server.alive()
        assert not open_connection.closed.is_set()
        await still_serves(server.url, tokens["sam"])
        reported = [line for line in server.stderr_lines if "keeping the users read before" in line][-1]
        assert f"users file {users_file} is unreadable" in reported
        # Mended, it is read again: a user added to the mended file connects.
        users_file.write_text(good)
        token = onemap("users", "add", "erin", "--role", "viewer", "--users", str(users_file)).stdout.splitlines()[-1]
        client = await connect_within(server.url, token, seconds=5)
        await client.close()
        await open_connection.close()
    asyncio.run(run())


def test_users_list_shows_names_and_roles_never_tokens(tmp_path):
    users_file = tmp_path / "users.json"
    tokens = make_users(users_file, {"vic": "viewer", "alice": "dispatcher"})
    listed = onemap("users", "list", "--users", str(users_file))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == ["alice\tdispatcher", "vic\tviewer"]
    stored = json.loads(users_file.read_text())["users"]
    for name, token in tokens.items():
        assert token not in listed.stdout and stored[name]["token_sha256"] not in listed.stdout
    missing = onemap("users", "remove", "nobody", "--users", str(users_file))
    assert missing.returncode == 2 and "no user 'nobody'" in missing.stderr


def test_users_add_never_overwrites_a_token_file_and_then_adds_no_one(tmp_path):
    users_file, token_file = tmp_path / "users.json", tmp_path / "kept.token"
    token_file.write_text("someone else's token\n")
    refused = onemap("users", "add", "frank", "--role", "viewer", "--users", str(users_file),
                     "--token-file", str(token_file))
    assert refused.returncode == 2 and "already exists" in refused.stderr
    assert token_file.read_text() == "someone else's token\n"
    assert not users_file.exists()


def test_a_token_file_readable_by_others_is_refused(tmp_path):
    token_file = tmp_path / "open.token"
    token_file.write_text("t0ken\n")
    token_file.chmod(0o644)
    refused = onemap("console", "--server", "ws://127.0.0.1:9/ws", "--token-file", str(token_file),
                     stdin=subprocess.DEVNULL)
    assert refused.returncode == 2
    assert "too open" in refused.stderr and f"chmod 600 {token_file}" in refused.stderr
    assert "t0ken" not in refused.stderr + refused.stdout


def test_a_console_without_a_token_says_where_to_give_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ONEMAP_TOKEN"}
    refused = onemap("console", "--server", "ws://127.0.0.1:9/ws", stdin=subprocess.DEVNULL, env=env)
    assert refused.returncode == 2
    assert "--token-file" in refused.stderr and "ONEMAP_TOKEN" in refused.stderr
    removed = onemap("console", "--server", "ws://127.0.0.1:9/ws", "--token", "t0ken", stdin=subprocess.DEVNULL)
    assert removed.returncode == 2 and "unrecognized arguments: --token" in removed.stderr


def test_the_token_comes_from_the_token_file_else_onemap_token(tmp_path, monkeypatch):
    token_file = tmp_path / "mine.token"
    token_file.write_text("from-the-file\n")
    token_file.chmod(0o600)
    monkeypatch.setenv("ONEMAP_TOKEN", "from-the-environment")
    assert console_token(str(token_file), "ws://x/ws") == "from-the-file"
    assert console_token(None, "ws://x/ws") == "from-the-environment"


def test_users_added_and_removed_at_once_by_several_processes_are_all_kept(tmp_path):
    users_file = tmp_path / "users.json"
    make_users(users_file, {f"old{k}": "viewer" for k in range(6)})
    # The change itself is slowed (a sleep between read and write), so unlocked changes would overlap.
    slow = ("import sys, time, dispatch.users as u\n"
            "write = u._write_entries\n"
            "u._write_entries = lambda p, e: (time.sleep(0.2), write(p, e))\n"
            "u.add_user(sys.argv[1], sys.argv[2], 'viewer') if sys.argv[3] == 'add' else u.remove_user(sys.argv[1], sys.argv[2])\n")
    changes = [(f"new{k}", "add") for k in range(6)] + [(f"old{k}", "remove") for k in range(3)]
    procs = [subprocess.Popen([sys.executable, "-c", slow, str(users_file), name, what], cwd=ROOT) for name, what in changes]
    assert [p.wait(timeout=60) for p in procs] == [0] * len(procs)
    names = set(json.loads(users_file.read_text())["users"])
    assert names == {f"new{k}" for k in range(6)} | {f"old{k}" for k in range(3, 6)}
