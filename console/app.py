"""Starting the console: `onemap console` against a server, `onemap demo` with one of its own."""
from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
from pathlib import Path

from PySide6.QtWidgets import QApplication

from console import i18n
from console.window import MainWindow, settings

DEMO_INCIDENTS = (
    {"kind": "traffic accident", "priority": 2, "address": "Mannerheimintie", "note": "two cars, no injuries reported"},
    {"kind": "theft", "priority": 4, "address": "Aleksanterinkatu", "note": "bicycle taken outside the shop"},
    {"kind": "fight", "priority": 1, "address": "Esplanadi", "note": "several people, one injured"},
)


def application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("OneMap")
    app.setApplicationName("console")
    return app


def open_console(url: str, token: str, city: str | None = None, language: str | None = None) -> MainWindow:
    app = application()
    i18n.install(app, language or settings().value("language", "system"))
    window = MainWindow(url, token, city)
    window.resize(1600, 1000)
    window.show()
    return window


def run_console(url: str, token: str, city: str | None = None, language: str | None = None) -> int:
    app = application()
    open_console(url, token, city, language)
    return app.exec()


class EmbeddedServer:
    """A dispatch server on its own thread and event loop, with the demo's patrol feed."""

    def __init__(self, city_name: str, data_dir: Path):
        from dispatch.users import add_user

        self.city_name = city_name
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        tokens_file = data_dir / "tokens.json"
        if not tokens_file.exists():
            users_file = data_dir / "users.json"
            tokens = {name: add_user(users_file, name, role)
                      for name, role in (("dispatcher", "dispatcher"), ("supervisor", "supervisor"), ("avl", "feed"))}
            tokens_file.write_text(json.dumps(tokens))
            os.chmod(tokens_file, 0o600)
        self.tokens = json.loads(tokens_file.read_text())
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="embedded-server", daemon=True)

    def start(self) -> str:
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            raise self._failure
        return self.url

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=15)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        from dispatch.city_state import initial_state
        from dispatch.client import DispatchClient
        from dispatch.procedures import disposition_codes
        from dispatch.server import DispatchServer
        from dispatch.simulate import run_patrols
        from dispatch.users import Users
        from console.typed import StreetIndex
        from layers.citypack import load_city

        self._stopping = asyncio.Event()
        try:
            city = load_city(self.city_name)
            server = DispatchServer(str(self.data_dir / "events.db"), Users.load(self.data_dir / "users.json"),
                                    initial_state(city), city.grid_at, city_name=city.name,
                                    dispositions=disposition_codes(city.meta["dispositions"]))
            host, port = await server.start("127.0.0.1", 0)
        except BaseException as exc:  # shown to the user by start()
            self._failure = exc
            self._ready.set()
            return
        self.url = f"ws://{host}:{port}/ws"
        caller = await DispatchClient.connect(self.url, self.tokens["supervisor"], subscribe=False)
        if caller.seq == 0:  # a new demo: a few calls waiting for the dispatcher
            streets = StreetIndex(city.streets)
            for call in DEMO_INCIDENTS:
                place = streets.find(call["address"])
                if place is not None:
                    await caller.command("incident.create", **call, lon=place[1], lat=place[2])
        await caller.close()
        patrols = asyncio.create_task(run_patrols(self.url, self.tokens["avl"], city.streets, stop=self._stopping))
        self._ready.set()
        await self._stopping.wait()
        await patrols
        await server.stop()


def run_demo(data_dir: Path, language: str | None = None) -> int:
    server = EmbeddedServer("demo", data_dir)
    url = server.start()
    print(f"demo server on {url}; data in {data_dir}", flush=True)
    try:
        return run_console(url, server.tokens["dispatcher"], "demo", language)
    finally:
        server.stop()
