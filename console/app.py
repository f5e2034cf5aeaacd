"""Starting the console: `onemap console` against a server, `onemap demo` with one of its own."""
from __future__ import annotations

import asyncio
import functools
import gc
import json
import os
import shlex
import shutil
import sys
import threading
from pathlib import Path

from PySide6.QtWidgets import QApplication

from console import i18n
from console.link import ServerLink
from console.window import MainWindow, settings

SECOND_DISPATCHER = "dispatcher2"
DEMO_INCIDENTS = (  # real addresses of the demo city (resources/cities/demo/places.csv)
    {"kind": "traffic accident", "priority": 2, "address": "Mannerheimintie 5",
     "note": "two cars, no injuries reported"},
    {"kind": "theft", "priority": 4, "address": "Aleksanterinkatu 52", "note": "bicycle taken outside the shop"},
    {"kind": "fight", "priority": 1, "address": "Pohjoisesplanadi 21", "note": "several people, one injured"},
)


# The console makes millions of short-lived dicts (every event is a new record) and few cycles: Python's
# default thresholds ran a full collection, 20-40 ms with a replay's keyframe cache, every half second.
GC_THRESHOLDS = (50_000, 50, 100)


def application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    gc.set_threshold(*GC_THRESHOLDS)
    app.setOrganizationName("OneMap")
    app.setApplicationName("console")
    return app


def open_console(url: str, token: str, city: str | None = None, language: str | None = None,
                 namespace: str = "live") -> MainWindow:
    """The console on `namespace`: the live desk, or a trainee's console in `exercise:NAME` (marked EXERCISE
    on every window: console/exercise.py); ValueError for any other namespace."""
    from console.cli import exercise_name
    from console.exercise import open_exercise

    exercise = exercise_name(namespace)
    app = application()
    i18n.install(app, language or settings().value("language", "system"))
    if exercise is not None:
        return open_exercise(url, token, exercise, city)
    window = MainWindow(ServerLink(url, token), city)
    # First start: the whole screen (the geometry too, for window managers that do not maximize); the
    # user's saved geometry replaces it once the server has said who the user is (MainWindow.restore_layout).
    window.setGeometry(window.screen().availableGeometry())
    window.showMaximized()
    return window


def run_console(url: str, token: str, city: str | None = None, language: str | None = None,
                namespace: str = "live") -> int:
    app = application()
    open_console(url, token, city, language, namespace)
    return app.exec()


def run_replay(db: str | None, server: str | None, token: str | None, namespace: str,
               start: float | None, end: float | None, language: str | None = None, city: str | None = None) -> int:
    from console.replay_window import open_log_replay, open_server_replay

    app = application()
    i18n.install(app, language or settings().value("language", "system"))
    if db is not None:
        window = open_log_replay(db, namespace, start, end, city)
    else:
        window = open_server_replay(server, token, namespace, start, end)
    window.replay.failed.connect(lambda words: print(f"onemap replay: {words}", file=sys.stderr))
    return app.exec()


DEMO_USERS = (("dispatcher", "dispatcher"), ("supervisor", "supervisor"), ("avl", "feed"), ("camera-probe", "feed"))


