"""Master Scenario Events Lists (the HSEEP form trainers write) read from CSV or XLSX, checked whole.

A file is refused with every problem found, each naming the file, the row (as the spreadsheet numbers it:
the headings are row 1) and the column (letter and heading); nothing of a refused file is used.
Commands and their Args are documented in docs/drills.md; `COMMAND_ARGS` is the same list, checked here.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Collection, Iterable

from dispatch.commands import INJECT_COMMANDS
from drills.clock import fired_rows

HEADINGS = ("Event Number", "Scenario Time", "Event Type", "From", "To", "Message",
            "Expected Participant Response", "Exercise Objective", "Notes", "Command", "Args")
EVENT_TYPES = ("Inject", "Contingency Inject", "Expected Action")
EXPECT_COMMAND = "expect"
_TEXT, _INT, _NUMBER, _PAIR = "text", "integer", "number", "pair of street names"
# command -> {arg: (kind, required)}; a call is placed by exactly one of address, intersection, grid_id, lon+lat.
COMMAND_ARGS: dict[str, dict[str, tuple[str, bool]]] = {
    "call": {"kind": (_TEXT, True), "priority": (_INT, True), "address": (_TEXT, False),
             "intersection": (_PAIR, False), "grid_id": (_TEXT, False), "lon": (_NUMBER, False),
             "lat": (_NUMBER, False), "note": (_TEXT, False), "caller_name": (_TEXT, False),
             "callback": (_TEXT, False)},
    "unit_out": {"unit_id": (_TEXT, True), "for_s": (_NUMBER, False)},
    "avl_silent": {"unit_id": (_TEXT, True), "for_s": (_NUMBER, False)},
    "camera_dark": {"camera_id": (_TEXT, True), "for_s": (_NUMBER, False)},
    "message": {},  # the row's Message is what the trainees get
    "expect": {"assign_kind": (_TEXT, True), "to_inject": (_INT, True), "within_s": (_NUMBER, True)},
}
ON_MISS = "on_miss"  # a Contingency Inject's Args: the Event Number of the Expected Action whose miss fires it
_TIME = re.compile(r"\+(\d{2,}):([0-5]\d):([0-5]\d)")


@dataclass(frozen=True)
class Problem:
    file: str
    row: int
    column: str  # "K (Args)"; "" when the problem is the whole row
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{self.file}: {where}: {self.message}"


class MselError(ValueError):
    """A refused MSEL: every problem found, one a line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class MselRow:
    event_number: int
    scenario_s: int
    event_type: str
    sender: str  # From
    recipient: str  # To
    message: str
    expected_response: str
    objective: str
    notes: str
    command: str
    args: dict
    row: int  # the spreadsheet's row number
    place: tuple[float, float] | None = None  # a call's lon, lat (an address or intersection geocoded)
    place_label: str = ""  # a call's place: what the geocoder took the text for, or the grid cell


@dataclass(frozen=True)
class Msel:
    path: str
    rows: tuple[MselRow, ...] = field(default=())  # in Scenario Time order, then Event Number

    def row(self, event_number: int) -> MselRow:
        return next(r for r in self.rows if r.event_number == event_number)


def scenario_time_text(seconds: float, millis: bool = False) -> str:
    """+HH:MM:SS (or +HH:MM:SS.mmm) of drill seconds."""
    whole = int(seconds)
    text = f"+{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    return text + f".{round((seconds - whole) * 1000):03d}" if millis else text


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table(path: Path) -> list[tuple[int, list]]:
    """(row number, cells) for every row of the file, headings first."""
    if path.suffix.lower() == ".xlsx":
        import openpyxl  # only XLSX needs it
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            return [(n, list(cells)) for n, cells in enumerate(book.worksheets[0].iter_rows(values_only=True), 1)]
        finally:
            book.close()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [(n, cells) for n, cells in enumerate(csv.reader(handle), 1)]


def _seconds(value) -> int | None:
    if isinstance(value, dt.timedelta):  # a spreadsheet cell typed as a duration
        return int(value.total_seconds())
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    match = _TIME.fullmatch(_cell_text(value))
    return None if match is None else int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3])


def _check_arg(kind: str, value) -> bool:
    if kind == _TEXT:
        return isinstance(value, str) and value.strip() != ""
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _NUMBER:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, str) and v.strip() for v in value))


