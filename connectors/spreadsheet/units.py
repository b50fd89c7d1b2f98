"""Units of time and money as trackers write them: in a header (``Effort (days)``, ``Cost (k€)``)
and in a cell (``8 wks``, ``3 mons``, ``2.5d``, ``4h``, ``90 min``).

Everything is turned into hours (or plain currency units) with a stated working calendar: the
source's ``hours_per_day``, ``days_per_week`` and ``days_per_month`` (MS Project's defaults: 8 h a
day, 5 days a week, 20 days a month). A header unit that is not a known one is refused, never read
as hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connectors.values import CellError


@dataclass(frozen=True)
class Calendar:
    hours_per_day: float = 8.0
    days_per_week: float = 5.0
    days_per_month: float = 20.0

    def hours(self, unit: str) -> float:
        """Hours in one ``unit`` (a canonical unit: minute, hour, day, week, month)."""
        return {
            "minute": 1 / 60, "hour": 1.0, "day": self.hours_per_day,
            "week": self.hours_per_day * self.days_per_week, "month": self.hours_per_day * self.days_per_month,
        }[unit]


# MS Project's abbreviations: m = minutes, mo = months.
TIME_UNITS: dict[str, str] = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "minute"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "person hours", "man hours"), "hour"),
    **dict.fromkeys(("d", "dy", "day", "days", "person days", "man days", "pd", "md", "workdays", "working days"),
                    "day"),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks", "person weeks"), "week"),
    **dict.fromkeys(("mo", "mon", "mons", "mth", "mths", "month", "months", "person months"), "month"),
}
_CURRENCY = r"(?:€|\$|£|¥|eur|usd|gbp|chf|sek|nok|dkk|jpy|cad|aud|inr)"
_MONEY = re.compile(rf"^(?:(?P<pre>k|m|mn|000s?|'000)\s*{_CURRENCY}|{_CURRENCY}\s*(?P<post>k|m|mn|000s?|'000)?)$")
_MONEY_SCALE = {"k": 1e3, "000": 1e3, "000s": 1e3, "'000": 1e3, "m": 1e6, "mn": 1e6}
_HEADER_UNIT = re.compile(r"^(?P<base>.*?)\s*[(\[](?P<unit>[^)\]]*)[)\]]\s*$")
_VALUE = re.compile(r"^(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?P<unit>[a-z][a-z ]*?)?\.?$")


def split_header(header: object) -> tuple[str, str | None]:
    """'Effort (days)' -> ('Effort', 'days'); 'Estimate [h]' -> ('Estimate', 'h'); 'Task' -> ('Task', None)."""
    text = str(header or "").strip()
    match = _HEADER_UNIT.match(text)
    if match and match["base"]:
        return match["base"], match["unit"].strip()
    return text, None


def trailing_time_unit(normalised_header: str) -> tuple[str, str] | None:
    """'effort days' -> ('effort', 'day'): a unit written as the header's last word, without brackets."""
    base, _, last = normalised_header.rpartition(" ")
    if base and last in TIME_UNITS and len(last) > 1:
        return base, TIME_UNITS[last]
    return None


def time_unit(unit: str | None) -> str | None:
    """The canonical time unit of a header's unit text; CellError naming it when it is not one."""
    if unit is None:
        return None
    key = re.sub(r"[^a-z ]+", " ", unit.lower()).strip()
    if key in TIME_UNITS:
        return TIME_UNITS[key]
    raise CellError(f"unit {unit!r} is not a unit of time; expected h, days, wks or months "
                    "(rename the header, e.g. 'Effort (days)')")


def money_scale(unit: str | None) -> float:
    """'k€' -> 1000; '€' or no unit -> 1; '$m' -> 1e6; CellError when the unit is not money."""
    if unit is None:
        return 1.0
    key = unit.lower().replace(" ", "")
    match = _MONEY.match(key)
    if match is None:
        raise CellError(f"unit {unit!r} is not a currency; expected e.g. €, $, k€ or $m")
    return _MONEY_SCALE.get(match["pre"] or match["post"] or "", 1.0)


def to_hours(value: float | str, default_unit: str | None, calendar: Calendar) -> float:
    """A number in the column's unit (hours when the header names none), or text with its own unit."""
    if isinstance(value, int | float):
        return float(value) * calendar.hours(default_unit or "hour")
    match = _VALUE.match(value.strip().lower())
    if match is None:
        raise CellError(f"{value!r} is not a duration; expected e.g. 12, 4h, 2.5d, 8 wks, 3 mons or 90 min")
    unit = match["unit"].strip() if match["unit"] else None
    if unit is not None and unit not in TIME_UNITS:
        raise CellError(f"{value!r} has an unknown unit {unit!r}; expected min, h, d, wk or mo")
    canonical = TIME_UNITS[unit] if unit else (default_unit or "hour")
    return float(match["number"]) * calendar.hours(canonical)
