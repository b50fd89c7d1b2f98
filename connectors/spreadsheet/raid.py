"""Risk registers and RAID logs (Risks, Assumptions, Issues, Dependencies, Decisions).

A risk register is a sheet of risks; a RAID log has a Type column and is split by it: risks to the
``risks`` raw table, everything else to ``raid`` (issues, dependencies, assumptions, decisions,
told apart by ``entry_type``). Two tables stacked on one sheet (a repeated header row, a section
line such as "Closed risks") are read as one; an ID that comes back with the same title is the same
entry (the later row is kept, with a note), with another title it is another entry (``R1 (2)``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa

from connectors import values as v
from connectors.base import ExtractContext
from connectors.spreadsheet.headers import (
    HEADER_SEARCH_ROWS,
    RISK_FIELDS,
    find_header_row,
    match_columns,
    normalise,
)
from connectors.spreadsheet.reader import SheetRows
from connectors.spreadsheet.risk_scales import ColumnScale, column_scale

RAID_TYPES = {
    "risk": "risk", "risks": "risk", "r": "risk",
    "assumption": "assumption", "assumptions": "assumption", "a": "assumption",
    "issue": "issue", "issues": "issue", "i": "issue",
    "dependency": "dependency", "dependencies": "dependency", "dep": "dependency", "d": "dependency",
    "decision": "decision", "decisions": "decision",
}
RAID_FIELDS: dict[str, tuple[str, ...]] = {
    **RISK_FIELDS,
    "title": (*RISK_FIELDS["title"], "summary", "item", "raid item", "details", "issue", "issue description"),
    "entry_type": ("type", "raid type", "entry type", "log type", "item type", "category", "raid"),
    "priority": ("priority", "severity", "urgency", "rag"),
    "predecessor_ref": ("depends on", "dependent on", "dependency on", "predecessor", "waiting on", "blocked by"),
    "successor_ref": ("affects", "affected item", "affected task", "successor", "for task", "needed by task"),
}
RAID_SCHEMA = pa.schema(
    [
        ("file", pa.string()), ("sheet", pa.string()), ("row_number", pa.int32()), ("entry_key", pa.string()),
        ("entry_type", pa.string()), ("type_written", pa.string()), ("project", pa.string()),
        ("title", pa.string()), ("owner", pa.string()), ("status", pa.string()), ("due", pa.date32()),
        ("priority", pa.string()), ("level", pa.float64()), ("response", pa.string()),
        ("predecessor_ref", pa.string()), ("successor_ref", pa.string()),
    ]
)
_LEVEL_FIELDS = ("probability", "impact", "priority")


def find_raid_log(
    sheet_name: str, cells: Sequence[Sequence[Any]], overrides: Mapping[str, str]
) -> tuple[int, dict[str, int]] | None:
    """(header index, columns) when the sheet is a RAID log: a Type column whose values (in the
    first rows) are at least 3 in 4 RAID words, beside a title or description column."""
    index = find_header_row(cells, RAID_FIELDS, overrides)
    if index is None:
        return None
    columns = match_columns(cells[index], RAID_FIELDS, overrides)
    if not {"entry_type", "title"} <= columns.keys():
        return None
    words = [_type_word(row[columns["entry_type"]]) for row in cells[index + 1:HEADER_SEARCH_ROWS]
             if columns["entry_type"] < len(row) and not v.is_blank(row[columns["entry_type"]])]
    # Most, not all: a mistyped Type in the first rows is quarantined later, it does not unmake the log.
    if words and sum(w in RAID_TYPES for w in words) >= 0.75 * len(words):
        return index, columns
    return None


def read_log(
    sheet: SheetRows, header: Sequence[Any], columns: Mapping[str, int], rows: Iterator[tuple[int, list[Any]]],
    context: ExtractContext, *, day_first: bool, declared: Mapping[str, int],
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The risks (table ``risks``) and other RAID entries (table ``raid``) of one register or log."""
    where = f"{sheet.file}, sheet {sheet.sheet!r}"
    body = list(_body(header, columns, rows))
    scales = {
        name: column_scale(header[i], (_cell(row, i) for _, row in body), declared.get(name))
        for name, i in columns.items() if name in _LEVEL_FIELDS
    }
    for scale in scales.values():
        if scale.note:
            context.info(f"{where}: {scale.note}")
    kept: dict[str, tuple[str, dict[str, Any]]] = {}
    keys = _EntryKeys(sheet, context)
    for number, row in body:
        cells = {name: _cell(row, i) for name, i in columns.items()}
        record = {str(header[i]): row[i] for i in range(min(len(header), len(row))) if not v.is_blank(row[i])}
        location = f"{where}, row {number}"
        key = keys.key(v.as_text(cells.get("risk_id")) or str(number), v.as_text(cells.get("title")), number)
        parsed, errors = _parse_entry(cells, columns, header, scales, day_first)
        if errors:
            context.quarantine(key, location, "; ".join(errors), record)
            continue
        parsed.update(file=sheet.file, sheet=sheet.sheet, row_number=number, project=v.as_text(cells.get("project")),
                      owner=v.as_text(cells.get("owner")), status=v.as_text(cells.get("status")))
        kept[key] = _as_table_row(key, parsed, cells)
    yield from kept.values()


