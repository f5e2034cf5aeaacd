"""Grid cases (网格事件): city-management cases in the event log, after GB/T 30428's workflow (report,
register, dispatch, handle, report back, verify on site, close, evaluate). docs/state-machines.md draws it.

A grid officer (role `grid`) reports a case, or the centre enters a citizen's report; the centre registers
it (its time limit starts: the category's, on the work calendar) or rejects it as not a case, dispatches it
to a department, and records the department's steps: started, handled (its report back), or returned to
the centre with a reason. The cell's grid officer (or a supervisor) verifies on site: passed, or failed and
back in progress. The centre closes it, and may enter the citizen's rating once.

Every handler is judged like any command (dispatch.commands.decide: roles in domain.ROLE_COMMANDS); what is
checked here is the case's status (CASE_TRANSITIONS), a grid officer's cells, and the args. Each event's data
carries the status the case moves to and the sender's role, so the reducer only records.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from dispatch.history import epoch, rfc3339
from dispatch.judging import Args, Rejected, is_url, next_id
from dispatch.work_calendar import Limit, WorkCalendar

if TYPE_CHECKING:
    from dispatch.commands import Context
    from dispatch.reducer import State

CASE_STATUSES = ("reported", "registered", "dispatched", "in_progress", "handled", "verified", "closed",
                 "returned", "rejected")
FINAL_CASE_STATUSES = frozenset({"closed", "rejected"})
# The statuses each command starts from; any other is `invalid_transition`.
CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    "case.register": frozenset({"reported"}),
    "case.reject": frozenset({"reported", "registered", "returned"}),
    "case.dispatch": frozenset({"registered", "returned"}),
    "case.start": frozenset({"dispatched"}),
    "case.return": frozenset({"dispatched", "in_progress"}),
    "case.handle": frozenset({"in_progress"}),
    "case.verify": frozenset({"handled"}),
    "case.close": frozenset({"verified"}),
    "case.rate": frozenset({"closed"}),  # once: a second rating is a `conflict`
}
# Where each command takes the case; a failed verification sends it back to the department's work.
CASE_OUTCOMES: dict[str, str] = {
    "case.report": "reported", "case.register": "registered", "case.reject": "rejected",
    "case.dispatch": "dispatched", "case.start": "in_progress", "case.return": "returned",
    "case.handle": "handled", "case.verify": "verified", "case.close": "closed", "case.rate": "closed",
}
VERIFY_FAILED = "in_progress"
# Where a case came from: a grid officer on patrol, or a citizen (the 12319 hotline, the app, a visit, ...).
CASE_SOURCES = ("grid_officer", "hotline", "app", "walk_in", "camera")
GRID_SOURCE = "grid_officer"
CASE_REJECT_REASONS = ("not_a_case", "duplicate", "out_of_scope", "unfounded")
MAX_CASE_TEXT = 2000
MAX_CASE_NOTE = 1000
MAX_REASON = 500
MAX_PHOTOS = 9  # what a phone's report form takes
MAX_PHOTO_URL = 500
CASE_ID_PREFIX = "GC"


@dataclass(frozen=True)
class Category:
    """An item type of the catalogue: who handles it and in what time."""

    code: str
    name: str
    name_zh: str
    department: str
    limit: Limit


@dataclass(frozen=True)
class CaseRules:
    """What a centre runs grid cases by, from its city pack (`of_city`); empty: no case can be reported."""

    categories: Mapping[str, Category] = field(default_factory=dict)
    departments: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # code -> {code, name, name_zh}
    calendar: WorkCalendar | None = None
    areas: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # grid_id -> {level: id}

    @classmethod
    def of_city(cls, city) -> CaseRules:
        """`city` is a layers.citypack.CityPack."""
        return cls({code: Category(c["code"], c["name"], c["name_zh"], c["department"], c["limit"])
                    for code, c in city.case_categories.items()},
                   dict(city.case_departments), city.work_calendar,
                   {grid_id: city.areas_of(grid_id) for grid_id in city.grids["grid_id"]})


Events = list[tuple[str, dict[str, Any]]]


def overdue(case: dict, now: datetime) -> bool:
    """Past due: still open (not closed, not rejected) after its due time. A mark, not a status: every
    console and every statistic computes it from the case and its clock."""
    if now.tzinfo is None:
        raise ValueError(f"now {now} has no time zone")
    return (case["status"] not in FINAL_CASE_STATUSES and case.get("due") is not None
            and now.timestamp() > epoch(case["due"]))


@dataclass(frozen=True)
class ClosureFigures:
    """The closure figures of a set of cases over a period, as China's city-management bulletins compute
    them: 结案率 = closed ÷ due, 按期结案率 = closed within the time limit ÷ due. None when nothing was due."""

    due: int
    closed: int
    closed_on_time: int

    @property
    def closure_rate(self) -> float | None:
        return self.closed / self.due if self.due else None

    @property
    def on_time_rate(self) -> float | None:
        return self.closed_on_time / self.due if self.due else None


def closure_figures(cases: Iterable[Mapping[str, Any]], start: float, end: float) -> ClosureFigures:
    """The figures of the period [start, end) (epoch seconds). Due in it (应结案): the registered cases whose
    time limit ends in it, and those closed in it ahead of a limit ending later (提前结案). Closed: of those,
    the ones closed before `end`; on time: closed at or before their limit. The one definition that the
    console's choropleths and `onemap stats` both use."""
    due = closed = on_time = 0
    for case in cases:
        if case.get("due") is None:
            continue  # never registered (reported, or rejected before registration): no limit to meet
        due_at = epoch(case["due"])
        closed_at = epoch(case["closed_at"]) if case.get("closed_at") else None
        closed_in_period = closed_at is not None and start <= closed_at < end
        if not (start <= due_at < end or (closed_in_period and due_at >= end)):
            continue
        due += 1
        if closed_at is not None and closed_at < end:
            closed += 1
            on_time += bool(case.get("on_time"))
    return ClosureFigures(due, closed, on_time)


