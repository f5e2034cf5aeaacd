"""The `onemap` command line. Each subcommand imports only what it needs, so the server never loads Qt."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Names and constants only: what runs is imported when it runs.
from dispatch.domain import ROLES
from dispatch.event_store import StoreError
from dispatch.retention import DEFAULT_PLATE_RETENTION_DAYS
from tak import DEFAULT_UNIT_RANGE_KM


def _users_add(args: argparse.Namespace) -> int:
    from dispatch.users import add_user

    token = add_user(args.users, args.name, args.role, args.token_file, cells=args.cells)
    if args.token_file:
        print(f"added {args.name} ({args.role}) to {args.users}; the token is in {args.token_file} (mode 0600)")
    else:
        print(f"added {args.name} ({args.role}) to {args.users}; the token is shown once:")
        print(token)
    return 0


def _users_remove(args: argparse.Namespace) -> int:
    from dispatch.users import remove_user

    remove_user(args.users, args.name)
    print(f"removed {args.name} from {args.users}; a server using it closes their connections")
    return 0


def _users_list(args: argparse.Namespace) -> int:
    from dispatch.users import list_users

    for name, role in list_users(args.users):
        print(f"{name}\t{role}")
    return 0


def _positive(unit: str):
    """An argparse type: a finite number of `unit` above 0 (a fraction is allowed)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of {unit}") from None
        if not 0 < value < float("inf"):
            raise argparse.ArgumentTypeError(f"{text} must be a number of {unit} above 0")
        return value
    return parse


def _store_spec(text: str) -> str:
    """An argparse type: a store URL `dispatch.stores` can open."""
    from dispatch.stores import store_factory

    try:
        store_factory(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _server(args: argparse.Namespace) -> int:
    import uvloop  # a faster event loop: the server's time goes to socket reads and writes

    from dispatch.run import serve_city

    if args.reports_dir is not None:
        try:  # said now, not at the first period's end
            Path(args.reports_dir).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            print(f"onemap server: --reports-dir {args.reports_dir}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    uvloop.run(serve_city(args.city, args.store or args.db, args.users, args.host, args.port, args.cert, args.key,
                          realert_s=args.realert_s, plate_retention_days=args.plate_retention_days,
                          reports_dir=args.reports_dir))
    return 0


def _city_from_osm(args: argparse.Namespace) -> int:
    from layers.osm_import import build_city_from_osm

    out = build_city_from_osm(args.pbf, args.out, args.name)
    print(f"city pack written to {out}")
    return 0


def console_token(token_file: str | None, server: str) -> str:
    """The token from --token-file, else ONEMAP_TOKEN, else asked for at a terminal: never the command line,
    which every local user can read in `ps`."""
    import getpass
    import os

    from dispatch.users import read_token_file

    if token_file:
        return read_token_file(token_file)
    if os.environ.get("ONEMAP_TOKEN", "").strip():
        return os.environ["ONEMAP_TOKEN"].strip()
    if sys.stdin.isatty():
        token = getpass.getpass(f"token for {server}: ").strip()
        if token:
            return token
    raise ValueError("no token: give --token-file FILE (readable only by you), set ONEMAP_TOKEN, "
                     "or start from a terminal to be asked for it")


def exercise_name(namespace: str) -> str | None:
    """NAME of `exercise:NAME`, None for live; ValueError naming the namespace for anything else."""
    from dispatch.domain import EXERCISE_PREFIX, LIVE, valid_namespace

    if not valid_namespace(namespace):
        raise ValueError(f"namespace {namespace!r}: give live or exercise:NAME "
                         "(NAME: 1-64 letters, digits, '-', '_' or '.')")
    return None if namespace == LIVE else namespace.removeprefix(EXERCISE_PREFIX)


def _console(args: argparse.Namespace) -> int:
    exercise_name(args.namespace)  # refused before a token is asked for or Qt starts
    token = console_token(args.token_file, args.server)
    from console.app import run_console  # Qt only once there is a token

    return run_console(args.server, token, args.city, args.language, args.namespace)