class EmbeddedServer:
    """A dispatch server on its own thread and event loop, with the demo's patrol feed, camera streams
    and camera prober."""

    def __init__(self, city_name: str, data_dir: Path):
        from dispatch.users import add_user, list_users, remove_user

        self.city_name = city_name
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.users_file = data_dir / "users.json"
        tokens_file = data_dir / "tokens.json"
        tokens = json.loads(tokens_file.read_text()) if tokens_file.exists() else {}
        missing = [(name, role) for name, role in DEMO_USERS if name not in tokens]  # also for older demo folders
        if missing:
            tokens.update({name: add_user(self.users_file, name, role) for name, role in missing})
            fresh = tokens_file.with_suffix(".new")
            fresh.unlink(missing_ok=True)
            with os.fdopen(os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
                json.dump(tokens, out)  # never readable by others, not even for a moment
            fresh.replace(tokens_file)
        self.tokens = tokens
        # A second dispatcher for a second console (`onemap console --token-file`), made once per data
        # folder; a deleted token file gets its user a new token.
        self.second_token_file = data_dir / "dispatcher2.token"
        if not self.second_token_file.exists():
            if SECOND_DISPATCHER in dict(list_users(self.users_file)):
                remove_user(self.users_file, SECOND_DISPATCHER)
            add_user(self.users_file, SECOND_DISPATCHER, "dispatcher", self.second_token_file)
        self.url = ""
        self.streams = None  # the DemoStreams, once the server runs
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
        from dispatch.city_state import centre_of, initial_state
        from dispatch.client import DispatchClient
        from dispatch.procedures import disposition_codes
        from dispatch.nearby import Nearby
        from dispatch.server import DispatchServer
        from dispatch.store import EventStore
        from dispatch.simulate import DEMO_TURNOUT_S, SimulationFeed, UnitSimulator
        from layers.citypack import load_city
        from layers.geocode import Geocoder, NoSuchPlace

        self._stopping = asyncio.Event()
        try:
            city = load_city(self.city_name)
            server = DispatchServer(functools.partial(EventStore, self.data_dir / "events.db"), self.users_file,
                                    initial_state(city), city.grid_at, city_name=city.name,
                                    dispositions=disposition_codes(city.meta["dispositions"]), centre=centre_of(city),
                                    nearby=Nearby.of_city(city))
            host, port = await server.start("127.0.0.1", 0)
        except BaseException as exc:  # shown to the user by start()
            self._failure = exc
            self._ready.set()
            return
        self.url = f"ws://{host}:{port}/ws"
        caller = await DispatchClient.connect(self.url, self.tokens["supervisor"], subscribe=False)
        if caller.seq == 0:  # a new demo: a few calls waiting for the dispatcher
            geocoder = Geocoder(city.streets, city.places, city.areas)
            for call in DEMO_INCIDENTS:
                try:
                    place = geocoder.resolve(call["address"])
                except NoSuchPlace:  # another city than the demo's
                    continue
                await caller.command("incident.create", **{**call, "address": place.label}, lon=place.lon,
                                     lat=place.lat)
        await caller.close()
        simulator = UnitSimulator(city.streets, turnout_s=DEMO_TURNOUT_S)
        units = asyncio.create_task(SimulationFeed(self.url, self.tokens["avl"], simulator).run(self._stopping))
        cameras = asyncio.create_task(self._cameras(city))
        self._ready.set()
        await self._stopping.wait()
        await units
        await cameras
        await server.stop()

    async def _cameras(self, city) -> None:
        """Real streams for the cameras nearest the centre, then the prober that observes every camera."""
        from dispatch.camera_probe import run_camera_probe
        from video.loopback_streams import DemoStreams

        self.streams = DemoStreams([(row.camera_id, row.stream_url, row.geometry.x, row.geometry.y)
                                    for row in city.cameras.itertuples()], city.meta["center"])
        problem = await asyncio.to_thread(self.streams.start)
        if problem:
            print(f"demo: no camera video ({problem}); the demo runs on without it", file=sys.stderr, flush=True)
        else:
            print(f"demo: {len(self.streams.paths)} cameras stream on 127.0.0.1:{self.streams.port}", flush=True)
        try:
            await run_camera_probe(self.url, self.tokens["camera-probe"], stop=self._stopping)
        finally:
            self.streams.stop()


def onemap_command() -> str:
    """How to run `onemap` from a shell: the bare name when PATH finds this installation's, else its path."""
    beside = Path(sys.executable).with_name("onemap")
    found = shutil.which("onemap")
    if not beside.exists() or (found is not None and os.path.samefile(found, beside)):
        return "onemap"
    return shlex.quote(str(beside))


def run_demo(data_dir: Path, language: str | None = None) -> int:
    server = EmbeddedServer("demo", data_dir)
    url = server.start()
    print(f"demo server on {url}; data in {data_dir}")
    print("to open a second console on this demo, run:")
    token_file = shlex.quote(str(server.second_token_file.resolve()))
    print(f"{onemap_command()} console --server {url} --token-file {token_file}", flush=True)
    try:
        return run_console(url, server.tokens["dispatcher"], "demo", language)
    finally:
        server.stop()
