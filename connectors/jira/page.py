"""One page of Jira issues into the Jira raw tables, column by column (the REST sync's path).

One pass pulls each issue's values into column lists (``issue_values``, its times and dates kept
raw); then each time and date column of the page is parsed by Arrow in one call, the range check
runs on whole columns and each table is built once. Arrow is given only the values it reads exactly
as ``parse_jira_time``/``_date`` do (ISO times with an offset, Jira's ``2024-01-02T03:04:05.000+0000``,
and plain dates); any other value goes through those parsers themselves. An issue any step refuses
is mapped again by the row path (``issue_rows``), which raises the error it always raised (same field,
same words) or, should it read the issue after all, gives the rows: the two paths cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from connectors.jira.mapping import (
    DATE,
    LIMITS,
    RAW_SCHEMAS,
    TS,
    FieldIds,
    issue_rows,
    issue_values,
    read_day,
    read_time,
)

#: What an issue is quarantined for (IssueError is a ValueError); anything else fails the source, as before.
UNREADABLE = (AttributeError, KeyError, TypeError, ValueError)
_TABLES = ("issues", "links", "versions", "changelog")
_YEAR = r"[12]\d{3}"  # years whose offset arithmetic cannot leave Python's range (others: the slow path)
_ISO_TIME = _YEAR + r"-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:?\d\d)"
_ISO_DAY = _YEAR + r"-\d\d-\d\d"
_AWARE = pa.timestamp("us", "UTC")
Convert = Callable[[pa.Array], pa.Array]


@dataclass
class PageTables:
    """The page's rows per raw table, in page order, and the issues refused with what refused them."""

    tables: dict[str, pa.Table]
    failures: list[tuple[Mapping[str, Any], Exception]] = field(default_factory=list)


def page_tables(issues: Sequence[Mapping[str, Any]], fields: FieldIds, risk_type: str,
                report_type: str) -> PageTables:
    """A page of issues (a search's ``issues``) -> the rows ``issue_rows`` gives, as one table per raw table."""
    buffers = _Buffers()
    redo: list[int] = []  # positions the row path maps (and words the error of)
    for position, issue in enumerate(issues):
        try:
            buffers.add(position, issue_values(issue, fields, risk_type, report_type, _raw, _raw))
        except UNREADABLE:
            redo.append(position)
    tables, positions, refused = buffers.build()
    redo.extend(refused)
    if not redo:
        return PageTables(tables)
    return _with_row_path(tables, positions, sorted(set(redo)), issues, (fields, risk_type, report_type))


def _raw(label: str | None, raw: Any) -> Any:
    return raw


class _Buffers:
    """Column lists of one page: each table's rows as tuples, with the page position of their issue."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _TABLES}
        self.positions: dict[str, list[int]] = {name: [] for name in _TABLES}

    def add(self, position: int, values: tuple[Any, ...]) -> None:
        row, *children = values
        self.rows["issues"].append(row)
        self.positions["issues"].append(position)
        for name, rows in zip(_TABLES[1:], children, strict=True):
            if rows:
                self.rows[name].extend(rows)
                self.positions[name].extend([position] * len(rows))

    def build(self) -> tuple[dict[str, pa.Table], dict[str, pa.Array], set[int]]:
        """Tables, the page position of each row, and the positions of issues a value refused."""
        tables, positions, refused = {}, {}, set()
        for name in _TABLES:
            table, bad = _table(RAW_SCHEMAS[name], self.rows[name])
            positions[name] = pa.array(self.positions[name], pa.int32())
            refused.update(self.positions[name][i] for i in bad)
            tables[name] = table
        refused.update(pc.filter(positions["issues"], _out_of_range(tables["issues"])).to_pylist())
        return tables, positions, refused


def _table(schema: pa.Schema, rows: list[tuple[Any, ...]]) -> tuple[pa.Table, list[int]]:
    """Rows (tuples in schema order) -> a table, times and dates parsed a column at a time; and the
    rows holding a time or date that does not read."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(schema)
    arrays, bad = [], []
    for kind, values in zip(schema.types, columns, strict=True):
        if kind == TS:
            array, refused = jira_times(values)
        elif kind == DATE:
            array, refused = jira_days(values)
        else:
            array, refused = pa.array(values, kind), []
        arrays.append(array)
        bad.extend(refused)
    return pa.Table.from_arrays(arrays, schema=schema), bad


