"""The work calendar (dispatch/work_calendar.py): time limits in working hours and working days across
weekends, holidays and make-up working days, on China's 2026 calendar (国务院办公厅, 2026 节假日安排)."""
from __future__ import annotations

import zoneinfo
from datetime import date, datetime

import pytest

from dispatch.work_calendar import CalendarError, Limit, parse_calendar, parse_holidays

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
HOURS = '{"hours": [["09:00", "12:00"], ["13:00", "17:00"]], "weekdays": [1, 2, 3, 4, 5]}'
# Mid-Autumn Festival 25-27 September; National Day 1-7 October, with Sunday 20 September and Saturday
# 10 October worked in exchange (调休).
CHINA_2026_AUTUMN = """date,kind,name
2026-09-20,workday,国庆节调休上班
2026-09-25,holiday,中秋节
2026-09-26,holiday,中秋节
2026-09-27,holiday,中秋节
2026-10-01,holiday,国庆节
2026-10-02,holiday,国庆节
2026-10-03,holiday,国庆节
2026-10-04,holiday,国庆节
2026-10-05,holiday,国庆节
2026-10-06,holiday,国庆节
2026-10-07,holiday,国庆节
2026-10-10,workday,国庆节调休上班
"""


@pytest.fixture
def calendar():
    return parse_calendar(HOURS, CHINA_2026_AUTUMN, SHANGHAI)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize("start,limit,due", [
    # Wednesday 16:00 before National Day: 1 h that day, the week off, Thursday 8 October 7 h, Friday 6 h.
    (local(2026, 9, 30, 16), Limit(2, "working_days"), local(2026, 10, 9, 16)),
    # Friday 16:00 + 4 h: 1 h on Friday, then Saturday 10 October is a make-up working day.
    (local(2026, 10, 9, 16), Limit(4, "working_hours"), local(2026, 10, 10, 12)),
    # Friday 18 September + 1 working day: Sunday 20 September is worked.
    (local(2026, 9, 18, 15), Limit(1, "working_days"), local(2026, 9, 20, 15)),
    # Thursday before Mid-Autumn: Friday to Sunday off (no make-up day), so Monday and Tuesday.
    (local(2026, 9, 24, 16), Limit(2, "working_days"), local(2026, 9, 29, 16)),
    # An ordinary weekend: Friday 16:00 + 8 h is Monday 17:00, the lunch hour not counted.
    (local(2026, 10, 16, 16), Limit(8, "working_hours"), local(2026, 10, 19, 17)),
    # Reported on a Saturday: the clock starts on Monday at 09:00; a whole day ends at 17:00.
    (local(2026, 10, 17, 11), Limit(1, "working_days"), local(2026, 10, 19, 17)),
    # Inside the lunch hour the clock waits until 13:00; half a working day is 3.5 h.
    (local(2026, 10, 19, 12, 30), Limit(0.5, "working_days"), local(2026, 10, 19, 16, 30)),
    # A limit used up exactly at the end of a day is due then, not the next morning.
    (local(2026, 10, 19, 13), Limit(4, "working_hours"), local(2026, 10, 19, 17)),
])
def test_due_times_across_weekends_holidays_and_make_up_days(calendar, start, limit, due):
    assert calendar.due_time(start, limit) == due


def test_a_start_given_in_utc_is_counted_on_the_city_s_clock(calendar):
    start = datetime.fromisoformat("2026-09-30T08:00:00+00:00")  # 16:00 in Shanghai
    assert calendar.due_time(start, Limit(2, "working_days")) == local(2026, 10, 9, 16)


def test_working_days_and_days_off(calendar):
    assert calendar.is_working_day(date(2026, 9, 20))  # a Sunday worked
    assert not calendar.is_working_day(date(2026, 10, 5))  # a Monday off
    assert not calendar.is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert calendar.day_seconds() == 7 * 3600


def test_clock_changes_keep_wall_hours():
    """Helsinki's clocks go back on Sunday 25 October 2026: Friday 16:00 + 2 h is Monday 10:00 local."""
    helsinki = zoneinfo.ZoneInfo("Europe/Helsinki")
    calendar = parse_calendar('{"hours": [["08:00", "16:00"]], "weekdays": [1, 2, 3, 4, 5]}', None, helsinki)
    due = calendar.due_time(datetime(2026, 10, 23, 15, tzinfo=helsinki), Limit(2, "working_hours"))
    assert due == datetime(2026, 10, 26, 9, tzinfo=helsinki)


@pytest.mark.parametrize("calendar_json,holidays,words", [
    ('{"hours": [["09:00", "12:00"]], "weekdays": [1]', None, "not JSON"),
    ('{"hours": [["9", "12:00"]], "weekdays": [1]}', None, "'9' is not a time of day"),
    ('{"hours": [["12:00", "09:00"]], "weekdays": [1]}', None, "end before they begin"),
    ('{"hours": [["09:00", "13:00"], ["12:00", "17:00"]], "weekdays": [1]}', None, "overlap"),
    ('{"hours": [], "weekdays": [1]}', None, "at least one period"),
    ('{"hours": [["09:00", "12:00"]], "weekdays": [0]}', None, "ISO weekdays"),
    ('{"hours": [["09:00", "12:00"]], "weekday": [1]}', None, '"weekdays"'),
    (HOURS, "date,kind\n2026-10-32,holiday\n", "line 2: date '2026-10-32' is not a date"),
    (HOURS, "date,kind\n2026-10-01,off\n", "line 2: kind 'off' is not holiday"),
    (HOURS, "date,kind\n2026-10-01,holiday\n2026-10-01,workday\n", "line 3: 2026-10-01 is listed twice"),
    (HOURS, "day,kind\n", "needs the columns date, kind"),
])
def test_broken_calendar_files_are_refused_naming_what_is_wrong(calendar_json, holidays, words):
    with pytest.raises(CalendarError) as caught:
        parse_calendar(calendar_json, holidays, SHANGHAI)
    assert words in str(caught.value)


def test_a_calendar_with_no_working_day_says_so():
    calendar = parse_calendar('{"hours": [["09:00", "12:00"]], "weekdays": []}', None, SHANGHAI)
    with pytest.raises(CalendarError, match="no working time within"):
        calendar.due_time(local(2026, 10, 1), Limit(1, "working_hours"))


@pytest.mark.parametrize("amount,unit", [(0, "working_days"), (-1, "working_hours"), (1, "days")])
def test_a_limit_is_positive_and_in_working_time(amount, unit):
    with pytest.raises(CalendarError):
        Limit(amount, unit)


def test_holidays_file_reads_days_off_and_make_up_days():
    holidays, workdays = parse_holidays(CHINA_2026_AUTUMN)
    assert len(holidays) == 10 and workdays == {date(2026, 9, 20), date(2026, 10, 10)}