def _rules(ctx: Context) -> CaseRules:
    return ctx.centre.cases


def _case(state: State, a: Args) -> dict:
    """The case the command names, in a status the command starts from."""
    case_id = a.ident("case_id")
    case = state.get("cases", {}).get(case_id)  # states stored before cases existed have none
    if case is None:
        raise Rejected("not_found", f"no case {case_id!r}")
    return case


def _moving(case: dict, cmd: str) -> None:
    status = case["status"]
    if status not in CASE_TRANSITIONS[cmd]:
        needs = " or ".join(s for s in CASE_STATUSES if s in CASE_TRANSITIONS[cmd])
        raise Rejected("invalid_transition", f"{cmd}: case {case['case_id']} is {status.replace('_', ' ')}, "
                                             f"not {needs.replace('_', ' ')}")


def _category(ctx: Context, a: Args, *, required: bool) -> Category | None:
    code = a.text("category", required=required, max_len=32)
    if code is None:
        return None
    categories = _rules(ctx).categories
    if code not in categories:
        known = ", ".join(sorted(categories)) or "none: the city pack has no case catalogue (case_categories.csv)"
        raise Rejected("bad_request", f"{a.cmd}: category {code!r} is not in the catalogue; categories: {known}")
    return categories[code]


def _note(a: Args, name: str = "note", *, required: bool = False, max_len: int = MAX_CASE_NOTE) -> str | None:
    text = a.text(name, required=required, max_len=max_len)
    return text.strip() or None if text is not None else None


