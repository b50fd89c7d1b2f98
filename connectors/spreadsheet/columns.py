"""How each task column of one sheet is typed, decided once per sheet from its header and values.

A column's rules come from its header (a unit: ``Effort (days)``, ``Cost (k€)``) and from the
column's first values (a decimal comma, the order of day and month). Each rule is a small pure
function ``cell -> value`` that raises :class:`~connectors.values.CellError`; the connector turns
an error into a cell-level finding and leaves that field empty.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors import values as v
from connectors.spreadsheet import locales, units
from connectors.spreadsheet.headers import header_unit

Rule = Callable[[Any], Any]

DATE_FIELDS = ("start", "finish", "due", "baseline_start", "baseline_finish", "actual_start", "actual_finish")
HOUR_FIELDS = ("work_hours", "actual_work_hours", "duration")
COST_FIELDS = ("cost", "baseline_cost", "actual_cost")


@dataclass(frozen=True)
class Locale:
    """The source's reading options: ``day_first`` None and ``decimal`` 'auto' are decided per column."""

    day_first: bool | None = None
    decimal: str = "auto"
    calendar: units.Calendar = units.Calendar()


@dataclass
class ColumnRules:
    rules: dict[str, Rule] = field(default_factory=dict)
    #: field -> why the whole column is left unread (an unknown unit): reported once for the sheet.
    refused: dict[str, str] = field(default_factory=dict)
    #: field -> what is uncertain about a column that is read anyway (dates in an undecided order).
    notes: dict[str, str] = field(default_factory=dict)


def task_rules(
    header: Sequence[Any], columns: dict[str, int], sample: Sequence[Sequence[Any]], locale: Locale,
) -> ColumnRules:
    """The rules of every recognised task column of a sheet; ``sample`` is its first rows of data."""
    out = ColumnRules()

    def values(field_name: str) -> list[Any]:
        column = columns[field_name]
        return [row[column] for row in sample if column < len(row) and not v.is_blank(row[column])]

    for name in columns:
        unit = header_unit(header[columns[name]])
        try:
            if name in DATE_FIELDS or name == "updated_at":
                out.rules[name], note = _date_rule(name, unit, values(name), locale)
                if note:
                    out.notes[name] = note
            elif name in HOUR_FIELDS:
                out.rules[name] = hours_rule(units.time_unit(unit), _decimal(values(name), locale), locale.calendar)
            elif name in COST_FIELDS:
                out.rules[name] = number_rule(_decimal(values(name), locale), v.COST, units.money_scale(unit))
            elif name == "story_points":
                out.rules[name] = number_rule(_decimal(values(name), locale), v.STORY_POINTS)
            elif name == "percent_complete":
                out.rules[name] = percent_rule(_decimal(values(name), locale))
        except v.CellError as exc:
            out.refused[name] = str(exc)
    return out


def _decimal(cells: list[Any], locale: Locale) -> locales.Decimal | None:
    return locales.decide_decimal(cells, locale.decimal)


def _date_rule(name: str, unit: str | None, cells: list[Any], locale: Locale) -> tuple[Rule, str | None]:
    declared = locale.day_first
    if declared is None and unit and unit.lower().startswith(("dd", "mm")):  # 'Start (dd/mm/yyyy)'
        declared = unit.lower().startswith("dd")
    day_first, note = locales.decide_day_first(cells, declared, locale.decimal)
    if name == "updated_at":
        return (lambda cell: v.parse_timestamp(cell, day_first=day_first)), note
    return (lambda cell: v.parse_date(cell, day_first=day_first)), note


def hours_rule(unit: str | None, decimal: locales.Decimal | None, calendar: units.Calendar) -> Rule:
    """A duration or effort in hours: bare numbers in the header's unit, text with its own unit."""

    def parse(cell: Any) -> float | None:
        if v.is_blank(cell):
            return None
        if isinstance(cell, bool):
            raise v.CellError(f"{cell!r} is not a duration")
        text = locales.normalise_number(cell, decimal)
        return v.in_range(units.to_hours(text, unit, calendar), v.HOURS)

    return parse


def number_rule(decimal: locales.Decimal | None, bounds: tuple[float, float], scale: float = 1.0) -> Rule:
    """A plain number in the column's decimal convention, times the header's scale (k€ = 1000)."""

    def parse(cell: Any) -> float | None:
        number = v.parse_number(locales.normalise_number(cell, decimal))
        return v.in_range(None if number is None else number * scale, bounds)

    return parse


def percent_rule(decimal: locales.Decimal | None) -> Callable[[Any], tuple[float | None, bool]]:
    def parse(cell: Any) -> tuple[float | None, bool]:
        return v.parse_percent(locales.normalise_number(cell, decimal))

    return parse