def _replay(args: argparse.Namespace) -> int:
    from reports.times import machine_zone, parse_time

    start = parse_time(args.start, machine_zone(), "--from") if args.start else None
    end = parse_time(args.end, machine_zone(), "--to") if args.end else None
    if start is not None and end is not None and end <= start:
        raise ValueError(f"--to ({args.end}) is not after --from ({args.start})")
    if (args.db is None) == (args.server is None):
        raise ValueError("give either --db PATH (a copy of an event log) or --server URL")
    if args.db is not None:
        if not Path(args.db).is_file():
            raise ValueError(f"no event log at {args.db}")
        token = None
    else:
        token = console_token(args.token_file, args.server)
    from console.app import run_replay  # Qt only once the arguments hold

    return run_replay(args.db, args.server, token, args.namespace, start, end, args.language, args.city)


def _keyframes(args: argparse.Namespace) -> int:
    from dispatch.keyframes import build_keyframes
    from dispatch.store import EventStore

    if not Path(args.db).is_file():
        raise ValueError(f"no event log at {args.db}")
    store = EventStore(args.db)
    try:
        initial = None
        if args.city:
            from dispatch.city_state import initial_state
            from layers.citypack import load_city

            city = load_city(args.city)
            initial = initial_state(city)
            if store.meta("city") is None:
                store.set_meta("city", city.name)
        for namespace in [args.namespace] if args.namespace else store.namespaces():
            build_keyframes(store, namespace, initial, progress=lambda line: print(line, flush=True))
    finally:
        store.close()
    return 0


def _import_cad(args: argparse.Namespace) -> int:
    from dispatch.cad_import import import_cad

    result = import_cad(args.file, args.mapping, args.db, args.namespace, None if args.city == "none" else args.city,
                        progress=lambda line: print(line, file=sys.stderr, flush=True))
    for line in result.lines():
        print(line)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from console.app import run_demo

    return run_demo(Path(args.data).expanduser(), args.language)


def _report(args: argparse.Namespace) -> int:
    from reports.export import write_report
    from reports.times import machine_zone, parse_time, zone_named

    zone = zone_named(args.tz) if args.tz else machine_zone()
    start, end = parse_time(args.start, zone, "--from"), parse_time(args.end, zone, "--to")
    city = None
    if args.city:
        from layers.citypack import load_city

        city = load_city(args.city)

    def progress(done: float, words: str) -> None:
        print(f"{done:4.0%} {words}", file=sys.stderr)

    shown = progress if sys.stderr.isatty() else None  # a script reads only the files written, or the error
    for path in write_report(args.db, args.namespace, start, end, args.out, shown, zone=zone, city=city):
        print(path)
    return 0


def _export(args: argparse.Namespace) -> int:
    from reports.gis import write_gis
    from reports.times import machine_zone, parse_time, zone_named

    zone = zone_named(args.tz) if args.tz else machine_zone()
    start, end = parse_time(args.start, zone, "--from"), parse_time(args.end, zone, "--to")
    city = None
    if args.city:
        from layers.citypack import load_city

        city = load_city(args.city)

    def progress(done: float, words: str) -> None:
        print(f"{done:4.0%} {words}", file=sys.stderr)

    shown = progress if sys.stderr.isatty() else None  # as `report`: a script reads the file, or the error
    print(write_gis(args.db, args.namespace, start, end, args.format, args.out, shown, city=city))
    return 0


def _stats(args: argparse.Namespace) -> int:
    from reports.stats import resolve_period, stats_of_log
    from reports.times import machine_zone, zone_named

    if (args.db is None) == (args.store is None):
        raise ValueError("give either --db PATH (an event log file) or --store URL")
    zone = zone_named(args.tz) if args.tz else machine_zone()
    period = resolve_period(args.period, args.at, zone)

    def progress(done: float, words: str) -> None:
        print(f"{done:4.0%} {words}", file=sys.stderr)

    shown = progress if sys.stderr.isatty() else None  # as `report`: a timer's job reads the files, or the error
    out = args.out.replace("{label}", period.label)  # a timer's --at previous: a folder of each period's own
    for path in stats_of_log(args.db, args.store, args.namespace, period, zone, out, shown, rollups_path=args.rollups):
        print(path)
    return 0