def _photos(a: Args) -> list[str]:
    photos = a.args.get("photos")
    if photos is None:
        return []
    if not isinstance(photos, list) or len(photos) > MAX_PHOTOS:
        raise a._bad("photos", f"must be a list of at most {MAX_PHOTOS} http or https URLs")
    for url in photos:
        if not (is_url(url, ("http", "https")) and len(url) <= MAX_PHOTO_URL):
            raise a._bad("photos", f"{str(url)[:80]!r} is not an http or https URL of at most {MAX_PHOTO_URL} "
                                   "characters")
    return list(photos)


def _step(case: dict, ctx: Context, status: str, **data) -> dict:
    return {"case_id": case["case_id"], "status": status, "role": ctx.role, **data}


def _case_report(state: State, a: Args, ctx: Context) -> Events:
    category = _category(ctx, a, required=True)
    lon, lat = a.position()
    text = _note(a, "text", required=True, max_len=MAX_CASE_TEXT)
    photos = _photos(a)
    source = a.choice("source", CASE_SOURCES)
    if ctx.role == "grid":
        if source not in (None, GRID_SOURCE):
            raise Rejected("forbidden", f"case.report: a grid officer reports as {GRID_SOURCE}, not {source}")
        source = GRID_SOURCE
    elif source is None:
        raise a._bad("source", f"is missing: one of {', '.join(CASE_SOURCES)}")
    address = a.text("address", required=False)
    caller_name = a.text("caller_name", required=False, max_len=100)
    callback = a.phone("callback")
    grid_id = ctx.grid_at(lon, lat)
    if grid_id is None:
        raise Rejected("bad_request", f"case.report: {lon:.6f}, {lat:.6f} lies in no grid cell of the city")
    case_id = next_id(state.get("cases", {}), CASE_ID_PREFIX)
    return [("case.reported", {
        "case_id": case_id, "status": "reported", "role": ctx.role, "category": category.code, "lon": lon,
        "lat": lat, "grid_id": grid_id, "areas": dict(_rules(ctx).areas.get(grid_id, {"cell": grid_id})),
        "text": text, "photos": photos, "source": source, "address": address, "caller_name": caller_name,
        "callback": callback})]


def _case_register(state: State, a: Args, ctx: Context) -> Events:
    """A case of the catalogue: its time limit starts now (the category the centre gives wins over the
    reporter's)."""
    case = _case(state, a)
    given = _category(ctx, a, required=False)
    note = _note(a)
    _moving(case, a.cmd)
    category = given or _rules(ctx).categories.get(case["category"])
    if category is None:
        raise a._bad("category", f"is missing: the case's {case['category']!r} is no longer in the catalogue")
    calendar = _rules(ctx).calendar
    if calendar is None:
        raise Rejected("bad_request", "case.register: the centre has no work calendar (work_calendar.json)")
    due = calendar.due_time(datetime.fromisoformat(ctx.ts.replace("Z", "+00:00")), category.limit)
    return [("case.registered", _step(case, ctx, "registered", category=category.code,
                                      limit=category.limit.as_json(), due=rfc3339(due.timestamp()), note=note))]


def _case_reject(state: State, a: Args, ctx: Context) -> Events:
    reason = a.choice("reason", CASE_REJECT_REASONS, required=True)
    note = _note(a)
    case = _case(state, a)
    _moving(case, a.cmd)
    return [("case.rejected", _step(case, ctx, "rejected", reason=reason, note=note))]


def _case_dispatch(state: State, a: Args, ctx: Context) -> Events:
    """To a department: the category's responsible one unless another is named."""
    department = a.text("department", required=False, max_len=32)
    note = _note(a)
    case = _case(state, a)
    _moving(case, a.cmd)
    departments = _rules(ctx).departments
    if department is None:
        category = _rules(ctx).categories.get(case["category"])
        department = category.department if category is not None else None
        if department is None:
            raise a._bad("department", f"is missing: category {case['category']!r} names none")
    if department not in departments:
        raise a._bad("department", f"{department!r} is not a department; departments: "
                                   f"{', '.join(sorted(departments)) or 'none (case_departments.csv)'}")
    return [("case.dispatched", _step(case, ctx, "dispatched", department=department, note=note))]


