"""Cell values as people type them into trackers and exports: dates, percentages, numbers, yes/no, lists.

Each parser takes the cell as the reader gives it (text from CSV; float, date, datetime or text from
Excel) and returns a typed value, ``None`` for an empty cell, or raises :class:`CellError` with a
message that says what was expected.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 after Excel's 1900 leap-year bug
SERIAL_RANGE = (20_000, 80_000)  # 1954 .. 2119: numbers outside are not plausibly dates
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"), ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
# Month names in the languages trackers are most often kept in besides English (French, German,
# Spanish, Italian, Dutch, Portuguese), as written in full or abbreviated, accents optional.
MONTHS.update({
    name: number
    for number, names in enumerate(
        [
            ("janv", "janvier", "januar", "jän", "ene", "enero", "gen", "gennaio", "januari", "janeiro"),
            ("févr", "fevr", "février", "fevrier", "februar", "febr", "febrero", "febbraio", "februari", "fev",
             "fevereiro"),
            ("mars", "märz", "maerz", "mär", "mrz", "marzo", "mrt", "maart", "março", "marco"),
            ("avr", "avril", "abr", "abril", "aprile"),
            ("mai", "mayo", "mag", "maggio", "mei", "maio"),
            ("juin", "juni", "junio", "giu", "giugno", "junho"),
            ("juil", "juillet", "juli", "julio", "lug", "luglio", "julho"),
            ("août", "aout", "agosto", "ago", "augustus"),
            ("septembre", "set", "settembre", "septiembre", "setembro"),
            ("octobre", "okt", "oktober", "octubre", "ott", "ottobre", "out", "outubro"),
            ("novembre", "noviembre", "novembro"),
            ("déc", "dec", "décembre", "decembre", "dez", "dezember", "dic", "diciembre", "dicembre", "dezembro"),
        ],
        start=1,
    )
    for name in names
})
TRUE_WORDS = {"yes", "y", "true", "t", "1", "x", "✓", "✔", "milestone"}
FALSE_WORDS = {"no", "n", "false", "f", "0", "-"}
LEVEL_WORDS = {"very low": 1, "low": 2, "medium": 3, "med": 3, "moderate": 3, "high": 4, "very high": 5, "critical": 5}

_NUMERIC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SLASHED = re.compile(r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})$")
_DAY_MONTH_NAME = re.compile(r"^(\d{1,2})\.?[\s/-]+([^\W\d_]{3,9})\.?[\s/-]+(\d{2,4})$")
_MONTH_NAME_DAY = re.compile(
    r"^(?:[^\W\d_]{3,9}\.?,?\s+)?([^\W\d_]{3,9})\.?[\s/-]+(\d{1,2}),?[\s/-]+(\d{4})$")
_HOURS = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*(h|hr|hrs|hour|hours|d|day|days)?$", re.IGNORECASE)


class CellError(ValueError):
    """A cell that cannot be read as the column's type."""


class OutOfRange(CellError):
    """A number that reads, but that no one means (outside the believable bounds below)."""


#: Believable bounds (inclusive) of the numbers a connector hands to SQL. Anything else is a
#: data-entry slip (a phone number in an hours column) or a mis-mapped field: the row is
#: quarantined rather than allowed to skew - or overflow - every rollup above it.
HOURS = (0.0, 100_000.0)  # per item: estimates, actuals, durations
COST = (0.0, 1e12)
PERCENT = (0.0, 100.0)
STORY_POINTS = (0.0, 10_000.0)
LAG_HOURS = (-100_000.0, 100_000.0)


def within_bounds(value: float | None, bounds: tuple[float, float]) -> bool:
    """Whether ``value`` is empty, or finite and within ``bounds`` (the test :func:`in_range` words)."""
    return value is None or (math.isfinite(value) and bounds[0] <= value <= bounds[1])


def in_range(value: float | None, bounds: tuple[float, float]) -> float | None:
    """``value`` when it is empty, or finite and within ``bounds``; else :class:`CellError` naming both."""
    if not within_bounds(value, bounds):
        low, high = bounds
        raise OutOfRange(f"{value:g} is out of range; expected {low:g} to {high:g}")
    return value


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or (
        isinstance(value, float) and math.isnan(value)
    )