def _drill_run(args: argparse.Namespace) -> int:
    from drills.runner import DrillRunner, load_scenario

    if args.scenario is None and args.hours is None:
        print("onemap drill run: give an MSEL, or --hours for a drill of generated load only", file=sys.stderr)
        return 2
    for name, value in (("--hours", args.hours), ("--load-scale", args.load_scale)):
        if value is not None and not value > 0:
            print(f"onemap drill run: {name} must be more than 0, not {value:g}", file=sys.stderr)
            return 2
    token = console_token(args.token_file, args.server)

    async def run() -> None:
        import asyncio

        runner = await DrillRunner.connect(args.server, token, args.name, say=lambda line: print(line, flush=True))
        try:
            scenario = load_scenario(args.scenario, args.city or runner.client.welcome["city"])
            last_row = max((row.scenario_s for row in scenario.msel.rows), default=0)
            end_s = None if args.hours is None else args.hours * 3600.0
            profile = None
            background = ()
            if args.load or args.units:
                from drills.load import sf_profile

                profile = sf_profile()
            if args.load:
                from drills.load import generate_calls, street_sampler

                background = generate_calls(profile, start_hour=args.load_start_hour,
                                            duration_s=end_s if end_s is not None else last_row, seed=args.load_seed,
                                            street_point=street_sampler(scenario.city.streets),
                                            rate_scale=args.load_scale)
                print(f"{runner.namespace}: {len(background)} generated calls", flush=True)
            drill = runner.run(scenario, args.speed, resume=args.resume, background=background, end_s=end_s)
            if not args.units:
                await drill
                return
            from dispatch.simulate import SimulationFeed, UnitSimulator
            from drills.fleet import DrillFleet

            stop = asyncio.Event()
            # The fleet steps on a thread: the loop (the injects) takes the GIL back within 1 ms, not 5.
            sys.setswitchinterval(0.001)
            fleet = DrillFleet(UnitSimulator(scenario.city.streets, seed=args.units_seed), runner, profile,
                               seed=args.units_seed)
            units = asyncio.ensure_future(SimulationFeed(args.server, token, fleet, namespace=runner.namespace).run(stop))
            try:
                if not args.resume:  # the units' first plans are made before the drill starts (DrillFleet.step)
                    primed = asyncio.ensure_future(fleet.primed.wait())
                    await asyncio.wait([primed, units], timeout=60, return_when=asyncio.FIRST_COMPLETED)
                    primed.cancel()
                await drill
            finally:
                stop.set()
                await units
        finally:
            await runner.close()

    return _drill_session(run)


def _serve_gateway(command: str, name: str, start) -> int:
    """`start(stop)` (a coroutine that runs a gateway until `stop` is set, then returns it) until SIGINT or
    SIGTERM, then its counters. A bad table, token file or endpoint (a ValueError, as the gateways' tables
    and dispatch.users raise them) is said in one line (exit 2)."""
    import asyncio
    import logging
    import signal

    import uvloop  # as the server: a gateway's time goes to socket reads and writes (2,000 TAK devices)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        gateway = await start(stop)
        print(f"{name} stopped: {gateway.stats_line()}", flush=True)

    try:
        uvloop.run(run())
    except ValueError as exc:
        print(f"onemap gateway {command}: {exc}", file=sys.stderr)
        return 2
    return 0


def _gateway_alarms(args: argparse.Namespace) -> int:
    exercise_name(args.namespace)
    if not (args.http or args.dc09):
        print("onemap gateway alarms: give --http, --dc09 or both: where the alarms come from", file=sys.stderr)
        return 2
    if args.http and not args.app_tokens:
        print("onemap gateway alarms: --http needs --app-tokens (the panic apps' tokens)", file=sys.stderr)
        return 2
    token = console_token(args.token_file, args.server)
    from alarms.gateway import AlarmGatewayOptions, run_alarm_gateway

    options = AlarmGatewayOptions(args.server, token, args.namespace, args.http, args.app_tokens, args.dc09,
                                  args.panels, args.city)
    return _serve_gateway("alarms", "alarm gateway", lambda stop: run_alarm_gateway(options, stop))


def _gateway_anpr(args: argparse.Namespace) -> int:
    token = console_token(args.token_file, args.server)
    from anpr.gateway import AnprGatewayOptions, run_anpr_gateway
    from dispatch.users import read_token_file

    async def start(stop):
        options = AnprGatewayOptions(args.server, token, args.listen, read_token_file(args.agent_token_file),
                                     args.cameras, args.city)
        return await run_anpr_gateway(options, stop)
    return _serve_gateway("anpr", "ANPR gateway", start)


