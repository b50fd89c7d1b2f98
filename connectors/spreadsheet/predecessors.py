"""Predecessor cells as people write them: ``2`` (an Excel number, 2.0), ``2,3``, ``2;3``, ``2FS+1d``,
``3SS-2 days``, ``4FF``, ``5SF+1w``, ``1.2.3`` (an outline number), ``Scope!12`` (another project,
sheet or file of the source).

An id is what the task's ID column holds; in a sheet without one, the Excel row number of the task
(or its outline number, from a WBS / Outline column). Lags are turned into hours with the source's
working calendar (see :mod:`connectors.spreadsheet.units`).
"""

from __future__ import annotations

import re
from typing import Any

from connectors import values as v
from connectors.spreadsheet.units import TIME_UNITS, Calendar

_LINK = re.compile(
    r"^(?:(?P<scope>[^!]+)!)?(?P<id>[^\s!]+?)"
    r"(?:\s*(?P<type>FS|SS|FF|SF)(?:\s*(?P<sign>[+-])\s*(?P<lag>\d+(?:[.,]\d+)?)\s*(?P<unit>[a-z][a-z ]*?)?\.?)?)?$",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"[;\n|]|,(?!\d+\s*(?:[a-z]|$))", re.IGNORECASE)


def split_predecessors(cell: Any) -> list[str]:
    """The references in one cell: 2.0 -> ['2']; '2,3' -> ['2', '3']; '2FS+1,5d; 4' -> ['2FS+1,5d', '4']."""
    if v.is_blank(cell):
        return []
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return [v.as_text(cell) or ""]  # Excel stores the number 2 as 2.0; the ID cell reads '2'
    text = str(cell)
    if not re.search(r"[+-]\s*\d+,\d", text):  # no decimal comma inside a lag: a comma separates
        return [part.strip() for part in re.split(r"[;,\n|]", text) if part.strip()]
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


def parse_link(token: str, calendar: Calendar) -> dict[str, Any] | None:
    """One reference -> scope, id, link type and lag in hours; None when it is not one."""
    match = _LINK.match(token.strip())
    if not match:
        return None
    unit = (match["unit"] or "d").strip().lower()
    if unit not in TIME_UNITS:
        return None
    lag = float((match["lag"] or "0").replace(",", ".")) * calendar.hours(TIME_UNITS[unit])
    if not v.LAG_HOURS[0] <= lag <= v.LAG_HOURS[1]:
        return None  # an implausible lag is quarantined like any unreadable dependency
    return {
        "predecessor_scope": match["scope"].strip() if match["scope"] else None,
        "predecessor_id": _plain_id(match["id"]),
        "link_type": (match["type"] or "FS").upper(),
        "lag_hours": -lag if match["sign"] == "-" else lag,
    }


def _plain_id(text: str) -> str:
    """'2.0' (a number that went through text) -> '2'; '1.2.3' and 'A2' are kept as written."""
    return text[:-2] if re.fullmatch(r"\d+\.0", text) else text
