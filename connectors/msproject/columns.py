"""Column buffers for XML records, and the vectorised typing of their text.

A large plan is hundreds of thousands of records of a few dozen text children each. Instead of a
dict per record and a Python call per field, :class:`Cells` appends each child's text to a flat
list for its tag (with the record's row), and a batch is typed column by column with Arrow
compute. A value of the common shape (``PT8H0M0S``, ``2026-01-05T08:00:00``, ``12.5``) is typed in
bulk; any other value is typed by the row path's own function, one by one, so both paths agree.
A value that function refuses raises :class:`Irregular`: the caller then maps the whole batch
row by row, which quarantines exactly what it always did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$"
INTEGER = r"^-?[0-9]{1,15}$"  # up to 15 digits a float holds exactly, as int(float(text)) needs
DECIMAL = r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$"
HOURS = r"^PT(?P<h>[0-9]{1,9})H(?P<m>[0-9]{1,9})M(?P<s>[0-9]{1,9})S$"  # what Project writes


class Irregular(Exception):
    """A value the fast path will not guess at: map this batch row by row instead."""


class Cells:
    """Records of one kind, as columns of text: tag -> (rows, texts), plus nested groups.

    ``nested`` local names (PredecessorLink, Baseline ...) become groups of their own, each of
    whose records remembers its owner row in ``owners``. Tags are kept in full (namespace and
    all) as keys so the hot loop does no string work; local names are resolved once per tag.
    """

    def __init__(self, local: Callable[[Any], str], nested: Iterable[str] = (), skipped: Iterable[str] = ()):
        self.local = local
        self.nested = frozenset(nested)
        self.skipped = frozenset(skipped)  # nested groups no one reads (timephased data can be most of a file)
        self.count = 0
        self.owners: list[int] = []
        self.cells: dict[Any, tuple[list[int], list[str]]] = {}
        self.groups: dict[Any, Cells] = {}
        self.by_name: dict[str, tuple[list[int], list[str]]] = {}
        self.group_by_name: dict[str, Cells] = {}

    def add(self, element: etree._Element, owner: int = -1) -> None:
        row = self.count
        self.count += 1
        if owner >= 0:
            self.owners.append(owner)
        cells, groups = self.cells, self.groups
        for child in element:  # the hot loop: two lookups and two appends a field
            tag = child.tag
            entry = cells.get(tag)
            if entry is not None:
                entry[0].append(row)
                entry[1].append(child.text or "")
                continue
            group = groups.get(tag)
            if group is not None:
                group.add(child, row)
            else:
                self._first(tag)
                cells_or_group = cells.get(tag)
                if cells_or_group is not None:
                    cells_or_group[0].append(row)
                    cells_or_group[1].append(child.text or "")
                else:
                    groups[tag].add(child, row)

    def _first(self, tag: Any) -> None:
        """Register a tag met for the first time; tags of one local name share one column."""
        name = self.local(tag)
        if name in self.skipped:
            self.groups[tag] = _SKIP
        elif name in self.nested:
            group = self.group_by_name.get(name)
            if group is None:
                group = self.group_by_name[name] = Cells(self.local)
            self.groups[tag] = group
        else:
            entry = self.by_name.get(name)
            if entry is None:
                entry = self.by_name[name] = ([], [])
            self.cells[tag] = entry

    def strings(self, name: str, keep: np.ndarray | None = None) -> pa.Array:
        """The texts of ``name``, one per row, as Arrow text: null where absent, '' for an empty
        element; only the rows ``keep`` marks. A field repeated in a record raises :class:`Irregular`."""
        entry = self.by_name.get(name)
        if entry is None:
            array = pa.nulls(self.count, pa.string())
        else:
            where, texts = entry
            array = pa.array(texts, pa.string())
            if len(where) != self.count or where != list(range(self.count)):  # not every row once: place them
                rows = np.asarray(where, np.int64)
                if len(rows) and not (np.diff(rows) > 0).all():
                    raise Irregular  # a field repeated in one record: the row path keeps the last
                place = np.full(self.count, -1, np.int64)
                place[rows] = np.arange(len(rows))
                array = array.take(pa.array(place, mask=place < 0))
        return array if keep is None or keep.all() else array.filter(pa.array(keep))

    def group(self, name: str) -> Cells:
        return self.group_by_name.get(name) or Cells(self.local)

    def records(self) -> list[tuple[dict[str, str], dict[str, list[dict[str, str]]]]]:
        """Row by row, as the row path reads records: (text children by name, nested groups by name)."""
        rows: list[tuple[dict[str, str], dict[str, list[dict[str, str]]]]] = [({}, {}) for _ in range(self.count)]
        for name, (where, texts) in self.by_name.items():
            for row, value in zip(where, texts, strict=True):
                rows[row][0][name] = value
        for name, group in self.group_by_name.items():
            for owner, (values, _) in zip(group.owners, group.records(), strict=True):
                rows[owner][1].setdefault(name, []).append(values)
        return rows


class _Skipped(Cells):
    """Where a skipped group's elements go: nowhere."""

    def add(self, element: etree._Element, owner: int = -1) -> None:
        return None


