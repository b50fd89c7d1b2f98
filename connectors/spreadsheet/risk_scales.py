"""Risk probability and impact as people write them, normalised to 1-5 (severity = p x i, 1-25).

A column is read on one scale: words (one of WORD_SCALES), numbers on 1-3, 1-4, 1-5 or 1-10 (the
source's ``risk_scales`` option, a ``(1-10)`` in the header, else inferred from the column's largest
number), or percentages (in fifths). Numbers are mapped linearly so both ends of every scale meet
the ends of 1-5: on 1-10, 1 -> 1 and 10 -> 5.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from connectors import values as v

NUMERIC_SCALES = (3, 4, 5, 10)
DEFAULT_SCALE = 5
#: A 1-3 or 1-4 scale is inferred only from this many numbers at least: a 1-5 column whose few
#: risks happen to stay at 3 or below must not be stretched.
MIN_VALUES_TO_INFER = 5

_VL_VH = {"very low": 1, "vl": 1, "low": 2, "l": 2, "medium": 3, "med": 3, "m": 3, "moderate": 3,
          "high": 4, "h": 4, "very high": 5, "vh": 5, "critical": 5}
WORD_SCALES: dict[str, dict[str, int]] = {
    "Very low/Low/Medium/High/Very high (VL..VH, L/M/H)": _VL_VH,
    "Rare/Unlikely/Possible/Likely/Almost certain": {
        "rare": 1, "unlikely": 2, "possible": 3, "likely": 4, "almost certain": 5},
    "Negligible/Minor/Moderate/Major/Severe or Catastrophic": {
        "negligible": 1, "insignificant": 1, "minor": 2, "moderate": 3, "major": 4, "severe": 5,
        "catastrophic": 5},
    # Five words from Low up: chosen for a column that uses Critical and never Very low.
    "Low/Medium/High/Very high/Critical": {"low": 1, "medium": 2, "med": 2, "high": 3, "very high": 4, "critical": 5},
}
_LOW_TO_CRITICAL = "Low/Medium/High/Very high/Critical"
_HEADER_SCALE = re.compile(r"\b1 (3|4|5|10)\b")  # 'Impact (1-10)' normalises to 'impact 1 10'


def accepted_scales() -> str:
    words = "; ".join(name for name in WORD_SCALES if name != _LOW_TO_CRITICAL)
    return f"words ({words}; Low/Medium/High/Very high/Critical), numbers on 1-3, 1-4, 1-5 or 1-10, or a percentage"


@dataclass(frozen=True)
class ColumnScale:
    """How one column is read: its word scale and its numeric scale, and why."""

    words: str
    numbers: int
    note: str | None = None  # set when the scale was inferred, for the run log

    def read(self, cell: Any) -> tuple[float | None, str | None]:
        """(level 1-5, scale used) of one cell; raises CellError naming the accepted scales."""
        if v.is_blank(cell):
            return None, None
        word = _word(cell)
        if word is not None:
            for name in (self.words, *WORD_SCALES):
                if word in WORD_SCALES[name]:
                    return float(WORD_SCALES[name][word]), name
        try:
            number, explicit = v.parse_percent(cell)
        except v.CellError:
            number, explicit = None, False
        if number is not None and (explicit or 0 < number < 1):
            fraction = number / 100 if explicit else number
            return float(min(5, max(1, math.ceil(fraction * 5)))), "percent"  # 0-20% -> 1 ... 80-100% -> 5
        if number is not None and 1 <= number <= self.numbers:
            return 1 + (number - 1) * 4 / (self.numbers - 1), f"1-{self.numbers}"
        raise v.CellError(f"{str(cell)!r} is not on a risk scale read here (this column: numbers 1-{self.numbers}); "
                          f"accepted: {accepted_scales()}")


def column_scale(header: Any, cells: Iterable[Any], declared: int | None) -> ColumnScale:
    """The scale of one probability or impact column, from the option, the header, or its values."""
    cells = [c for c in cells if not v.is_blank(c)]
    words = {w for w in map(_word, cells) if w is not None}
    word_scale = next(iter(WORD_SCALES))
    if "critical" in words and not words & {"very low", "vl"}:
        word_scale = _LOW_TO_CRITICAL
    named = _HEADER_SCALE.search(_normalised(header))
    if declared is not None:
        return ColumnScale(word_scale, declared)
    if named:
        return ColumnScale(word_scale, int(named.group(1)))
    numbers = [n for n in map(_whole_number, cells) if n is not None]
    top = max(numbers, default=0)
    if 5 < top <= 10:
        return ColumnScale(word_scale, 10, f"column {header!r} read on a 1-10 scale (its largest number is {top:g})")
    if top in (3, 4) and len(numbers) >= MIN_VALUES_TO_INFER:
        scale = int(top)
        return ColumnScale(word_scale, scale, f"column {header!r} read on a 1-{scale} scale (its largest of "
                                              f"{len(numbers)} numbers is {scale}); set risk_scales: if it is 1-5")
    return ColumnScale(word_scale, DEFAULT_SCALE)


def _word(cell: Any) -> str | None:
    if not isinstance(cell, str):
        return None
    text = re.sub(r"[\s_-]+", " ", cell.strip().lower())
    return text if re.search(r"[a-z]", text) and not text.endswith("%") else None


def _whole_number(cell: Any) -> float | None:
    """A plain number of 1 or more (not a percentage, not a fraction)."""
    if isinstance(cell, str) and cell.strip().endswith("%"):
        return None
    try:
        number = v.parse_number(cell)
    except v.CellError:
        return None
    return number if number is not None and number >= 1 else None


def _normalised(header: Any) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(header or "").lower()).strip()
