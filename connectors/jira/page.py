"""One page of Jira issues into the Jira raw tables, column by column (the REST sync's path).

One pass pulls each issue's values into column lists (``issue_values``, its times and dates kept
raw, numbers range-checked); then every time of the page is parsed by one Arrow cast and every date
by another, and each table is built once from its columns. Arrow is given only the values it reads exactly
as ``parse_jira_time``/``_date`` do (ISO times with an offset, Jira's ``2024-01-02T03:04:05.000+0000``,
and plain dates); any other value goes through those parsers themselves. An issue any step refuses
is mapped again by the row path (``checked_issue_rows``), which raises the error it always raised
(same field, same words) or, should it read the issue after all, gives the rows: the two paths
cannot disagree. A value its column cannot hold (a number where text belongs) is refused the same
way, and the row path names it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from connectors.jira.mapping import (
    DATE,
    ISSUES,
    LIMITS,
    RAW_SCHEMAS,
    TS,
    FieldIds,
    IssueError,
    check_types,
    checked_issue_rows,
    issue_values,
    read_day,
    read_time,
    to_column,
)
from connectors.values import within_bounds

#: What an issue is quarantined for (IssueError is a ValueError); anything else fails the source, as before.
UNREADABLE = (AttributeError, KeyError, TypeError, ValueError)
_TABLES = ("issues", "links", "versions", "changelog")
_AWARE = pa.timestamp("us", "UTC")
#: Jira's own spelling of a time, 2024-01-02T03:04:05.000+0000 (or ...000Z), and a plain date: what
#: Arrow is given, as it reads them exactly as Python does. Years 1000-2999 only, so no offset
#: arithmetic can leave Python's range; anything else goes to the Python parser.
_TIME = r"[12][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}(?:[+-][0-9]{4}|Z)"
_DAY = r"[12][0-9]{3}-[0-9]{2}-[0-9]{2}"
_ONE_TIME, _ONE_DAY = re.compile(_TIME), re.compile(_DAY)
_ALL_TIMES, _ALL_DAYS = re.compile(f"(?:{_TIME}\n)*{_TIME}"), re.compile(f"(?:{_DAY}\n)*{_DAY}")
Convert = Callable[[pa.Array], pa.Array]


@dataclass
class PageTables:
    """The page's rows per raw table, and the issues refused with what refused them (the row path's error)."""

    tables: dict[str, pa.Table]
    failures: list[tuple[Mapping[str, Any], Exception]] = field(default_factory=list)


def page_tables(issues: Sequence[Mapping[str, Any]], fields: FieldIds, risk_type: str,
                report_type: str) -> PageTables:
    """A page of issues (a search's ``issues``) -> the rows ``issue_rows`` gives, as one table per raw table."""
    buffers = _Buffers()
    redo: list[int] = []  # positions the row path maps (and words the error of)
    for position, issue in enumerate(issues):
        try:
            values = issue_values(issue, fields, risk_type, report_type, _raw, _raw)
        except UNREADABLE:
            redo.append(position)
            continue
        if _in_range(values[0]):
            buffers.add(position, values)
        else:
            redo.append(position)
    tables, positions, refused = buffers.build()
    redo.extend(refused)
    if not redo:
        return PageTables(tables)
    return _with_row_path(tables, positions, sorted(set(redo)), issues, (fields, risk_type, report_type))


def changelog_table(page: Mapping[str, Any]) -> pa.Table:
    """A ``/changelog/bulkfetch`` page -> its status changes as changelog rows, times parsed in one cast.
    A time that does not read fails the page with ``parse_jira_time``'s own error, as it always did."""
    rows = [(str(log.get("issueId")), None, history.get("created"), item.get("fromString"), item.get("toString"))
            for log in page.get("issueChangeLogs") or []
            for history in log.get("changeHistories") or []
            for item in history.get("items") or []
            if item.get("fieldId") == "status" or item.get("field") == "status"]
    table, refused = _table(RAW_SCHEMAS["changelog"], rows)
    if refused:
        first = rows[refused[0]]
        check_types(RAW_SCHEMAS["changelog"], [first])  # a value of another type: raises, naming it
        read_time(None, first[2])  # else its time: raises
        raise IssueError(f"issue id {first[0]}: a status change that does not read")  # not reached
    return table


def _table(schema: pa.Schema, rows: list[tuple[Any, ...]]) -> tuple[pa.Table, list[int]]:
    """Rows (tuples in ``schema`` order) -> a table, times and dates parsed per page; and the rows
    holding a time or date that does not read."""
    if not rows:
        return schema.empty_table(), []
    columns: list[Any] = list(zip(*rows, strict=True))
    parsing = [index for index, kind in enumerate(schema.types) if kind in (TS, DATE)]
    refused: set[int] = set()
    for index, (array, bad) in zip(parsing, parse_columns([(schema.types[i], columns[i]) for i in parsing]),
                                   strict=True):
        columns[index] = array
        refused.update(bad)
    for index, kind in enumerate(schema.types):
        if index not in parsing:
            columns[index], bad = to_column(kind, columns[index])
            refused.update(bad)  # a number where text belongs, say: the row path words it (check_types)
    return pa.Table.from_arrays(columns, schema=schema), sorted(refused)


def _raw(label: str | None, raw: Any) -> Any:
    return raw


_RANGED = [(ISSUES.names.index(column), bounds) for column, bounds in LIMITS.items()]


def _in_range(row: tuple[Any, ...]) -> bool:
    """What ``check_ranges`` accepts, without raising: a refused issue is left to the row path's words."""
    return all(within_bounds(row[index], bounds) for index, bounds in _RANGED)


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
        """Tables, the page position of each row, and the positions of issues a time or date refused."""
        tables, positions, refused = {}, {}, set()
        for name in _TABLES:
            tables[name], bad = _table(RAW_SCHEMAS[name], self.rows[name])
            positions[name] = pa.array(self.positions[name], pa.int32())
            refused.update(self.positions[name][i] for i in bad)
        return tables, positions, refused


def jira_times(values: Sequence[Any]) -> tuple[pa.Array, list[int]]:
    """``parse_jira_time`` of each value (naive UTC), vectorised; and the positions it refuses (NULL there)."""
    return parse_columns([(TS, values)])[0]


def jira_days(values: Sequence[Any]) -> tuple[pa.Array, list[int]]:
    """The mapping's ``_date`` of each value, vectorised; and the positions it refuses (NULL there)."""
    return parse_columns([(DATE, values)])[0]


def parse_columns(columns: list[tuple[pa.DataType, Sequence[Any]]]) -> list[tuple[pa.Array, list[int]]]:
    """Time (``TS``: ``parse_jira_time``) and date (``DATE``: ``_date``) columns of a page, parsed
    together: one Arrow cast for every Jira-shaped time, one for every plain date. Any other value
    goes through the Python parser. Per column: the array, and the positions the parser refused."""
    times: list[str | None] = []
    days: list[str | None] = []
    layout = []
    for kind, values in columns:
        column_times, column_days, left = _gate(kind, values)
        layout.append((kind, values, len(times), len(days), left))
        times.extend(column_times)
        days.extend(column_days)
    all_times, all_days = _cast(times, _utc, TS), _cast(days, lambda texts: pc.cast(texts, DATE), DATE)
    return [_column(kind, values, all_times.slice(time_at, len(values)) if all_times is not None else None,
                    all_days.slice(day_at, len(values)) if all_days is not None and kind == DATE else None,
                    left if all_times is not None and all_days is not None else [i for i, v in enumerate(values) if v])
            for kind, values, time_at, day_at, left in layout]


def _gate(kind: pa.DataType, values: Sequence[Any]) -> tuple[list[str | None], list[str | None], list[int]]:
    """A column's Jira-shaped times, its plain dates (DATE columns only) and the positions of the
    other non-empty values (for the Python parser). A column of nothing but times (or dates) is
    recognised by one match of them all, joined; others value by value."""
    size = len(values)
    empty: list[str | None] = [None] * size
    present = [value for value in values if value is not None]
    try:
        joined: str | None = "\n".join(present)
    except TypeError:  # not all text: value by value
        joined = None
    if joined is not None and joined.count("\n") != max(len(present) - 1, 0):  # a value holds a line break
        joined = None
    if joined is not None and (not present or _ALL_TIMES.fullmatch(joined)):
        return list(values), empty if kind == DATE else [], []
    if joined is not None and kind == DATE and _ALL_DAYS.fullmatch(joined):
        return empty, list(values), []
    times, days, left = list(empty), list(empty), []
    for position, value in enumerate(values):
        if value.__class__ is str and _ONE_TIME.fullmatch(value):
            times[position] = value
        elif kind == DATE and value.__class__ is str and _ONE_DAY.fullmatch(value):
            days[position] = value
        elif value:
            left.append(position)
    return times, days if kind == DATE else [], left


def _cast(texts: list[str | None], convert: Convert, kind: pa.DataType) -> pa.Array | None:
    """``convert`` of the texts; None when Arrow refuses one of them (a Feb 30): the Python parser reads them all."""
    if texts.count(None) == len(texts):  # nothing to cast (and no call into Arrow)
        return pa.nulls(len(texts), kind)
    try:
        return convert(pa.array(texts, pa.string()))
    except pa.ArrowInvalid:
        return None


def _utc(texts: pa.Array) -> pa.Array:
    """ISO times with offsets -> naive UTC (Arrow reads '+0000' and 'Z')."""
    return pc.cast(pc.cast(texts, _AWARE), TS)


def _column(kind: pa.DataType, values: Sequence[Any], timed: pa.Array | None, dated: pa.Array | None,
            left: list[int]) -> tuple[pa.Array, list[int]]:
    """One column from its slices of the page's casts, and the Python parser for the ``left`` positions."""
    size = len(values)
    parts = []
    if timed is not None and timed.null_count < size:
        parts.append(timed if kind == TS else pc.cast(timed, DATE))
    if dated is not None and dated.null_count < size:
        parts.append(dated)
    result = (parts[0] if len(parts) == 1 else pc.coalesce(*parts)) if parts else pa.nulls(size, kind)
    if not left:
        return result, []
    slow = (lambda raw: read_time(None, raw)) if kind == TS else (lambda raw: read_day(None, raw))
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
    """The page's tables without the issues in ``redo``, which the row path maps instead: it raises what
    refused them (it reads what ``issue_values`` read and parses what was deferred), or, were the two
    ever to disagree, its rows are kept (after the page's others)."""
    rows: dict[str, list[dict]] = {name: [] for name in _TABLES}
    failures = []
    for position in redo:
        try:
            mapped = checked_issue_rows(issues[position], *how)
        except UNREADABLE as exc:
            failures.append((issues[position], exc))
            continue
        for name, table_rows in mapped.items():
            rows[name].extend(table_rows)
    redone = pa.array(redo, pa.int32())
    merged = {}
    for name, table in tables.items():
        kept = table.filter(pc.invert(pc.is_in(positions[name], value_set=redone)))
        merged[name] = pa.concat_tables([kept, pa.Table.from_pylist(rows[name], schema=table.schema)])
    return PageTables(merged, failures)
