"""A work calendar: which days are working days, the working hours of one, and when a time limit counted in
working hours or working days falls due (a grid case's, docs/state-machines.md). Pure: no clock, no Qt.

Days are the city's (its time zone): a working day is a make-up working day (调休, a Sunday worked so a
holiday week is whole), else not a holiday, else one of the working weekdays. Every working day has the
same working hours (e.g. 09:00-12:00 and 13:00-17:00). A limit of N working days is N days' worth of working
time: from 10:00 on a Friday, one working day is due at 10:00 on the next working day.

The pack's files (docs/city-pack.md): `work_calendar.json` (hours, weekdays) and `holidays.csv`
(date, kind `holiday` or `workday`, name).
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

LIMIT_UNITS = ("working_hours", "working_days")
HOLIDAY_KINDS = ("holiday", "workday")  # a day off; a make-up working day
# How far a due time is looked for: a calendar with no working day in ten years is a broken file.
MAX_DAYS_AHEAD = 3660
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


class CalendarError(ValueError):
    """A work calendar file that cannot be used; the message names the entry."""


@dataclass(frozen=True)
class Limit:
    """A time limit: `amount` (> 0) working hours or working days."""

    amount: float
    unit: str

    def __post_init__(self):
        if self.unit not in LIMIT_UNITS:
            raise CalendarError(f"limit unit {self.unit!r} is not one of {', '.join(LIMIT_UNITS)}")
        if not self.amount > 0:
            raise CalendarError(f"a limit must be more than 0 {self.unit}, not {self.amount}")

    def as_json(self) -> dict:
        return {"amount": self.amount, "unit": self.unit}


@dataclass(frozen=True)
class WorkCalendar:
    zone: tzinfo
    hours: tuple[tuple[time, time], ...]  # a working day's periods, in order, not overlapping
    weekdays: frozenset[int]  # ISO weekdays worked in an ordinary week (1 Monday .. 7 Sunday)
    holidays: frozenset[date] = frozenset()  # days off, whatever weekday they are
    workdays: frozenset[date] = frozenset()  # make-up working days, whatever weekday they are

    def __post_init__(self):
        if not self.hours:
            raise CalendarError("a working day needs at least one period of working hours")
        for (begin, end), following in zip(self.hours, [*self.hours[1:], None]):
            if not begin < end:
                raise CalendarError(f"working hours {begin:%H:%M}-{end:%H:%M} end before they begin")
            if following is not None and following[0] < end:
                raise CalendarError(f"working hours {begin:%H:%M}-{end:%H:%M} and {following[0]:%H:%M}-"
                                    f"{following[1]:%H:%M} overlap or are out of order")
        if not self.weekdays <= set(range(1, 8)):
            raise CalendarError(f"weekdays {sorted(self.weekdays)} must be ISO weekdays 1 (Monday) to 7 (Sunday)")
        both = self.holidays & self.workdays
        if both:
            raise CalendarError(f"{min(both)} is both a holiday and a make-up working day")

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day not in self.holidays and day.isoweekday() in self.weekdays

    def day_seconds(self) -> float:
        """Working seconds in one working day."""
        return sum((datetime.combine(date.min, end) - datetime.combine(date.min, begin)).total_seconds()
                   for begin, end in self.hours)

    def _periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's working periods as UTC instants (a day with a clock change is still its wall hours)."""
        return [(datetime.combine(day, begin, self.zone).astimezone(timezone.utc),
                 datetime.combine(day, end, self.zone).astimezone(timezone.utc)) for begin, end in self.hours]

    def due_time(self, start: datetime, limit: Limit) -> datetime:
        """When `limit` of working time from `start` (an aware instant) is used up, in UTC. Time outside
        working hours does not count: from a Saturday, the clock starts at the next working day's first hour."""
        if start.tzinfo is None:
            raise ValueError(f"start {start} has no time zone")
        start = start.astimezone(timezone.utc)
        per_unit = 3600.0 if limit.unit == "working_hours" else self.day_seconds()
        remaining = limit.amount * per_unit
        day = start.astimezone(self.zone).date()
        for _ in range(MAX_DAYS_AHEAD):
            if self.is_working_day(day):
                for begin, end in self._periods(day):
                    if end <= start:
                        continue
                    begin = max(begin, start)
                    span = (end - begin).total_seconds()
                    if remaining <= span:
                        return begin + timedelta(seconds=remaining)
                    remaining -= span
            day += timedelta(days=1)
        raise CalendarError(f"no working time within {MAX_DAYS_AHEAD} days of {start.isoformat()}")


def _clock(value: object, where: str) -> time:
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise CalendarError(f"{where}: {value!r} is not a time of day HH:MM (00:00-23:59)")
    return time(int(match[1]), int(match[2]))


def parse_calendar(calendar_json: str, holidays_csv: str | None, zone: tzinfo) -> WorkCalendar:
    """A calendar from the text of `work_calendar.json` and of `holidays.csv` (None: the pack has none)."""
    try:
        settings = json.loads(calendar_json)
    except json.JSONDecodeError as exc:
        raise CalendarError(f"not JSON: {exc}") from None
    if not isinstance(settings, dict) or set(settings) - {"hours", "weekdays"}:
        raise CalendarError('must be an object with "hours" (e.g. [["09:00", "12:00"], ["13:00", "17:00"]]) '
                            'and "weekdays" (ISO, e.g. [1, 2, 3, 4, 5]) only')
    hours = settings.get("hours")
    if not isinstance(hours, list) or not all(isinstance(p, list) and len(p) == 2 for p in hours):
        raise CalendarError('"hours" must be a list of [begin, end] pairs, e.g. [["09:00", "12:00"]]')
    weekdays = settings.get("weekdays")
    if not isinstance(weekdays, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in weekdays):
        raise CalendarError('"weekdays" must be a list of ISO weekday numbers, e.g. [1, 2, 3, 4, 5]')
    periods = tuple((_clock(begin, '"hours"'), _clock(end, '"hours"')) for begin, end in hours)
    holidays, workdays = parse_holidays(holidays_csv) if holidays_csv is not None else (frozenset(), frozenset())
    return WorkCalendar(zone, periods, frozenset(weekdays), holidays, workdays)


def parse_holidays(text: str) -> tuple[frozenset[date], frozenset[date]]:
    """The days off and the make-up working days of a `holidays.csv` (columns date, kind, name)."""
    rows = csv.DictReader(io.StringIO(text))
    if rows.fieldnames is None or not {"date", "kind"} <= set(rows.fieldnames):
        raise CalendarError(f"needs the columns date, kind (and name); it has {', '.join(rows.fieldnames or [])}")
    days: dict[str, set[date]] = {kind: set() for kind in HOLIDAY_KINDS}
    seen: set[date] = set()
    for line, row in enumerate(rows, start=2):
        try:
            day = date.fromisoformat((row["date"] or "").strip())
        except ValueError:
            raise CalendarError(f"line {line}: date {row['date']!r} is not a date YYYY-MM-DD") from None
        kind = (row["kind"] or "").strip()
        if kind not in HOLIDAY_KINDS:
            raise CalendarError(f"line {line}: kind {kind!r} is not holiday (a day off) or workday (a make-up "
                                "working day)")
        if day in seen:
            raise CalendarError(f"line {line}: {day} is listed twice")
        seen.add(day)
        days[kind].add(day)
    return frozenset(days["holiday"]), frozenset(days["workday"])