def _out_of_range(issues: pa.Table) -> pa.Array:
    """Rows with a number ``check_ranges`` refuses (not finite, or outside LIMITS)."""
    bad = pa.array([False] * issues.num_rows, pa.bool_())
    for column, (low, high) in LIMITS.items():
        values = issues.column(column)
        within = pc.and_(pc.is_finite(values), pc.and_(pc.greater_equal(values, low), pc.less_equal(values, high)))
        bad = pc.or_(bad, pc.fill_null(pc.invert(within), False))
    return bad


def jira_times(values: Sequence[Any]) -> tuple[pa.Array, list[int]]:
    """``parse_jira_time`` of each value (naive UTC), vectorised; and the positions it refuses (NULL there)."""
    return _parsed(values, TS, [(_ISO_TIME, _utc)], lambda raw: read_time(None, raw))


def jira_days(values: Sequence[Any]) -> tuple[pa.Array, list[int]]:
    """The mapping's ``_date`` of each value, vectorised; and the positions it refuses (NULL there)."""
    return _parsed(values, DATE, [(_ISO_DAY, lambda texts: pc.cast(texts, DATE)),
                                  (_ISO_TIME, lambda texts: pc.cast(_utc(texts), DATE))],
                   lambda raw: read_day(None, raw))


def _utc(texts: pa.Array) -> pa.Array:
    """ISO times with offsets -> naive UTC (Arrow reads '+0000', '+00:00' and 'Z')."""
    return pc.cast(pc.cast(texts, _AWARE), TS)


def _parsed(values: Sequence[Any], kind: pa.DataType, fast: list[tuple[str, Convert]],
            slow: Callable[[Any], Any]) -> tuple[pa.Array, list[int]]:
    """Values matching a ``fast`` pattern converted by Arrow; other non-empty ones by ``slow``, one by one."""
    texts = pa.array([value if value.__class__ is str else None for value in values], pa.string())
    result = pa.nulls(len(values), kind)
    done = pa.array([False] * len(values), pa.bool_())
    for pattern, convert in fast:
        matched = pc.and_not(pc.fill_null(pc.match_substring_regex(texts, f"^{pattern}$"), False), done)
        if not pc.any(matched).as_py():
            continue
        try:
            converted = convert(pc.if_else(matched, texts, pa.scalar(None, pa.string())))
        except pa.ArrowInvalid:  # one value fits the pattern but not the calendar (Feb 30): all go slow
            continue
        result, done = pc.coalesce(result, converted), pc.or_(done, matched)
    left = [i for i, (value, ok) in enumerate(zip(values, done.to_pylist(), strict=True)) if value and not ok]
    if not left:
        return result, []
    return _slow(result, values, left, slow)


def _slow(result: pa.Array, values: Sequence[Any], left: list[int], slow: Callable[[Any], Any]
          ) -> tuple[pa.Array, list[int]]:
    parsed, refused = [], []
    for position in left:
        try:
            parsed.append(slow(values[position]))
        except UNREADABLE:
            parsed.append(None)
            refused.append(position)
    mask = [False] * len(values)
    for position in left:
        mask[position] = True
    return pc.replace_with_mask(result, pa.array(mask), pa.array(parsed, result.type)), refused


def _with_row_path(tables: dict[str, pa.Table], positions: dict[str, pa.Array], redo: list[int],
                   issues: Sequence[Mapping[str, Any]], how: tuple[FieldIds, str, str]) -> PageTables:
    """The page's tables with the issues in ``redo`` mapped by the row path instead, in page order."""
    rows: dict[str, list[dict]] = {name: [] for name in _TABLES}
    row_positions: dict[str, list[int]] = {name: [] for name in _TABLES}
    failures = []
    for position in redo:
        try:
            mapped = issue_rows(issues[position], *how)
        except UNREADABLE as exc:
            failures.append((issues[position], exc))
            continue
        for name, table_rows in mapped.items():
            rows[name].extend(table_rows)
            row_positions[name].extend([position] * len(table_rows))
    redone = pa.array(redo, pa.int32())
    merged = {}
    for name, table in tables.items():
        keep = pc.invert(pc.is_in(positions[name], value_set=redone))
        order = pa.concat_arrays([positions[name].filter(keep), pa.array(row_positions[name], pa.int32())])
        both = pa.concat_tables([table.filter(keep), pa.Table.from_pylist(rows[name], schema=table.schema)])
        merged[name] = both.take(pc.sort_indices(order))  # a stable sort: page order, then each issue's own
    return PageTables(merged, failures)
