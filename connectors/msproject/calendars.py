"""MS Project calendars: which dates are working days, for the plan and for each resource.

Format-neutral: a reader turns its calendars into :class:`Calendar` values (MSPDI ``<Calendar>``
elements here, MPXJ's ``ProjectCalendar`` in mpp.py) and :func:`differing_days` expands one over a
bounded window into the dates that differ from a reference (Monday-Friday for the plan's calendar,
the plan's calendar for a resource's), which is all the warehouse stores.

Resolution, as Project does it: a date is an exception of the calendar itself, else of its base
calendar (a company holiday applies to everyone on it), else its alternative work week covering the
date, else its default week, else its base calendar's week; with nothing at all, Monday-Friday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

#: How far around the plan's own span calendar dates are expanded: baseline windows and
#: assignments may sit outside the current start-finish.
WINDOW_MARGIN = dt.timedelta(days=366)
MAX_WINDOW = dt.timedelta(days=366 * 30)  # a plan spanning more is clipped to its first 30 years
MAX_EXCEPTION_DAYS = 366 * 30  # an exception range longer than this is absurd: refused
ONE_DAY = dt.timedelta(days=1)

Week = dict[int, bool]  # Python weekday (0 = Monday) -> working
WorkingFn = Callable[[dt.date], bool]


@dataclass
class Exception_:
    """One exception range: every date in [start, finish], or every ``period``-th day (``days``) or
    the ``weekdays`` of every ``period``-th week (``weeks``) from ``start``."""

    start: dt.date
    finish: dt.date
    working: bool
    recurrence: str = "days"  # days | weeks
    period: int = 1
    weekdays: frozenset[int] = frozenset()

    def dates(self, low: dt.date, high: dt.date) -> Iterator[dt.date]:
        """The exception's dates inside [low, high]."""
        day, last = max(self.start, low), min(self.finish, high)
        while day <= last:
            offset = (day - self.start).days
            if self.recurrence == "weeks":  # weeks as Project counts them by default: Sunday to Saturday
                week = (day - (self.start - dt.timedelta(days=(self.start.weekday() + 1) % 7))).days // 7
                if week % self.period == 0 and day.weekday() in self.weekdays:
                    yield day
            elif offset % self.period == 0:
                yield day
            day += ONE_DAY


@dataclass
class Calendar:
    uid: int
    name: str | None = None
    base_uid: int | None = None
    week: Week = field(default_factory=dict)
    work_weeks: list[tuple[dt.date, dt.date, Week]] = field(default_factory=list)
    exceptions: list[Exception_] = field(default_factory=list)


def weekday_default(day: dt.date) -> bool:
    return day.weekday() < 5


class Resolver:
    """Working or not, per date, for the calendars of one plan, expanded once over a window."""

    def __init__(self, calendars: Mapping[int, Calendar], low: dt.date, high: dt.date):
        self.calendars, self.low, self.high = calendars, low, high
        self._exceptions: dict[int, dict[dt.date, bool]] = {}

    def exceptions(self, uid: int) -> dict[dt.date, bool]:
        if uid not in self._exceptions:
            days: dict[dt.date, bool] = {}
            for exception in self.calendars[uid].exceptions:
                for day in exception.dates(self.low, self.high):
                    days[day] = exception.working
            self._exceptions[uid] = days
        return self._exceptions[uid]

    def chain(self, uid: int | None) -> list[Calendar]:
        """The calendar and its bases, nearest first (a cycle of bases is cut)."""
        found: list[Calendar] = []
        while uid in self.calendars and all(c.uid != uid for c in found):
            found.append(self.calendars[uid])
            uid = self.calendars[uid].base_uid
        return found

    def working(self, uid: int | None) -> WorkingFn:
        chain = self.chain(uid)
        exception_maps = [self.exceptions(c.uid) for c in chain]

        def is_working(day: dt.date) -> bool:
            for days in exception_maps:
                if day in days:
                    return days[day]
            for calendar in chain:
                for start, finish, week in calendar.work_weeks:
                    if start <= day <= finish and day.weekday() in week:
                        return week[day.weekday()]
                if day.weekday() in calendar.week:
                    return calendar.week[day.weekday()]
            return weekday_default(day)

        return is_working


