"""Task columns typed a column at a time with Arrow compute, not a cell at a time.

A chunk of rows is turned into one Arrow array per column. Each recognised column is typed in bulk
for the forms that cover nearly every real cell (ISO and DD/MM/YYYY dates, Excel serials, plain
numbers, ``50%``, plain text). A cell the bulk pass cannot read - its typed value is NULL where the
raw one was not, or it may be an Excel error word - is typed again on its own by the connector's
per-cell parser, so its value, or its finding and message, is exactly what the row path gives.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from connectors import values as v
from connectors.spreadsheet.columns import COST_FIELDS, DATE_FIELDS, HOUR_FIELDS, ColumnRules

#: (parsed values, cell errors, out-of-range errors) of one field's cell: the connector's per-cell parser.
CellParser = Callable[[str, Any], tuple[dict[str, Any], dict[str, str], dict[str, str]]]

#: Output columns of a field whose raw name differs from its field name.
OUTPUTS: dict[str, tuple[str, ...]] = {
    "percent_complete": ("percent_value", "percent_explicit"),
    "duration": ("stated_duration_hours",),
    "depends_on": (),
}
TEXT_KINDS = frozenset(("name", "item_type", "status", "owner", "owner_email", "team", "phase", "rag", "outline",
                        "project", "task_id"))
BOUNDS = {**dict.fromkeys(HOUR_FIELDS, v.HOURS), **dict.fromkeys(COST_FIELDS, v.COST),
          "story_points": v.STORY_POINTS, "percent_complete": v.PERCENT}
#: 1970-01-01 as an Excel serial: serial - this = days since the Unix epoch.
_UNIX_SERIAL = 25_569
_FIRST_DAY, _LAST_DAY = pa.scalar(-719_162, pa.date32()), pa.scalar(2_932_896, pa.date32())  # 0001-01-01, 9999-12-31
_LIST_SEPARATORS = "[;,\n|]"


@dataclass
class TypedField:
    """One field of a chunk: its output arrays, and by row index the cells read with a finding."""

    values: dict[str, pa.Array]
    errors: dict[int, str] = field(default_factory=dict)
    out_of_range: dict[int, str] = field(default_factory=dict)


def raw_columns(rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """The chunk's cells column by column (short rows padded with None)."""
    return list(itertools.zip_longest(*rows)) if rows else []


class LazyColumn(Sequence[Any]):
    """An Arrow column seen as the cells a reader gives, converted only where a cell is looked at."""

    def __init__(self, array: pa.Array) -> None:
        self._array = array

    def __len__(self) -> int:
        return len(self._array)

    def __getitem__(self, index: Any) -> Any:
        return self._array[index].as_py()


class LazyRows(Sequence[list[Any]]):
    """Arrow columns seen as rows, each converted only when it is looked at (a row with a finding)."""

    def __init__(self, arrays: list[pa.Array]) -> None:
        self._arrays = arrays

    def __len__(self) -> int:
        return len(self._arrays[0]) if self._arrays else 0

    def __getitem__(self, index: Any) -> list[Any]:
        return [array[index].as_py() for array in self._arrays]


def to_array(column: Sequence[Any]) -> pa.Array | None:
    """The column as one Arrow array, or None when its cells are of mixed kinds (read cell by cell)."""
    for cells in (column, None):
        if cells is None:  # an Excel column of numbers has '' in its empty cells
            cells = [None if c == "" else c for c in column]
        try:
            array = pa.array(cells)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            continue
        return array if _is_plain(array.type) else None
    return None


def _is_plain(kind: pa.DataType) -> bool:
    return (pa.types.is_string(kind) or pa.types.is_floating(kind) or pa.types.is_integer(kind)
            or pa.types.is_date(kind) or pa.types.is_timestamp(kind) or pa.types.is_null(kind)
            or pa.types.is_boolean(kind))