_SKIP = _Skipped(str)


def present(array: pa.Array) -> pa.Array:
    """Texts with '' as null: every typed field reads an empty element as absent."""
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def typed(values: pa.Array, pattern: str, fast: Callable[[pa.Array], pa.Array], slow: Callable[[str], Any],
          type_: pa.DataType) -> pa.Array:
    """``fast`` over the values matching ``pattern``, ``slow`` (the row path's function) over the rest."""
    regular = pc.match_substring_regex(values, pattern)
    odd = np.flatnonzero(~regular.fill_null(True).to_numpy(zero_copy_only=False))
    try:
        if len(odd) == 0:
            return fast(values)
        result = fast(pc.if_else(regular, values, pa.scalar(None, pa.string()))).to_pylist()
        for index in odd:
            result[index] = slow(values[index].as_py())
        return pa.array(result, type_)
    except (ValueError, TypeError, pa.ArrowInvalid, OverflowError):
        raise Irregular from None


def integers(values: pa.Array, slow: Callable[[str], Any]) -> pa.Array:
    return typed(values, INTEGER, lambda a: pc.cast(a, pa.int64()), slow, pa.int64())


def decimals(values: pa.Array, slow: Callable[[str], Any]) -> pa.Array:
    return typed(values, DECIMAL, lambda a: pc.cast(a, pa.float64()), slow, pa.float64())


def timestamps(values: pa.Array, slow: Callable[[str], Any]) -> pa.Array:
    return typed(values, TIMESTAMP, lambda a: pc.cast(a, pa.timestamp("us")), slow, pa.timestamp("us"))


def hours(values: pa.Array, slow: Callable[[str], Any]) -> pa.Array:
    """'PT8H30M0S' -> 8.5, computed as the row path does: h + m/60 + s/3600, in that order."""
    def fast(array: pa.Array) -> pa.Array:
        parts = pc.extract_regex(array, HOURS)
        h, m, s = (pc.cast(pc.struct_field(parts, name), pa.float64()) for name in ("h", "m", "s"))
        return pc.add(pc.add(h, pc.divide(m, 60.0)), pc.divide(s, 3600.0))
    return typed(values, HOURS, fast, slow, pa.float64())


def flags(values: pa.Array) -> pa.Array:
    """'1' -> True, anything else -> False, absent or empty -> null."""
    return pc.equal(values, "1")


def within(values: pa.Array, bounds: tuple[float, float]) -> bool:
    """Every value null, or finite and within ``bounds`` (connectors.values.in_range, in bulk)."""
    low, high = bounds
    bad = pc.invert(pc.and_(pc.and_(pc.is_finite(values), pc.greater_equal(values, low)),
                            pc.less_equal(values, high)))
    return not pc.any(bad).as_py()