def window(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The dates to expand calendars over: the plan's span plus a margin, at most MAX_WINDOW long."""
    low, high = first - WINDOW_MARGIN, last + WINDOW_MARGIN
    return low, min(high, low + MAX_WINDOW)


def differing_days(working: WorkingFn, reference: WorkingFn,
                   low: dt.date, high: dt.date) -> list[tuple[dt.date, bool]]:
    """(date, is_working) for every date in [low, high] where ``working`` and ``reference`` disagree."""
    found, day = [], low
    while day <= high:
        state = working(day)
        if state != reference(day):
            found.append((day, state))
        day += ONE_DAY
    return found


# --- MSPDI -----------------------------------------------------------------------------------------

def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _child(element: Any, name: str) -> Any:
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element: Any, name: str) -> str | None:
    child = _child(element, name)
    return (child.text or "").strip() if child is not None else None


def _date(value: str | None) -> dt.date | None:
    return dt.datetime.fromisoformat(value).date() if value else None


def _period(element: Any) -> tuple[dt.date, dt.date] | None:
    """FromDate/ToDate of the element's TimePeriod; ValueError when reversed or absurdly long."""
    period = _child(element, "TimePeriod")
    if period is None:
        return None
    start, finish = _date(_text(period, "FromDate")), _date(_text(period, "ToDate"))
    if start is None or finish is None:
        return None
    if finish < start or (finish - start).days > MAX_EXCEPTION_DAYS:
        raise ValueError(f"exception from {start} to {finish} is reversed or longer than 30 years; "
                         "correct it in Project (Change Working Time)")
    return start, finish


def _week(element: Any) -> Week:
    """DayType 1..7 (Sunday..Saturday) of a WeekDays element -> Python weekday -> working."""
    week: Week = {}
    for day in element if element is not None else ():
        day_type, working = _text(day, "DayType"), _text(day, "DayWorking")
        if day_type in {"1", "2", "3", "4", "5", "6", "7"} and working in {"0", "1"}:
            week[(int(day_type) + 5) % 7] = working == "1"
    return week


def parse_mspdi_calendar(element: Any) -> Calendar:
    """One ``<Calendar>`` element (namespace ignored). Exceptions are read from the pre-2007
    ``WeekDay`` entries of DayType 0 (Project writes every occurrence of a recurring exception there),
    else from the 2007+ ``<Exceptions>`` (daily, every n days, or weekly recurrence)."""
    base = _text(element, "BaseCalendarUID")
    calendar = Calendar(uid=int(_text(element, "UID") or 0), name=_text(element, "Name"),
                        base_uid=int(base) if base not in (None, "", "-1") and _text(element, "IsBaseCalendar") != "1"
                        else None)
    week_days = _child(element, "WeekDays")
    calendar.week = _week(week_days)
    for day in week_days if week_days is not None else ():
        period = _period(day) if _text(day, "DayType") == "0" else None
        if period:
            calendar.exceptions.append(Exception_(period[0], period[1], _text(day, "DayWorking") == "1"))
    if not calendar.exceptions:
        for exception in _child(element, "Exceptions") if _child(element, "Exceptions") is not None else ():
            parsed = _mspdi_exception(exception)
            if parsed:
                calendar.exceptions.append(parsed)
    for work_week in _child(element, "WorkWeeks") if _child(element, "WorkWeeks") is not None else ():
        period = _period(work_week)
        if period:
            calendar.work_weeks.append((period[0], period[1], _week(_child(work_week, "WeekDays"))))
    return calendar


#: 2007+ exception Type: 1 daily (every date), 7 every Period days, 6 weekly (DaysOfWeek bits,
#: 1 = Sunday ... 64 = Saturday). Monthly and yearly recurrences appear expanded in the DayType 0
#: entries that Project writes beside them.
def _mspdi_exception(element: Any) -> Exception_ | None:
    period = _period(element)
    if period is None:
        return None
    kind, every = _text(element, "Type") or "1", int(_text(element, "Period") or 1) or 1
    working = _text(element, "DayWorking") == "1"
    if kind == "6":
        bits = int(_text(element, "DaysOfWeek") or 0)
        days = frozenset((bit + 6) % 7 for bit in range(7) if bits & (1 << bit))
        return Exception_(period[0], period[1], working, "weeks", every, days)
    return Exception_(period[0], period[1], working, "days", every if kind == "7" else 1)