def _case_start(state: State, a: Args, ctx: Context) -> Events:
    note = _note(a)
    case = _case(state, a)
    _moving(case, a.cmd)
    return [("case.started", _step(case, ctx, "in_progress", note=note))]


def _case_handle(state: State, a: Args, ctx: Context) -> Events:
    """The department reports back: what it did (required) and its photos."""
    note = _note(a, required=True)
    photos = _photos(a)
    case = _case(state, a)
    _moving(case, a.cmd)
    return [("case.handled", _step(case, ctx, "handled", note=note, photos=photos))]


def _case_return(state: State, a: Args, ctx: Context) -> Events:
    """Back to the centre, with the department's reason (not ours, the wrong place): the centre dispatches
    it again or rejects it."""
    reason = _note(a, "reason", required=True, max_len=MAX_REASON)
    case = _case(state, a)
    _moving(case, a.cmd)
    return [("case.returned", _step(case, ctx, "returned", reason=reason))]


def _case_verify(state: State, a: Args, ctx: Context) -> Events:
    """On site: passed, or failed (saying what is still wrong) and back to the department's work. A grid
    officer verifies only the cases in its own cells."""
    passed = a.flag("passed")
    note = _note(a, required=not passed)
    photos = _photos(a)
    case = _case(state, a)
    if ctx.role == "grid" and case["grid_id"] not in ctx.actor_cells:
        mine = ", ".join(sorted(ctx.actor_cells)) or "none in the users file"
        raise Rejected("forbidden", f"case.verify: case {case['case_id']} is in cell {case['grid_id']}, not one of "
                                    f"{ctx.actor or 'this grid officer'}'s cells ({mine})")
    _moving(case, a.cmd)
    return [("case.verified", _step(case, ctx, "verified" if passed else VERIFY_FAILED, passed=passed, note=note,
                                    photos=photos))]


def _case_close(state: State, a: Args, ctx: Context) -> Events:
    """Closed; on time when closed by its due time (what the on-time closure rate, 按期结案率, counts)."""
    note = _note(a)
    case = _case(state, a)
    _moving(case, a.cmd)
    on_time = epoch(ctx.ts) <= epoch(case["due"])
    return [("case.closed", _step(case, ctx, "closed", on_time=on_time, note=note))]


def _case_rate(state: State, a: Args, ctx: Context) -> Events:
    """The reporter's rating of a closed case (1-5) and comment, as the centre heard it; once."""
    rating = a.integer("rating", 1, 5)
    comment = _note(a, "comment")
    case = _case(state, a)
    _moving(case, a.cmd)
    if case.get("rating") is not None:
        raise Rejected("conflict", f"case.rate: case {case['case_id']} was already rated {case['rating']}")
    return [("case.rated", _step(case, ctx, "closed", rating=rating, comment=comment))]


CASE_HANDLERS: dict[str, tuple[Callable[[State, Args, Context], Events], set[str]]] = {
    "case.report": (_case_report, {"category", "lon", "lat", "text", "photos", "source", "address", "caller_name",
                                   "callback"}),
    "case.register": (_case_register, {"case_id", "category", "note"}),
    "case.reject": (_case_reject, {"case_id", "reason", "note"}),
    "case.dispatch": (_case_dispatch, {"case_id", "department", "note"}),
    "case.start": (_case_start, {"case_id", "note"}),
    "case.handle": (_case_handle, {"case_id", "note", "photos"}),
    "case.return": (_case_return, {"case_id", "reason"}),
    "case.verify": (_case_verify, {"case_id", "passed", "note", "photos"}),
    "case.close": (_case_close, {"case_id", "note"}),
    "case.rate": (_case_rate, {"case_id", "rating", "comment"}),
}
assert set(CASE_HANDLERS) == set(CASE_OUTCOMES) == set(CASE_TRANSITIONS) | {"case.report"}