class _EntryKeys:
    """Keys of a log's entries: <file>#<sheet>#<ID>; an ID repeated with another title is another
    entry (``R1 (2)``), with the same title the same one (the later row wins, with a note)."""

    def __init__(self, sheet: SheetRows, context: ExtractContext) -> None:
        self.sheet, self.context = sheet, context
        self.titles: dict[str, dict[str, tuple[str, int]]] = {}

    def key(self, entry_id: str, title: str | None, number: int) -> str:
        by_title = self.titles.setdefault(entry_id, {})
        same = normalise(title)
        base = f"{self.sheet.file}#{self.sheet.sheet}#{entry_id}"
        if same in by_title:
            key, first = by_title[same]
            self.context.info(f"{self.sheet.file}, sheet {self.sheet.sheet!r}: ID {entry_id} with the same title "
                              f"at rows {first} and {number}; one entry, row {number} kept")
            return key
        key = base if not by_title else f"{base} ({len(by_title) + 1})"
        by_title[same] = (key, number)
        return key


def _parse_entry(
    cells: Mapping[str, Any], columns: Mapping[str, int], header: Sequence[Any],
    scales: Mapping[str, ColumnScale], day_first: bool,
) -> tuple[dict[str, Any], list[str]]:
    parsed: dict[str, Any] = {"entry_type": "risk"}
    errors: list[str] = []
    if "entry_type" in columns:
        written = v.as_text(cells.get("entry_type"))
        parsed["entry_type"] = RAID_TYPES.get(_type_word(written))
        if parsed["entry_type"] is None:
            errors.append(f"column {header[columns['entry_type']]!r}: {written!r} is not a RAID type; expected Risk, "
                          "Assumption, Issue, Dependency or Decision (or R, A, I, D)")
    try:
        parsed["due"] = v.parse_date(cells.get("due"), day_first=day_first)
    except v.CellError as exc:
        errors.append(f"column {header[columns['due']]!r}: {exc}")
    levels = ("probability", "impact") if parsed["entry_type"] == "risk" else ()
    for name in levels:
        if name in scales:
            try:
                parsed[name], parsed[f"{name}_scale"] = scales[name].read(cells.get(name))
            except v.CellError as exc:
                errors.append(f"column {header[columns[name]]!r}: {exc}")
    if parsed["entry_type"] == "issue":  # how bad an issue is: its impact, else its priority (1-5), if readable
        for name in ("impact", "priority"):
            if name in scales and parsed.get("level") is None:
                try:
                    parsed["level"] = scales[name].read(cells.get(name))[0]
                except v.CellError:
                    parsed["level"] = None  # kept as written in `priority`; the issue still loads
    if v.as_text(cells.get("title")) is None and not errors:
        errors.append(f"no title; every {parsed['entry_type'] or 'entry'} needs one")
    return parsed, errors


def _as_table_row(key: str, parsed: dict[str, Any], cells: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    common = {name: parsed[name] for name in ("file", "sheet", "row_number", "project", "owner", "status", "due")}
    title, response = v.as_text(cells.get("title")), v.as_text(cells.get("mitigation"))
    if parsed["entry_type"] == "risk":
        return "risks", {
            **common, "risk_key": key, "title": title, "mitigation": response,
            "probability": parsed.get("probability"), "impact": parsed.get("impact"),
            "probability_original": v.as_text(cells.get("probability")),
            "impact_original": v.as_text(cells.get("impact")),
            "probability_scale": parsed.get("probability_scale"), "impact_scale": parsed.get("impact_scale"),
        }
    return "raid", {
        **common, "entry_key": key, "entry_type": parsed["entry_type"], "type_written": v.as_text(cells.get("entry_type")),
        "title": title, "response": response, "level": parsed.get("level"),
        "priority": v.as_text(cells.get("priority")) or v.as_text(cells.get("impact")),
        "predecessor_ref": v.as_text(cells.get("predecessor_ref")), "successor_ref": v.as_text(cells.get("successor_ref")),
    }


def _body(
    header: Sequence[Any], columns: Mapping[str, int], rows: Iterator[tuple[int, list[Any]]]
) -> Iterator[tuple[int, list[Any]]]:
    """The entry rows: blank rows, repeated header rows (a second table stacked below) and section
    lines (one cell filled, no title: 'Closed risks') are left out."""
    header_words = {normalise(h) for h in header if not v.is_blank(h)}
    title_column = columns.get("title")
    for number, row in rows:
        filled = [c for c in row if not v.is_blank(c)]
        if not filled:
            continue
        if len({normalise(c) for c in filled} & header_words) >= 2:
            continue
        if len(filled) == 1 and (title_column is None or v.is_blank(_cell(row, title_column))):
            continue
        yield number, row


def _cell(row: Sequence[Any], index: int) -> Any:
    return row[index] if index < len(row) else None


def _type_word(value: Any) -> str:
    return re.sub(r"[^a-z]+", " ", str(value or "").lower()).strip()