def read_msel(path: str | Path, geocode: Callable[[str], object] | None = None, *,
              grid_ids: Collection[str] | None = None, unit_ids: Collection[str] | None = None,
              camera_ids: Collection[str] | None = None) -> Msel:
    """The MSEL in `path` (.csv or .xlsx), or MselError naming every problem.

    geocode(text) -> a place with .lon, .lat (and .label), raising ValueError for text naming no place:
    `layers.geocode.Geocoder(city.streets, city.places, city.areas).resolve`. Without it a call must give
    grid_id or lon/lat. grid_ids, unit_ids, camera_ids: the city's, to refuse ids it does not have."""
    path = Path(path)
    name = str(path)
    problems: list[Problem] = []
    try:
        table = _table(path)
    except Exception as error:  # unreadable file: openpyxl and csv raise many kinds, all mean the same here
        raise MselError([Problem(name, 1, "", f"cannot read the file: {error}")]) from error
    if not table:
        raise MselError([Problem(name, 1, "", "the file is empty: row 1 must hold the headings")])
    headings = [_cell_text(c) for c in table[0][1]]
    where: dict[str, int] = {}
    for index, heading in enumerate(headings):
        if heading in where:
            problems.append(Problem(name, 1, f"{_column(index)} ({heading})", "a heading given twice"))
        elif heading and heading not in HEADINGS:
            problems.append(Problem(name, 1, f"{_column(index)} ({heading})",
                                    f"unknown heading; the headings are: {', '.join(HEADINGS)}"))
        where.setdefault(heading, index)
    for heading in HEADINGS:
        if heading not in where:
            problems.append(Problem(name, 1, heading, "missing heading"))
    if problems:
        raise MselError(problems)

    def column(heading: str) -> str:
        return f"{_column(where[heading])} ({heading})"

    rows: list[MselRow] = []
    seen: dict[int, int] = {}
    for number, cells in table[1:]:
        if all(_cell_text(c) == "" for c in cells):
            continue
        value = {h: (cells[where[h]] if where[h] < len(cells) else None) for h in HEADINGS}
        text = {h: _cell_text(v) for h, v in value.items()}
        before = len(problems)

        def problem(heading: str, message: str) -> None:
            problems.append(Problem(name, number, column(heading), message))

        event_number = int(text["Event Number"]) if text["Event Number"].isdigit() else None
        if event_number is None or event_number < 1:
            problem("Event Number", f"{text['Event Number']!r} is not a whole number from 1")
        elif event_number in seen:
            problem("Event Number", f"{event_number} is also row {seen[event_number]}'s")
        else:
            seen[event_number] = number
        scenario_s = _seconds(value["Scenario Time"])
        if scenario_s is None:
            problem("Scenario Time", f"{text['Scenario Time']!r} is not +HH:MM:SS")
        event_type = text["Event Type"]
        if event_type not in EVENT_TYPES:
            problem("Event Type", f"{event_type!r} is not one of {', '.join(EVENT_TYPES)}")
        command = text["Command"]
        allowed = (EXPECT_COMMAND,) if event_type == "Expected Action" else INJECT_COMMANDS
        if command not in COMMAND_ARGS:
            problem("Command", f"unknown command {command!r}; the commands are: {', '.join(COMMAND_ARGS)}")
        elif event_type in EVENT_TYPES and command not in allowed:
            problem("Command", f"an {event_type} row's command is one of {', '.join(allowed)}, not {command!r}")
        try:
            args = json.loads(text["Args"]) if text["Args"] else {}
        except json.JSONDecodeError as error:
            problem("Args", f"not JSON: {error.msg} at character {error.pos + 1}")
            args = None
        if args is not None and not isinstance(args, dict):
            problem("Args", "must be a JSON object ({...})")
            args = None
        place, label = None, ""
        if args is not None and command in allowed:
            place, label = check_args(command, args, text["Message"], problem, geocode=geocode, grid_ids=grid_ids,
                                      unit_ids=unit_ids, camera_ids=camera_ids,
                                      contingency=event_type == "Contingency Inject")
        if len(problems) == before:
            rows.append(MselRow(event_number, scenario_s, event_type, text["From"], text["To"], text["Message"],
                                text["Expected Participant Response"], text["Exercise Objective"],
                                text["Notes"], command, args, number, place, label))
    problems += _cross_check(name, rows, set(seen) - {r.event_number for r in rows}, column)
    if problems:
        raise MselError(problems)
    return Msel(name, tuple(sorted(rows, key=lambda r: (r.scenario_s, r.event_number))))