def blank_mask(array: pa.Array | None, column: Sequence[Any]) -> np.ndarray:
    """Which cells of a column are empty, as :func:`connectors.values.is_blank` decides."""
    if array is None:
        return np.fromiter((v.is_blank(c) for c in column), bool, len(column))
    if pa.types.is_string(array.type):
        mask = pc.or_kleene(pc.is_null(array), pc.equal(pc.utf8_trim_whitespace(array), ""))
    elif pa.types.is_floating(array.type):
        mask = pc.is_null(array, nan_is_null=True)
    else:
        mask = pc.is_null(array)
    return mask.fill_null(True).to_numpy(zero_copy_only=False)


def type_field(
    name: str, column: Sequence[Any], array: pa.Array | None, blank: np.ndarray, rules: ColumnRules,
    parse_cell: CellParser,
) -> TypedField:
    """Type one recognised column: in bulk where it can, the rest cell by cell with ``parse_cell``."""
    size = len(column)
    outputs = OUTPUTS.get(name, (name,))
    bulk: dict[str, pa.Array] = {}
    if array is not None and name not in rules.refused and not pa.types.is_boolean(array.type):
        bulk = _bulk(name, array, rules)
    if name == "depends_on" and array is not None:  # read whole by the connector; only error words here
        todo = ~blank & _maybe_error(array)
    elif bulk:
        unread = pc.is_null(bulk[outputs[0]]).fill_null(True).to_numpy(zero_copy_only=False) if outputs else False
        todo = ~blank & (unread | _maybe_error(array))
    else:
        todo = ~blank
        bulk = {out: pa.nulls(size) for out in outputs}
    typed = TypedField(bulk)
    indices = np.flatnonzero(todo)
    if len(indices):
        _per_cell(name, column, indices, typed, parse_cell)
    return typed


def _maybe_error(array: pa.Array) -> np.ndarray | bool:
    """Text that may be an Excel error word ('#N/A' typed into a CSV): read cell by cell."""
    if not pa.types.is_string(array.type):
        return False
    return pc.match_substring(array, "#").fill_null(False).to_numpy(zero_copy_only=False)


def _per_cell(name: str, column: Sequence[Any], indices: np.ndarray, typed: TypedField, parse_cell: CellParser) -> None:
    patches: dict[str, list[Any]] = {out: [] for out in typed.values}
    for index in indices.tolist():
        parsed, cell_errors, out_of_range = parse_cell(name, column[index])
        for out in patches:
            patches[out].append(parsed[out])
        if name in cell_errors:
            typed.errors[index] = cell_errors[name]
        if name in out_of_range:
            typed.out_of_range[index] = out_of_range[name]
    mask = np.zeros(len(column), bool)
    mask[indices] = True
    for out, values in patches.items():
        current = typed.values[out]
        if pa.types.is_null(current.type):
            current = pa.nulls(len(column), _PATCH_TYPES.get(out, pa.string()))
        typed.values[out] = _patch(current, mask, indices, pa.array(values, current.type))


def _patch(current: pa.Array, mask: np.ndarray, indices: np.ndarray, values: pa.Array) -> pa.Array:
    """``current`` with the cells at ``indices`` (True in ``mask``) replaced by ``values``."""
    try:
        return pc.replace_with_mask(current, pa.array(mask), values)
    except pa.ArrowNotImplementedError:  # list columns (systems): no kernel; few cells, patched in Python
        cells = current.to_pylist()
        for index, value in zip(indices.tolist(), values.to_pylist(), strict=True):
            cells[index] = value
        return pa.array(cells, current.type)


_PATCH_TYPES: dict[str, pa.DataType] = {
    **dict.fromkeys(DATE_FIELDS, pa.date32()), "updated_at": pa.timestamp("us"),
    **dict.fromkeys(("work_hours", "actual_work_hours", "stated_duration_hours", "story_points", "percent_value",
                     *COST_FIELDS), pa.float64()),
    "percent_explicit": pa.bool_(), "milestone": pa.bool_(),
    "systems": pa.list_(pa.string()), "objectives": pa.list_(pa.string()),
}


