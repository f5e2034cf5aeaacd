from __future__ import annotations

import pytest

from support.server import ServerProcess, make_users


@pytest.fixture(scope="module")
def tokens(tmp_path_factory):
    path = tmp_path_factory.mktemp("users") / "users.json"
    return path, make_users(path)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory, tokens):
    """One server process on the demo city for the module's tests, on each store: the protocol suite runs
    unchanged against a SQLite log and a PostgreSQL one."""
    users_file, _ = tokens
    log = (tmp_path_factory.mktemp("db") / "events.db" if request.param == "sqlite"
           else request.getfixturevalue("postgres").new_database())
    process = ServerProcess(log, users_file)
    process.start()
    yield process
    process.kill()


@pytest.fixture
def fresh_server(tmp_path, tokens):
    """A server of the test's own, with an empty event log."""
    users_file, _ = tokens
    process = ServerProcess(tmp_path / "events.db", users_file)
    yield process
    process.kill()


@pytest.fixture(params=["sqlite", "postgresql"])
def server_on_each_store(request, tmp_path, tokens):
    """A server of the test's own (not started), with an empty log on each store: SQLite, and PostgreSQL."""
    users_file, _ = tokens
    log = tmp_path / "events.db" if request.param == "sqlite" else request.getfixturevalue("postgres").new_database()
    process = ServerProcess(log, users_file)
    yield process
    process.kill()