def _gateway_cot(args: argparse.Namespace) -> int:
    exercise_name(args.namespace)
    if not (args.listen or args.connect or args.multicast is not None):
        print("onemap gateway cot: give --listen, --connect or --multicast: where the TAK devices are",
              file=sys.stderr)
        return 2
    token = console_token(args.token_file, args.server)
    from tak.gateway import GatewayOptions, run_gateway

    options = GatewayOptions(args.server, token, args.namespace, tuple(args.listen), args.connect, args.cert,
                             args.key, args.ca, args.multicast, args.multicast_interface, args.devices, args.city,
                             args.callsign, args.unit_range_km)
    return _serve_gateway("cot", "CoT gateway", lambda stop: run_gateway(options, stop))


def _drill_control(args: argparse.Namespace) -> int:
    from drills.runner import control

    token = console_token(args.token_file, args.server)
    cmd, extra = {"pause": ("drill.pause", {}), "resume": ("drill.resume", {}),
                  "speed": ("drill.set_speed", {"speed": getattr(args, "speed", None)})}[args.drill_command]

    async def send() -> None:
        reply = await control(args.server, token, args.name, cmd, **extra)
        print(f"exercise:{args.name}: {cmd} done (seq {reply['seq']})")

    return _drill_session(send)


def _drill_panel(args: argparse.Namespace) -> int:
    if not Path(args.scenario).is_file():
        raise ValueError(f"no MSEL at {args.scenario}")
    token = console_token(args.token_file, args.server)
    from console.trainer import run_panel  # Qt only once there is a token

    return run_panel(args.scenario, args.server, token, args.name, token_file=args.token_file, city=args.city,
                     language=args.language)


def _drill_session(work) -> int:
    """Run a drill client's coroutine; what the server refused (or a lost connection) in one line, exit 2."""
    import asyncio

    from dispatch.client import Disconnected, Refused
    from drills.runner import DrillError

    try:
        asyncio.run(work())
    except (DrillError, Refused, Disconnected) as exc:
        print(f"onemap drill: {exc}", file=sys.stderr)
        return 2
    return 0


def _drill_score(args: argparse.Namespace) -> int:
    from drills.clock import DrillClock
    from drills.score import score, write_scorecard
    from reports.export import open_log

    store, history, last_seq = open_log(Path(args.db), args.namespace)
    try:
        events = list(history.events(0, last_seq))
        city_name = args.city or history.city()
    finally:
        store.close()
    msel, unit_kinds = None, None
    if args.msel:
        from drills.runner import load_scenario

        if city_name is None:
            raise ValueError(f"{args.db} does not name its city: give --city")
        scenario = load_scenario(args.msel, city_name)
        msel, unit_kinds = scenario.msel, scenario.unit_kinds
    card = score(events, msel, unit_kinds)
    for path in write_scorecard(card, args.out, args.namespace, DrillClock(events).start_wall):
        print(path)
    return 0