def _bulk(name: str, array: pa.Array, rules: ColumnRules) -> dict[str, pa.Array]:
    """The field's outputs where the bulk rules read the cell (NULL elsewhere); {} when none apply."""
    if name in TEXT_KINDS:
        return {name: _text(array)}
    if name in DATE_FIELDS:
        return {name: _date(array, rules.day_first.get(name, False))}
    if name in BOUNDS and name != "percent_complete":
        out = "stated_duration_hours" if name == "duration" else name
        number = _number(array, rules.decimal.get(name), percent=False)
        return {out: _within(pc.multiply(number, rules.factor.get(name, 1.0)), BOUNDS[name])}
    if name == "percent_complete":
        decimal = rules.decimal.get(name)
        if pa.types.is_string(array.type):
            explicit = _within(_number(array, decimal, percent=True), v.PERCENT)
            number = explicit
            if explicit.null_count:  # bare numbers too ('50')
                number = pc.coalesce(explicit, _within(_number(array, decimal, percent=False), v.PERCENT))
            return {"percent_value": number, "percent_explicit": pc.is_valid(explicit)}
        number = _within(_number(array, decimal, percent=False), v.PERCENT)
        return {"percent_value": number, "percent_explicit": pa.array(np.zeros(len(array), bool))}
    if name in ("systems", "objectives") and pa.types.is_string(array.type):
        return {name: _split_list(array)}
    return {}


def _text(array: pa.Array) -> pa.Array:
    if pa.types.is_string(array.type):
        trimmed = pc.utf8_trim_whitespace(array)
        return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    if pa.types.is_integer(array.type):
        return pc.cast(array, pa.string())
    if pa.types.is_floating(array.type):  # 12.0 -> '12' as Excel shows it; other numbers cell by cell
        whole = pc.and_(pc.equal(pc.floor(array), array), pc.less(pc.abs(array), 1e15))
        return pc.cast(pc.cast(pc.if_else(whole, array, None), pa.int64()), pa.string())
    return pa.nulls(len(array), pa.string())


def _date(array: pa.Array, day_first: bool) -> pa.Array:
    kind = array.type
    if pa.types.is_string(kind):
        iso = _strict_date(array, r"^\d{4}-\d{2}-\d{2}$", "%Y-%m-%d", 8)
        if iso.null_count == 0:  # every cell is an ISO date: no other form to try
            return iso
        slashed = _strict_date(array, r"^\d{2}/\d{2}/\d{4}$", *(("%d/%m/%Y", 0) if day_first else ("%m/%d/%Y", 3)))
        return pc.coalesce(iso, slashed)
    if pa.types.is_floating(kind) or pa.types.is_integer(kind):  # Excel serials, as values.parse_date bounds them
        number = pc.cast(array, pa.float64())
        inside = pc.and_(pc.greater_equal(number, v.SERIAL_RANGE[0]), pc.less_equal(number, v.SERIAL_RANGE[1]))
        days = pc.subtract(pc.cast(pc.floor(pc.if_else(inside, number, None)), pa.int32()), _UNIX_SERIAL)
        return pc.cast(days, pa.date32())
    if pa.types.is_date32(kind):
        return array
    if pa.types.is_timestamp(kind) and kind.tz is None:  # datetimes before 1970 are left to the cell parser
        after = pc.greater_equal(pc.cast(array, pa.int64()), 0)
        return pc.cast(pc.if_else(after, array, None), pa.date32(), safe=False)
    return pa.nulls(len(array), pa.date32())


