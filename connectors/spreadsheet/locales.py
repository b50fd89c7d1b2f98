"""Numbers and dates in the user's locale, decided per column from the column's own values.

``12,5`` and ``1.234,56`` are decimal-comma numbers; ``12.5`` and ``1,234.56`` decimal-point ones;
``1,234`` could be either and is read only when the column (or the source's ``decimal`` option)
says which. Dates like ``03/04/2026`` are ordered by the column's evidence (a ``13/04/2026`` shows
day first) or the ``day_first`` option; a column that shows neither is reported once, as a column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from connectors.values import CellError

Decimal = Literal["comma", "point"]

_COMMA_ONLY = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+,\d+|\d+,(\d{1,2}|\d{4,}))$")  # 1.234,56  12,5  0,1234
_POINT_ONLY = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+\.\d+|\d{1,3}(,\d{3}){2,}|\d+\.(\d{1,2}|\d{4,}))$")  # 1,234.56
_AMBIGUOUS = re.compile(r"^[+-]?\d{1,3},\d{3}$")  # 1,234: a thousands comma, or a decimal comma?
_MARKS = re.compile(r"[.,\s\u00a0\u202f]")
_PARTS = re.compile(r"^(?P<pre>[^\d+-]*)(?P<number>[+-]?\d[\d.,]*)(?P<post>.*)$", re.S)
_DOTTED_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3}){2,}$")  # 1.234.567: only ever thousands
_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})(?:[T\s].*)?$")


def number_evidence(value: Any) -> Decimal | None:
    """What one cell shows about its column's decimal mark (None: nothing, e.g. '12' or a real number)."""
    number = _number_part(value)
    if number is None:
        return None
    if _COMMA_ONLY.match(number) or _DOTTED_THOUSANDS.match(number):
        return "comma"
    if _POINT_ONLY.match(number):
        return "point"
    return None


def decide_decimal(values: Iterable[Any], option: str) -> Decimal | None:
    """The column's decimal mark: the option when set, else what its values show (None: they show
    nothing, or both marks)."""
    if option in ("comma", "point"):
        return option  # type: ignore[return-value]
    seen = {number_evidence(value) for value in values} - {None}
    return seen.pop() if len(seen) == 1 else None  # type: ignore[return-value]


def normalise_number(value: Any, decimal: Decimal | None) -> Any:
    """Text in the column's convention rewritten with a decimal point and no thousands marks
    ('1.234,56 h' -> '1234.56 h') for the plain parsers; other cells as given.

    Raises CellError for '1,234' when the column's decimal mark is unknown."""
    number = _number_part(value)
    if number is None:
        return value
    parts = _PARTS.match(_join_digit_groups(value.strip()))
    assert parts is not None  # _number_part matched the same text
    shown = number_evidence(number)
    if decimal is not None and shown not in (None, decimal):
        raise CellError(f"{value!r} is written with a decimal {shown} but the column's numbers use a decimal "
                        f"{decimal}; fix the cell, or set decimal: {shown} on this source if the column is wrong")
    if decimal == "comma" or shown == "comma":
        plain = re.sub(r"\.(?=\d{3}(\D|$))", "", number).replace(",", ".")
    elif _AMBIGUOUS.match(number) and decimal is None:
        raise CellError(
            f"{value!r} is ambiguous: {number.replace(',', '')} with a thousands comma, or "
            f"{number.replace(',', '.')} with a decimal comma; write it unambiguously or set decimal: comma "
            "or decimal: point on this source"
        )
    else:
        plain = number.replace(",", "")
    return parts["pre"] + plain + parts["post"]


def _number_part(value: Any) -> str | None:
    if not isinstance(value, str) or not _MARKS.search(value):
        return None  # no comma, dot or space: nothing to decide or rewrite (the common '12', '40h')
    parts = _PARTS.match(_join_digit_groups(value.strip()))
    return parts["number"] if parts else None


def _join_digit_groups(text: str) -> str:
    """'1 234,5' (a space, or a no-break space, between thousands) -> '1234,5'."""
    return re.sub(r"(?<=\d)[ \u00a0\u202f](?=\d{3}(\D|$))", "", text)


def date_order_evidence(value: Any) -> bool | None:
    """True when a cell can only be day-first (13/04/2026), False when only month-first (04/13/2026)."""
    if not isinstance(value, str):
        return None
    match = _SLASHED.match(value.strip())
    if not match:
        return None
    first, second = int(match[1]), int(match[2])
    if "." in value and first <= 31 and second <= 12:
        return True  # 05.01.2026: dotted dates are written day first wherever they are used
    if first > 12 >= second:
        return True
    if second > 12 >= first:
        return False
    return None


def is_ambiguous_date(value: Any) -> bool:
    """03/04/2026: both orders are calendar dates, and they differ."""
    if not isinstance(value, str):
        return False
    match = _SLASHED.match(value.strip())
    return bool(match) and "." not in value and match[1] != match[2] and int(match[1]) <= 12 and int(match[2]) <= 12


def decide_day_first(values: Iterable[Any], option: bool | None, decimal: str) -> tuple[bool, str | None]:
    """(day_first, why it is a guess or None): the option when set, else the column's evidence, else
    the locale (a decimal-comma source writes day first) with the reason to report."""
    if option is not None:
        return option, None
    cells = list(values)
    seen = {date_order_evidence(value) for value in cells} - {None}
    if len(seen) == 1:
        return seen.pop(), None
    guess = decimal == "comma"
    ambiguous = [str(value).strip() for value in cells if is_ambiguous_date(value)]
    if not ambiguous:
        return guess, None
    order = "day first (DD/MM)" if guess else "month first (MM/DD)"
    if seen:
        why = "the column holds dates in both orders (e.g. 13/04 and 04/13)"
    else:
        why = f"no date in the column shows its order (e.g. {ambiguous[0]!r})"
    return guess, f"{why}; read {order} - set day_first: true or false on this source to decide"