def _wall(argv: list[str]) -> int:
    from video.wall_app import main

    return main(argv)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onemap", description="OneMap command-and-dispatch console")
    sub = parser.add_subparsers(dest="command", required=True)

    users = sub.add_parser("users", help="manage users and tokens")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="add a user; prints the new token as the last line, or writes it "
                                                 "to --token-file")
    add.add_argument("name")
    add.add_argument("--role", required=True,
                     choices=ROLES)
    add.add_argument("--users", required=True, help="the users file (JSON; created if absent)")
    add.add_argument("--cells", type=lambda text: [cell.strip() for cell in text.split(",") if cell.strip()],
                     help="a grid officer's grid cells, comma-separated (G001,G002): where it may verify cases")
    add.add_argument("--token-file", help="write the token to this new file (mode 0600) instead of printing it")
    add.set_defaults(run=_users_add)
    remove = users_sub.add_parser("remove", help="remove a user; a running server closes their connections")
    remove.add_argument("name")
    remove.add_argument("--users", required=True, help="the users file")
    remove.set_defaults(run=_users_remove)
    listing = users_sub.add_parser("list", help="list users' names and roles (never their tokens)")
    listing.add_argument("--users", required=True, help="the users file")
    listing.set_defaults(run=_users_list)

    server = sub.add_parser("server", help="run the dispatch server")
    server.add_argument("--city", required=True, help="a shipped city pack name (e.g. demo) or a folder")
    log = server.add_mutually_exclusive_group(required=True)
    log.add_argument("--db", help="the SQLite event store file")
    log.add_argument("--store", type=_store_spec,
                     help="the event store: sqlite:///PATH, or postgresql://USER@HOST[,HOST2]/DB for several servers "
                          "on one log (docs/deploy.md)")
    server.add_argument("--users", required=True, help="the users file")
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    server.add_argument("--cert", help="TLS certificate (PEM): serve wss://")
    server.add_argument("--key", help="TLS private key (PEM)")
    server.add_argument("--realert-s", type=_positive("seconds"), default=60.0,
                        help="seconds an alarm may stay unacknowledged before every console alerts again (default 60)")
    server.add_argument("--reports-dir", help="write the live namespace's statistics of each day, ISO week and "
                        "month into this folder when it ends, in the city's zone (docs/statistics.md)")
    server.add_argument("--plate-retention-days", type=_positive("days"), default=DEFAULT_PLATE_RETENTION_DAYS,
                        help="days a plate read that hit no watchlist entry is kept before it is purged (default 30; "
                             "hits stay)")
    server.set_defaults(run=_server)

    city = sub.add_parser("city", help="build city packs")
    city_sub = city.add_subparsers(dest="city_command", required=True)
    from_osm = city_sub.add_parser("from-osm", help="build a city pack from an OpenStreetMap .osm.pbf extract")
    from_osm.add_argument("pbf")
    from_osm.add_argument("--out", required=True)
    from_osm.add_argument("--name")
    from_osm.set_defaults(run=_city_from_osm)

    # No abbreviations: an old `--token SECRET` must not be taken for `--token-file SECRET`.
    console = sub.add_parser("console", help="open the dispatch console", allow_abbrev=False)
    console.add_argument("--server", default="ws://127.0.0.1:8765/ws",
                         help="the server's URL, or several servers of one log separated by commas: on loss the "
                              "console resumes on the next (docs/deploy.md)")
    console.add_argument("--token-file", help="a file holding the token, readable only by you "
                                              "(else ONEMAP_TOKEN, else asked for)")
    console.add_argument("--city", help="a city pack name or folder (default: the one the server names)")
    console.add_argument("--language", choices=["system", "en", "zh_CN"])
    console.add_argument("--namespace", default="live",
                         help="live (default), or exercise:NAME: a trainee's console in that exercise, marked EXERCISE")
    console.set_defaults(run=_console)

    replay = sub.add_parser("replay", help="replay a stretch of a shift, read-only, from a server or a copy of its log",
                            allow_abbrev=False)
    replay.add_argument("--db", help="a copy of an event log (no server needed)")
    replay.add_argument("--server", help="a dispatch server's URL, e.g. ws://127.0.0.1:8765/ws")
    replay.add_argument("--token-file", help="with --server: a file holding the token (else ONEMAP_TOKEN, else asked for)")
    replay.add_argument("--from", dest="start", help="start (ISO 8601; without an offset: local time); "
                                                   "default the log's first event")
    replay.add_argument("--to", dest="end", help="end (as --from); default the log's last event")
    replay.add_argument("--namespace", default="live", help="live, exercise:NAME or history:NAME")
    replay.add_argument("--city", help="with --db: the city pack to draw, for a log that does not name it")
    replay.add_argument("--language", choices=["system", "en", "zh_CN"])
    replay.set_defaults(run=_replay)

    keyframes = sub.add_parser("keyframes", help="build the keyframes of an event log written before them "
                                                 "(replays of it then seek fast)")
    keyframes.add_argument("--db", required=True, help="the SQLite event store file (stop its server first)")
    keyframes.add_argument("--city", help="the city pack the log's namespaces started from (needed when the log "
                                          "has no keyframe at seq 0); recorded in the log if it names none")
    keyframes.add_argument("--namespace", help="only this namespace (default: every one in the log)")
    keyframes.set_defaults(run=_keyframes)

    imports = sub.add_parser("import", help="bring real past data into an event log")
    imports_sub = imports.add_subparsers(dest="import_command", required=True)
    cad = imports_sub.add_parser("cad", help="a CAD calls-for-service export (CSV) into a read-only history:NAME "
                                             "namespace, at its original times (docs/cad-import.md)")
    cad.add_argument("file", help="the CSV export")
    cad.add_argument("--mapping", required=True, help="the mapping (TOML): a file, or a shipped one by name "
                                                      "(sf, seattle, sacramento)")
    cad.add_argument("--db", required=True, help="the SQLite event store file (created if absent)")
    cad.add_argument("--namespace", required=True, help="history:NAME, a name not used in the log yet")
    cad.add_argument("--city", default="none", help="a city pack (name or folder) whose grid cells and state the "
                                                    "namespace gets; none (default): the data's own units only")
    cad.set_defaults(run=_import_cad)

    demo = sub.add_parser("demo", help="a dispatch server on the demo city, with moving patrols, and a console")
    demo.add_argument("--data", default="~/.local/share/onemap/demo", help="where the demo keeps its users and log")
    demo.add_argument("--language", choices=["system", "en", "zh_CN"])
    demo.set_defaults(run=_demo)

    report = sub.add_parser("report", help="an after-action report of a span of the log: CSV tables and an offline "
                                           "HTML page (docs/reports.md)")
    report.add_argument("--db", required=True, help="the SQLite event store file")
    report.add_argument("--namespace", default="live", help="live (default), exercise:<name> or history:<name>")
    report.add_argument("--from", dest="start", required=True, metavar="TIME",
                        help="RFC 3339, e.g. 2026-12-02T08:00:00Z; without an offset, a time in --tz")
    report.add_argument("--to", dest="end", required=True, metavar="TIME", help="the span's end (not included)")
    report.add_argument("--out", required=True, help="a new (or empty) folder for the report")
    report.add_argument("--tz", help="the IANA zone the page shows times in (default: the machine's)")
    report.add_argument("--city", help="the city pack the server ran (a name or folder): needed for a log that "
                                       "does not record the state it started from; draws its grid cells")
    report.set_defaults(run=_report)

    export = sub.add_parser("export", help="a span of the log as GIS data: unit tracks and incidents in GeoJSON, "
                                           "GeoPackage or KML (docs/reports.md)")
    export.add_argument("--db", required=True, help="the SQLite event store file")
    export.add_argument("--namespace", default="live", help="live (default), exercise:<name> or history:<name>")
    export.add_argument("--from", dest="start", required=True, metavar="TIME",
                        help="RFC 3339, e.g. 2026-12-02T08:00:00Z; without an offset, a time in --tz")
    export.add_argument("--to", dest="end", required=True, metavar="TIME", help="the span's end (not included)")
    export.add_argument("--format", required=True, choices=["geojson", "gpkg", "kml"])
    export.add_argument("--out", required=True, help="a new file")
    export.add_argument("--tz", help="the IANA zone of a --from/--to without an offset (default: the machine's)")
    export.add_argument("--city", help="the city pack the server ran: needed only for a log that does not record "
                                       "the state it started from")
    export.set_defaults(run=_export)

    stats = sub.add_parser("stats", help="statistics of a day, week, month, quarter or year against the one before: "
                                         "CSV, XLSX and an offline HTML page (docs/statistics.md)")
    stats_log = stats.add_mutually_exclusive_group()
    stats_log.add_argument("--db", help="the SQLite event store file (or a copy)")
    stats_log.add_argument("--store", help="the event store as a URL: sqlite:///PATH or postgresql://...")
    stats.add_argument("--namespace", default="live", help="live (default), exercise:<name> or history:<name>")
    stats.add_argument("--period", required=True, metavar="|".join(("day", "week", "month", "quarter", "year")),
                       help="the calendar period, in --tz (weeks start on Monday)")
    stats.add_argument("--at", required=True, metavar="DATE|previous",
                       help="a date in the period (2026-12-04), or previous: the last complete period before now")
    stats.add_argument("--out", required=True, help="a new (or empty) folder for the files; {label} in it is the "
                                                    "period's (2026-12, 2026-W49, 2026-Q4, ...)")
    stats.add_argument("--tz", help="the IANA zone the periods are counted in (default: the machine's)")
    stats.add_argument("--rollups", metavar="PATH",
                       help="a SQLite file of daily roll-ups (created if missing): the days kept there are merged "
                            "and only new or outdated days read from the log (the same figures)")
    stats.set_defaults(run=_stats)

    drill = sub.add_parser("drill", help="run, control and score drills in exercise namespaces (docs/drills.md)")
    drill_sub = drill.add_subparsers(dest="drill_command", required=True)

    def drill_client(name: str, help_text: str) -> argparse.ArgumentParser:
        command = drill_sub.add_parser(name, help=help_text, allow_abbrev=False)
        command.add_argument("--server", default="ws://127.0.0.1:8765/ws")
        command.add_argument("--token-file", help="a file holding a trainer's or supervisor's token, readable "
                                                  "only by you (else ONEMAP_TOKEN, else asked for)")
        command.add_argument("--name", required=True, help="the exercise: the drill runs in exercise:NAME")
        return command

    drill_run = drill_client("run", "start a drill under a new name and fire its MSEL's injects at their drill times")
    drill_run.add_argument("scenario", nargs="?", help="the MSEL (.csv or .xlsx); none: --hours of generated load")
    drill_run.add_argument("--speed", type=float, default=1.0, help="drill seconds per wall second (0.1-1000)")
    drill_run.add_argument("--resume", action="store_true",
                           help="carry on a drill of this name that a runner started (rows fired stay fired)")
    drill_run.add_argument("--city", help="the city pack the MSEL's places are in (default: the server's)")
    drill_run.add_argument("--hours", type=float,
                           help="run until this drill time (hours), also after the last inject (default: until "
                                "every inject fired)")
    drill_run.add_argument("--load", action="store_true",
                           help="mix in generated background calls at the SF data's rates (docs/drills.md)")
    drill_run.add_argument("--load-seed", type=int, default=1, help="the generated calls' seed (default 1)")
    drill_run.add_argument("--load-scale", type=float, default=1.0, help="scale the data's call rates (default 1)")
    drill_run.add_argument("--load-start-hour", type=float, default=8.0,
                           help="the hour of day drill time 0 stands for, for the data's rates (default 8)")
    drill_run.add_argument("--units", action="store_true",
                           help="simulated units on drill time: AVL, en route, on scene, available after service")
    drill_run.add_argument("--units-seed", type=int, default=1, help="the simulated units' seed (default 1)")
    drill_run.set_defaults(run=_drill_run)
    drill_client("pause", "pause a drill: drill time stands still").set_defaults(run=_drill_control)
    drill_client("resume", "resume a paused drill").set_defaults(run=_drill_control)
    drill_speed = drill_client("speed", "set a drill's speed")
    drill_speed.add_argument("speed", type=float, help="drill seconds per wall second (0.1-1000)")
    drill_speed.set_defaults(run=_drill_control)
    drill_panel = drill_client("panel", "the trainer's panel: the MSEL's rows live, the drill's clock and controls, "
                                        "what the trainees do, the score")
    drill_panel.add_argument("scenario", help="the drill's MSEL (.csv or .xlsx); Start runs `onemap drill run` on it")
    drill_panel.add_argument("--city", help="the city pack the MSEL's places are in (default: the server's)")
    drill_panel.add_argument("--language", choices=["system", "en", "zh_CN"])
    drill_panel.set_defaults(run=_drill_panel)
    drill_score = drill_sub.add_parser("score", help="a drill's scorecard (CSV and an offline page) from a log")
    drill_score.add_argument("--db", required=True, help="the SQLite event store file (or a copy)")
    drill_score.add_argument("--namespace", required=True, help="exercise:NAME")
    drill_score.add_argument("--out", required=True, help="the folder for the scorecard")
    drill_score.add_argument("--msel", help="the drill's MSEL: scores its expected actions too")
    drill_score.add_argument("--city", help="the city pack (default: the one the log names)")
    drill_score.set_defaults(run=_drill_score)

    gateway = sub.add_parser("gateway", help="gateways between field devices and OneMap (docs/tak.md)")
    gateway_sub = gateway.add_subparsers(dest="gateway_command", required=True)
    alarms = gateway_sub.add_parser("alarms", help="panic apps over HTTP and alarm panels over SIA DC-09 "
                                                   "(docs/alarm-gateway.md)")
    alarms.add_argument("--server", default="ws://127.0.0.1:8765/ws", help="OneMap's dispatch server")
    alarms.add_argument("--token-file", help="a file holding a feed user's token, readable only by you "
                                             "(else ONEMAP_TOKEN, else asked)")
    alarms.add_argument("--namespace", default="live", help="live (default) or exercise:NAME")
    alarms.add_argument("--http", metavar="tcp://HOST:PORT", help="take panic apps' posts to /alarms here")
    alarms.add_argument("--app-tokens", metavar="FILE", help="the apps' bearer tokens, one a line, in a file "
                                                             "readable only by you")
    alarms.add_argument("--dc09", metavar="tcp://HOST:PORT", help="take alarm panels' SIA DC-09 here")
    alarms.add_argument("--panels", help="the panel table (TOML): DC-09 account -> name and position")
    alarms.add_argument("--city", help="a city pack whose alarm_panels.toml lists panels (--panels entries win)")
    alarms.set_defaults(run=_gateway_alarms)

    anpr = gateway_sub.add_parser("anpr", help="ANPR checkpoints: OpenALPR agents' webhooks (docs/anpr.md)")
    anpr.add_argument("--server", default="ws://127.0.0.1:8765/ws", help="OneMap's dispatch server")
    anpr.add_argument("--token-file", help="a file holding a feed user's token, readable only by you "
                                           "(else ONEMAP_TOKEN, else asked)")
    anpr.add_argument("--listen", required=True, metavar="tcp://HOST:PORT",
                      help="take webhooks at http://HOST:PORT/openalpr/<agent token>")
    anpr.add_argument("--agent-token-file", required=True, metavar="FILE",
                      help="the token in the agents' webhook URL, in a file readable only by you")
    anpr.add_argument("--cameras", help="the camera table (TOML): agent and camera -> checkpoint")
    anpr.add_argument("--city", help="a city pack whose anpr_cameras.toml lists cameras (--cameras entries win)")
    anpr.set_defaults(run=_gateway_anpr)

    cot = gateway_sub.add_parser("cot", help="TAK devices (ATAK, WinTAK, iTAK, a TAK server) over Cursor-on-Target",
                                 allow_abbrev=False)
    cot.add_argument("--server", default="ws://127.0.0.1:8765/ws", help="OneMap's dispatch server")
    cot.add_argument("--token-file", help="a file holding a feed user's token, readable only by you "
                                          "(else ONEMAP_TOKEN, else asked for)")
    cot.add_argument("--namespace", default="live", help="live (default) or exercise:NAME")
    cot.add_argument("--listen", action="append", default=[], metavar="tcp://HOST:PORT|tls://HOST:PORT",
                     help="accept TAK devices here (repeatable); tls:// requires client certificates signed by --ca")
    cot.add_argument("--connect", metavar="tcp://HOST:PORT|tls://HOST:PORT",
                     help="connect to a TAK server (tls://: presents --cert/--key, checks the server against --ca)")
    cot.add_argument("--cert", help="this gateway's certificate (PEM) for tls://")
    cot.add_argument("--key", help="its private key (PEM)")
    cot.add_argument("--ca", help="the CA (PEM) that signs devices' certificates, or the TAK server's")
    cot.add_argument("--multicast", nargs="?", const="", metavar="GROUP:PORT",
                     help="join the SA multicast group over UDP (default group 239.2.3.1:6969)")
    cot.add_argument("--multicast-interface", default="0.0.0.0", help="the local address to join it on")
    cot.add_argument("--devices", help="the device table (TOML): device uid or callsign -> unit (docs/tak.md)")
    cot.add_argument("--city", help="a city pack whose devices.toml maps devices (--devices entries win)")
    cot.add_argument("--callsign", default="OneMap", help="the centre's contact: markers and GeoChat sent to it "
                                                          "become clues (default OneMap)")
    cot.add_argument("--unit-range-km", type=float, default=DEFAULT_UNIT_RANGE_KM, metavar="KM",
                     help=f"a device sees the units within KM of where it last reported (default "
                          f"{DEFAULT_UNIT_RANGE_KM:g}); 0: every unit")
    cot.set_defaults(run=_gateway_cot)

    sub.add_parser("wall", help="a standalone video wall (see `onemap wall --help`)", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["wall"]:
        return _wall(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130
    except (ValueError, OSError, StoreError) as exc:  # bad input (or an unopenable log) named in words, not a traceback
        print(f"onemap {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