def _strict_date(array: pa.Array, pattern: str, form: str, day_at: int) -> pa.Array:
    """Cells of exactly ``pattern`` that are calendar dates. strptime rolls 30 Feb over to 2 March:
    its day then differs from the day written (at ``day_at``), and the cell is left NULL for the
    cell parser to report."""
    shaped = pc.match_substring_regex(array, pattern)
    text = pc.if_else(shaped, array, None)
    parsed = pc.strptime(text, format=form, unit="s", error_is_null=True)
    written_day = pc.cast(pc.utf8_slice_codeunits(text, day_at, day_at + 2), pa.int64())
    days = pc.cast(parsed, pa.date32(), safe=False)
    exact = pc.and_(pc.equal(pc.day(parsed), written_day),
                    pc.and_(pc.greater_equal(days, _FIRST_DAY), pc.less_equal(days, _LAST_DAY)))
    return pc.if_else(exact, days, None)


def _number(array: pa.Array, decimal: str | None, *, percent: bool) -> pa.Array:
    """Plain numbers: a real number, or text of digits with a decimal point (digits only in a
    decimal-comma column, where '12.5' is a finding); with ``percent``, text ending in '%'."""
    kind = array.type
    if pa.types.is_floating(kind) or pa.types.is_integer(kind):
        return pa.nulls(len(array), pa.float64()) if percent else pc.cast(array, pa.float64())
    if not pa.types.is_string(kind):
        return pa.nulls(len(array), pa.float64())
    digits = r"\d+" if decimal == "comma" else r"\d+(\.\d+)?"
    pattern = f"^{digits}%$" if percent else f"^{digits}$"
    shaped = pc.match_substring_regex(array, pattern)
    text = pc.if_else(shaped, array, None)
    if percent:
        text = pc.utf8_rtrim(text, characters="%")
    return pc.cast(text, pa.float64())


def _within(number: pa.Array, bounds: tuple[float, float]) -> pa.Array:
    """NULL where the number is outside its believable bounds (the cell parser names the bounds)."""
    low, high = bounds
    inside = pc.and_(pc.greater_equal(number, low), pc.less_equal(number, high))
    return pc.if_else(inside, number, None)


def _split_list(array: pa.Array) -> pa.Array:
    """'GL; Payroll, HRIS' -> ['GL', 'Payroll', 'HRIS'], as values.parse_list splits and trims."""
    pieces = pc.split_pattern_regex(array.fill_null(""), _LIST_SEPARATORS)
    flat = pc.utf8_trim_whitespace(pc.list_flatten(pieces))
    parents = pc.list_parent_indices(pieces).to_numpy()
    keep = pc.not_equal(flat, "").to_numpy(zero_copy_only=False)
    counts = np.bincount(parents[keep], minlength=len(array))
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), flat.filter(pa.array(keep)))


#: A predecessor cell that is one plain id: no separator, space, scope ('Sheet!12') or link type
#: (FS/SS/FF/SF, which may follow the id with a lag) - read as a finish-to-start link with no lag.
_PLAIN_REFERENCE = r"^[^\s!;,|]+$"
_LINK_TYPE = r"(?i)(fs|ss|ff|sf)"


def plain_references(array: pa.Array | None) -> pa.Array | None:
    """The reference of each predecessor cell that is one plain id (NULL for others, which the
    connector splits and reads one by one); None when the column is read cell by cell."""
    if array is None:
        return None
    if pa.types.is_string(array.type):
        plain = pc.and_(pc.match_substring_regex(array, _PLAIN_REFERENCE),
                        pc.invert(pc.match_substring_regex(array, _LINK_TYPE)))
        plain = pc.and_(plain, pc.invert(pc.match_substring(array, "#")))
        return pc.if_else(plain, array, None)
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        return _text(array)  # Excel stores the id 2 as 2.0; its reference reads '2'
    return None


def plain_id(references: pa.Array) -> pa.Array:
    """'2.0' (a number that went through text) -> '2', as predecessors._plain_id reads it."""
    return pc.replace_substring_regex(references, r"^(\d+)\.0$", r"\1")