def check_args(command: str, args: dict, message: str, problem: Callable[[str, str], None], *,
               geocode: Callable[[str], object] | None = None, grid_ids: Collection[str] | None = None,
               unit_ids: Collection[str] | None = None, camera_ids: Collection[str] | None = None,
               contingency: bool = False) -> tuple[tuple[float, float] | None, str]:
    """One inject's (or expectation's) Args checked as an MSEL row's are: every problem is said through
    problem(heading, message), heading "Args" or "Message". Returns a call's place (lon, lat) and label.
    Used by read_msel for each row and by the runner for a trainer's unplanned inject (drill.inject)."""
    before: list[str] = []

    def said(heading: str, text: str) -> None:
        before.append(text)
        problem(heading, text)

    spec = dict(COMMAND_ARGS[command])
    if contingency:
        spec[ON_MISS] = (_INT, True)
    for key, given in args.items():
        if key not in spec:
            said("Args", f"{command} takes no {key!r}; it takes: {', '.join(spec) or 'nothing'}")
        elif not _check_arg(spec[key][0], given):
            said("Args", f"{key} must be a {spec[key][0]}, not {json.dumps(given)}")
    for key, (_, required) in spec.items():
        if required and key not in args:
            said("Args", f"{command} needs {key!r}")
    if command == "message" and not message:
        said("Message", "a message inject needs the text the trainees get")
    if isinstance(args.get("for_s"), (int, float)) and not isinstance(args["for_s"], bool) and args["for_s"] <= 0 \
            and not before:
        said("Args", "for_s must be more than 0")
    place, label = None, ""
    if command == "call" and not before:
        place, label = _place(args, geocode, grid_ids, lambda m: said("Args", m))
    if command in ("unit_out", "avl_silent") and unit_ids is not None and not before \
            and args.get("unit_id") not in unit_ids:
        said("Args", f"the city has no unit {args['unit_id']!r}")
    if command == "camera_dark" and camera_ids is not None and not before \
            and args.get("camera_id") not in camera_ids:
        said("Args", f"the city has no camera {args['camera_id']!r}")
    if command == "expect" and isinstance(args.get("within_s"), (int, float)) and args["within_s"] <= 0:
        said("Args", "within_s must be more than 0")
    return place, label


def _place(args: dict, geocode, grid_ids, problem) -> tuple[tuple[float, float] | None, str]:
    given = [key for key in ("address", "intersection", "grid_id", "lon") if key in args]
    if ("lon" in args) != ("lat" in args):
        problem("a call at coordinates needs both lon and lat")
        return None, ""
    if len(given) != 1:
        problem("a call needs exactly one of address, intersection, grid_id, lon+lat")
        return None, ""
    if "lon" in args:
        if not (-180 <= args["lon"] <= 180 and -90 <= args["lat"] <= 90):
            problem("lon, lat out of range")
        return (float(args["lon"]), float(args["lat"])), ""
    if "grid_id" in args:
        if grid_ids is not None and args["grid_id"] not in grid_ids:
            problem(f"the city has no grid cell {args['grid_id']!r}")
        return None, args["grid_id"]  # the server places a call in a cell (its centre)
    text = args["address"] if "address" in args else " & ".join(args["intersection"])
    if geocode is None:
        problem("an address or intersection needs the city's geocoder to be checked")
        return None, ""
    try:
        found = geocode(text)
    except ValueError as error:  # layers.geocode.NoSuchPlace: says the closest names
        problem(f"unknown address: {error}")
        return None, ""
    return (float(found.lon), float(found.lat)), str(getattr(found, "label", text))


def _cross_check(name: str, rows: list[MselRow], refused: set[int], column) -> list[Problem]:
    """What one row says about another: an expectation's inject, a contingency's expected action. A row
    refused already is not blamed again through the rows naming it."""
    by_number = {r.event_number: r for r in rows}
    problems = []
    for row in rows:
        if row.command == EXPECT_COMMAND and row.args["to_inject"] not in refused:
            target = by_number.get(row.args["to_inject"])
            if target is None or target.command != "call":
                problems.append(Problem(name, row.row, column("Args"),
                                        f"to_inject {row.args['to_inject']} is not the Event Number of a call inject"))
        if row.event_type == "Contingency Inject" and row.args[ON_MISS] not in refused:
            target = by_number.get(row.args[ON_MISS])
            if target is None or target.event_type != "Expected Action":
                problems.append(Problem(name, row.row, column("Args"),
                                        f"on_miss {row.args[ON_MISS]} is not the Event Number of an Expected Action"))
    return problems


def export_run(msel: Msel, events: Iterable[dict], out_path: str | Path) -> Path:
    """The MSEL with each row's actual fire time (wall, UTC as the log writes it; and drill time) appended:
    CSV, or XLSX when `out_path` ends in .xlsx. A row never fired has both empty."""
    out_path = Path(out_path)
    fired = fired_rows(events)
    headings = [*HEADINGS, "Fired At", "Fired Drill Time"]
    table = []
    for row in msel.rows:
        shot = fired.get(row.event_number)
        table.append([row.event_number, scenario_time_text(row.scenario_s), row.event_type, row.sender,
                      row.recipient, row.message, row.expected_response, row.objective, row.notes, row.command,
                      json.dumps(row.args, ensure_ascii=False),
                      shot["fired_ts"] if shot else "", scenario_time_text(shot["drill_s"], millis=True) if shot else ""])
    if out_path.suffix.lower() == ".xlsx":
        import openpyxl
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "MSEL run"
        for line in [headings, *table]:
            sheet.append(line)
        book.save(out_path)
    else:
        with out_path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([headings, *table])
    return out_path