def parse_date(value: Any, *, day_first: bool) -> dt.date | None:
    """ISO, 15/01/2026 or 1/15/2026 (by ``day_first``), 15-Jan-2026, Jan 15, 2026, Excel serials."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(float(value), value)
    text = str(value).strip()
    if _NUMERIC.match(text):
        return _from_serial(float(text), text)
    # Drop a time part ("2026-01-15 08:00", "2026-01-15T08:00:00Z", "15/01/2026 9:30 AM").
    date_part = re.split(r"[T\s](?=\d{1,2}:\d{2})", text, maxsplit=1)[0].strip()
    try:
        return dt.date.fromisoformat(date_part)
    except ValueError:
        pass
    if match := _SLASHED.match(date_part):
        return _slashed(match.groups(), text, day_first)
    if match := _DAY_MONTH_NAME.match(date_part):
        day, month, year = match.groups()
        return _build(int(year), _month(month, text), int(day), text)
    if match := _MONTH_NAME_DAY.match(date_part):
        month, day, year = match.groups()
        return _build(int(year), _month(month, text), int(day), text)
    raise CellError(f"{text!r} is not a date; expected e.g. 2026-01-15, 15/01/2026 or 15-Jan-2026")


def _from_serial(number: float, original: Any) -> dt.date:
    if not SERIAL_RANGE[0] <= number <= SERIAL_RANGE[1]:
        raise CellError(f"{original!r} is a number, not a date; expected a date or an Excel date serial")
    return EXCEL_EPOCH + dt.timedelta(days=int(number))


def _slashed(parts: tuple[str, str, str], text: str, day_first: bool) -> dt.date:
    first, second, third = parts
    if len(first) == 4:  # 2026/01/15
        return _build(int(first), int(second), int(third), text)
    year = int(third) + (2000 if len(third) == 2 else 0)
    day, month = (int(first), int(second)) if day_first else (int(second), int(first))
    try:
        return dt.date(year, month, day)
    except ValueError:
        order = "day-first (DD/MM/YYYY)" if day_first else "month-first (MM/DD/YYYY)"
        other = "false" if day_first else "true"
        raise CellError(
            f"{text!r} is not a valid {order} date; fix the cell or set day_first: {other} on this source"
        ) from None


def _month(name: str, text: str) -> int:
    month = MONTHS.get(name.lower().rstrip("."))
    if month is None:
        raise CellError(f"{text!r} has an unknown month name {name!r}")
    return month


def _build(year: int, month: int, day: int, text: str) -> dt.date:
    if year < 100:
        year += 2000
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError(f"{text!r} is not a calendar date") from None


def parse_timestamp(value: Any, *, day_first: bool) -> dt.datetime | None:
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
        except ValueError:
            pass
    day = parse_date(value, day_first=day_first)
    return dt.datetime.combine(day, dt.time()) if day else None


def parse_number(value: Any) -> float | None:
    """Plain numbers, with thousands separators or a currency sign tolerated."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(",", "").replace("\u00a0", "")
    text = re.sub(r"^[£$€¥]\s*", "", text)
    if not _NUMERIC.match(text):
        raise CellError(f"{str(value)!r} is not a number")
    return float(text)


def parse_hours(value: Any) -> float | None:
    """Hours as 12, 12h, 12 hours, or days as 1.5d (8 h per day)."""
    if is_blank(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _HOURS.match(str(value).strip().replace(",", ""))
    if not match:
        raise CellError(f"{str(value)!r} is not a number of hours; expected e.g. 12, 12h or 1.5d")
    number, unit = float(match.group(1)), (match.group(2) or "h").lower()
    return number * 8 if unit.startswith("d") else number


def parse_percent(value: Any) -> tuple[float | None, bool]:
    """Return (number, explicit): '50%' -> (50, True); '50' -> (50, False); 0.5 -> (0.5, False).

    Whether a bare number is a fraction (0.5) or a percentage (50) is decided per sheet in
    staging SQL: a column whose bare numbers never exceed 1 holds fractions.
    """
    if is_blank(value):
        return None, False
    explicit = isinstance(value, str) and value.strip().endswith("%")
    text = value.strip().rstrip("%").strip() if isinstance(value, str) else value
    try:
        number = parse_number(text)
    except CellError:
        raise CellError(f"{str(value)!r} is not a percentage; expected 50, 50% or 0.5") from None
    if number is None:
        return None, False
    if number < 0 or number > 100:
        raise CellError(f"{str(value)!r} is outside 0-100%")
    return number, explicit


def parse_bool(value: Any) -> bool | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if isinstance(value, int | float):
        text = "1" if value else "0"
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(f"{str(value)!r} is not yes/no; expected yes, no, true, false, x or empty")


def parse_level(value: Any) -> float | None:
    """Risk probability or impact on a 1-5 scale: 1-5, Low/Medium/High, or a percentage for likelihood."""
    if is_blank(value):
        return None
    if isinstance(value, str) and value.strip().lower() in LEVEL_WORDS:
        return float(LEVEL_WORDS[value.strip().lower()])
    number, explicit = parse_percent(value)
    if number is None:
        return None
    if explicit or (0 < number < 1):
        fraction = number / 100 if explicit else number
        return float(min(5, max(1, math.ceil(fraction * 5))))  # 0-20% -> 1 ... 80-100% -> 5
    if 1 <= number <= 5:
        return number
    raise CellError(f"{str(value)!r} is not a level; expected 1-5, Low/Medium/High or a percentage")


def parse_list(value: Any) -> list[str]:
    """'General Ledger; Payroll, HRIS' -> ['General Ledger', 'Payroll', 'HRIS']."""
    if is_blank(value):
        return []
    return [part.strip() for part in re.split(r"[;,\n|]", str(value)) if part.strip()]


def as_text(value: Any) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()
