"""Spreadsheet connector: task trackers and risk logs in .xlsx and .csv files.

Each sheet is read on its own: its header row is found (it need not be the first row), its
columns are recognised by the words people use (or by the source's ``columns`` mapping), and it is
classified as a task sheet or a risk log. Rows that cannot be read go to the quarantine with file,
sheet, row number and reason; the rest of the sheet loads.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from connectors import values as v
from connectors.base import Batch, Connector, ExtractContext
from connectors.spreadsheet import vectorised as vec
from connectors.spreadsheet.columns import ColumnRules, Locale, task_rules
from connectors.spreadsheet.excel_errors import excel_error
from connectors.spreadsheet.headers import (
    HEADER_SEARCH_ROWS,
    REPORT_FIELDS,
    RISK_FIELDS,
    TASK_FIELDS,
    find_header_row,
    header_cells,
    match_columns,
)
from connectors.spreadsheet.options import SpreadsheetOptions
from connectors.spreadsheet.predecessors import parse_link, split_predecessors
from connectors.spreadsheet.raid import RAID_SCHEMA, find_raid_log, read_log
from connectors.spreadsheet.reader import SheetRows, iter_sheets
from connectors.spreadsheet.sheet_kinds import Verdict, classify
from connectors.spreadsheet.units import Calendar
from connectors.zipguard import ArchiveTooLarge, ZipLimits

BATCH_ROWS = 10_000
#: Rows typed together when the reader gives Arrow columns (a CSV): fewer, larger compute calls.
COLUMN_CHUNK_ROWS = 50_000
#: A chunk this long has its columns typed on two threads.
PARALLEL_ROWS = 20_000
#: Rows read ahead of typing a sheet: the header is searched in the first HEADER_SEARCH_ROWS, and each
#: column's decimal mark and date order are decided from its values in these rows.
LOOKAHEAD_ROWS = 1_000

TASK_SCHEMA = pa.schema(
    [
        ("file", pa.string()), ("sheet", pa.string()), ("row_number", pa.int32()),
        ("item_key", pa.string()), ("task_id", pa.string()),
        ("project", pa.string()), ("project_key", pa.string()),
        ("name", pa.string()), ("item_type", pa.string()), ("status", pa.string()),
        ("start", pa.date32()), ("finish", pa.date32()), ("due", pa.date32()),
        ("baseline_start", pa.date32()), ("baseline_finish", pa.date32()),
        ("actual_start", pa.date32()), ("actual_finish", pa.date32()),
        ("percent_value", pa.float64()), ("percent_explicit", pa.bool_()),
        ("owner", pa.string()), ("owner_email", pa.string()), ("team", pa.string()),
        ("work_hours", pa.float64()), ("actual_work_hours", pa.float64()), ("story_points", pa.float64()),
        ("milestone", pa.bool_()),
        ("systems", pa.list_(pa.string())), ("objectives", pa.list_(pa.string())),
        ("cost", pa.float64()), ("baseline_cost", pa.float64()), ("actual_cost", pa.float64()),
        ("updated_at", pa.timestamp("us")),
        ("phase", pa.string()), ("rag", pa.string()), ("outline", pa.string()),
        ("stated_duration_hours", pa.float64()),
    ]
)
DEPENDENCY_SCHEMA = pa.schema(
    [
        ("file", pa.string()), ("sheet", pa.string()), ("successor_key", pa.string()),
        ("successor_project_key", pa.string()),
        ("predecessor_ref", pa.string()), ("predecessor_scope", pa.string()), ("predecessor_id", pa.string()),
        ("link_type", pa.string()), ("lag_hours", pa.float64()),
    ]
)
RISK_SCHEMA = pa.schema(
    [
        ("file", pa.string()), ("sheet", pa.string()), ("row_number", pa.int32()), ("risk_key", pa.string()),
        ("project", pa.string()), ("title", pa.string()),
        ("probability", pa.float64()), ("impact", pa.float64()),
        ("owner", pa.string()), ("status", pa.string()), ("mitigation", pa.string()), ("due", pa.date32()),
        ("probability_original", pa.string()), ("impact_original", pa.string()),
        ("probability_scale", pa.string()), ("impact_scale", pa.string()),
    ]
)
# A sheet skipped as not a plan: the rule that decided, for marts.data_quality (severity info).
NOTE_SCHEMA = pa.schema([("file", pa.string()), ("sheet", pa.string()), ("rule", pa.string()), ("note", pa.string())])
REPORT_SCHEMA = pa.schema(
    [
        ("file", pa.string()), ("sheet", pa.string()), ("row_number", pa.int32()), ("project", pa.string()),
        ("status", pa.string()), ("reported_at", pa.date32()), ("reported_by", pa.string()),
        ("comment", pa.string()),
    ]
)

TEXT_FIELDS = ("name", "item_type", "status", "owner", "owner_email", "team", "phase", "rag", "outline")
#: Fields whose unreadable cell leaves the row unloaded: without them there is no task to load.
KEY_FIELDS = ("name", "task_id", "project")


class SpreadsheetConnector(Connector):
    kind: ClassVar[str] = "spreadsheet"
    watches_files: ClassVar[bool] = True
    raw_schemas: ClassVar[Mapping[str, pa.Schema]] = {
        "tasks": TASK_SCHEMA,
        "dependencies": DEPENDENCY_SCHEMA,
        "risks": RISK_SCHEMA,
        "status_reports": REPORT_SCHEMA,
        "raid": RAID_SCHEMA,
        "sheet_notes": NOTE_SCHEMA,
    }
    options_model: ClassVar[type[SpreadsheetOptions]] = SpreadsheetOptions
    options: SpreadsheetOptions

    def extract(self, context: ExtractContext) -> Iterator[Batch]:
        sheet_filter = set(self.options.sheets) if self.options.sheets else None
        buffers: dict[str, list[dict[str, Any]]] = {name: [] for name in self.raw_schemas}
        limits = ZipLimits(self.options.max_uncompressed_mb, self.options.max_compression_ratio)
        for path, name in self.files():
            context.info(f"{self.source.id}: reading {name}")
            try:
                for sheet in iter_sheets(path, name, sheet_filter, limits):
                    for table, row in self._sheet_records(sheet, context):
                        if isinstance(row, pa.Table):  # a typed chunk: after the rows buffered before it
                            if buffers[table]:
                                yield self._flush(table, buffers)
                            yield Batch(table, row)
                            yield from context.drain_quarantine()
                            continue
                        buffers[table].append(row)
                        if len(buffers[table]) >= BATCH_ROWS:
                            yield self._flush(table, buffers)
                        yield from context.drain_quarantine()
            except ArchiveTooLarge as exc:  # raised before the file is opened: the other files still load
                context.info(str(exc))
                context.quarantine(name, name, str(exc), {"file": name})
        for table in buffers:
            if buffers[table]:
                yield self._flush(table, buffers)
        yield from context.drain_quarantine(force=True)

    def _flush(self, table: str, buffers: dict[str, list[dict[str, Any]]]) -> Batch:
        rows, buffers[table] = buffers[table], []
        return Batch(table, pa.Table.from_pylist(rows, schema=self.raw_schemas[table]))

    def _default_day_first(self) -> bool:
        """For risk logs and status registers: the option, else day first on a decimal-comma source."""
        given = self.options.day_first
        return given if given is not None else self.options.decimal == "comma"

    def _locale(self) -> Locale:
        o = self.options
        return Locale(o.day_first, o.decimal, Calendar(o.hours_per_day, o.days_per_week, o.days_per_month))

    def _sheet_records(
        self, sheet: SheetRows, context: ExtractContext,
    ) -> Iterator[tuple[str, dict[str, Any] | pa.Table]]:
        head = list(itertools.islice(sheet.rows, HEADER_SEARCH_ROWS + LOOKAHEAD_ROWS))
        cells = [row for _, row in head]
        risk_sheets = set(self.options.risk_sheets)
        task_overrides = self.options.columns
        risk_overrides = self.options.risk_columns
        if sheet.sheet not in risk_sheets:
            if (verdict := classify(sheet.sheet, cells, task_overrides)) is not None:
                yield from self._not_a_plan(sheet, verdict, context)
                return
            if (raid := find_raid_log(sheet.sheet, cells, risk_overrides)) is not None:
                rest = itertools.chain(head[raid[0] + 1:], sheet.rows)
                yield from self._log_records(sheet, cells[raid[0]], raid[1], rest, context)
                return
        risk_header = find_header_row(cells, RISK_FIELDS, risk_overrides)
        task_header = find_header_row(cells, TASK_FIELDS, task_overrides)
        risk_columns = match_columns(cells[risk_header], RISK_FIELDS, risk_overrides) if risk_header is not None else {}
        is_risk_log = sheet.sheet in risk_sheets or (
            "title" in risk_columns and ("probability" in risk_columns or "impact" in risk_columns)
        )
        if task_header is None and not is_risk_log:  # a status register names too few task fields
            task_header = find_header_row(cells, REPORT_FIELDS, {})
        header_index = risk_header if is_risk_log else task_header
        where = f"{sheet.file}, sheet {sheet.sheet!r}"
        if header_index is None:
            if any(not v.is_blank(c) for row in cells[:HEADER_SEARCH_ROWS] for c in row):
                context.quarantine(
                    f"{sheet.file}#{sheet.sheet}", where,
                    f"no header row found in the first {HEADER_SEARCH_ROWS} rows; expected columns such as Task, "
                    "Status, Start, Finish (or map them under the source's columns:)",
                    {"first_row": cells[0] if cells else []},
                )
            return
        rest = itertools.chain(head[header_index + 1:], sheet.rows)
        if is_risk_log:
            yield from self._log_records(sheet, cells[header_index], risk_columns, rest, context)
            return
        header = header_cells(cells, header_index, TASK_FIELDS)
        columns = match_columns(header, TASK_FIELDS, task_overrides)
        report_columns = match_columns(cells[header_index], REPORT_FIELDS, {})
        if "name" not in columns and {"project", "status", "reported_at"} <= report_columns.keys():
            # A status register: what each project reported, by date (no task-name column).
            yield from self._report_records(sheet, cells[header_index], report_columns, rest, context)
            return
        if "name" not in columns:
            context.quarantine(
                f"{sheet.file}#{sheet.sheet}", where,
                f"no task-name column among headers {[h for h in header if h]}; expected "
                "Task, Name, Activity, Subject or Work item, or map one with columns: {name: <header>}",
                {},
            )
            return
        rules = task_rules(header, columns, cells[header_index + 1:], self._locale())
        self._report_columns(sheet, header, columns, rules, context)
        yield from self._task_records(sheet, header, columns, rules, head[header_index + 1:], sheet.rows, context)

    @staticmethod
    def _report_columns(
        sheet: SheetRows, header: list[Any], columns: dict[str, int], rules: ColumnRules, context: ExtractContext,
    ) -> None:
        """One finding per column left unread (an unknown unit) or read with a stated guess."""
        for level, findings in (("column", rules.refused), ("column", rules.notes)):
            for field_name, reason in findings.items():
                label = str(header[columns[field_name]])
                unread = "; the column was left unread" if field_name in rules.refused else ""
                context.quarantine(
                    f"{sheet.file}#{sheet.sheet}", f"{sheet.file}, sheet {sheet.sheet!r}, column {label!r}",
                    f"column {label!r}: {reason}{unread}", {}, level=level, column=label,
                )

    def _task_records(
        self, sheet: SheetRows, header: list[Any], columns: dict[str, int], rules: ColumnRules,
        head: list[tuple[int, list[Any]]], rows: Iterator[tuple[int, list[Any]]], context: ExtractContext,
    ) -> Iterator[tuple[str, dict[str, Any] | pa.Table]]:
        """The rows read ahead first, then the rest: as Arrow columns when the reader has them (a CSV),
        else as rows, a chunk at a time."""
        for start in range(0, len(head), BATCH_ROWS):
            chunk = head[start:start + BATCH_ROWS]
            yield from self._task_chunk(sheet, header, columns, rules, _row_chunk(chunk), context)
        take = getattr(rows, "take_columns", None)
        while take is not None and (part := take(COLUMN_CHUNK_ROWS)) is not None:
            yield from self._task_chunk(sheet, header, columns, rules, _column_chunk(*part), context)
        while chunk := list(itertools.islice(rows, BATCH_ROWS)):
            yield from self._task_chunk(sheet, header, columns, rules, _row_chunk(chunk), context)

    def _task_chunk(
        self, sheet: SheetRows, header: list[Any], columns: dict[str, int], rules: ColumnRules,
        chunk: _Chunk, context: ExtractContext,
    ) -> Iterator[tuple[str, dict[str, Any] | pa.Table]]:
        """Type a chunk of rows column by column; only rows with a finding or a predecessor are
        then visited one by one."""
        numbers, cells, raw, arrays = chunk
        blanks = [vec.blank_mask(array, column) for array, column in zip(arrays, raw, strict=True)]
        blank_row = np.logical_and.reduce(blanks) if blanks else np.ones(len(numbers), bool)
        empty = (None,) * len(numbers)

        def parse_one(name: str, cell: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
            return _parse_cell(name, cell, rules)

        def type_one(name: str) -> vec.TypedField:
            index = columns[name]
            column, array = (raw[index], arrays[index]) if index < len(raw) else (empty, None)
            blank = blanks[index] if index < len(raw) else np.ones(len(numbers), bool)
            return vec.type_field(name, column, array, blank, rules, parse_one)

        if len(numbers) >= PARALLEL_ROWS:  # Arrow's kernels release the GIL: two columns at once
            with ThreadPoolExecutor(max_workers=2) as pool:
                typed = dict(zip(columns, pool.map(type_one, columns), strict=True))
        else:
            typed = {name: type_one(name) for name in columns}
        dep_column = columns.get("depends_on")
        plain = vec.plain_references(arrays[dep_column]) if dep_column is not None and dep_column < len(raw) else None
        visit = _rows_to_visit(typed, columns, blanks, blank_row, plain)
        task = _ChunkRows(sheet, header, columns, typed, raw, cells, numbers)
        dropped = np.zeros(len(numbers), bool)
        links: list[dict[str, Any]] = []
        calendar = self._locale().calendar
        for index in visit:
            if not self._visit_row(task, index, calendar, context, links):
                dropped[index] = True
        keys = _task_keys(task)
        table = _task_table(task, keys, ~blank_row & ~dropped)
        if table.num_rows:
            yield "tasks", table
        if plain is not None:
            unvisited = np.ones(len(numbers), bool)
            unvisited[visit] = False
            plain_links = _plain_links(task, keys, plain, ~blank_row & unvisited)
            if plain_links.num_rows:
                yield "dependencies", plain_links
        for link in links:
            yield "dependencies", link

    def _visit_row(
        self, task: _ChunkRows, index: int, calendar: Calendar, context: ExtractContext,
        links: list[dict[str, Any]],
    ) -> bool:
        """The row's findings (False: the row is kept out whole) and its predecessor links."""
        sheet, header, columns = task.sheet, task.header, task.columns
        number, row = task.numbers[index], task.cells[index]
        cell_errors = {f: t.errors[index] for f, t in task.typed.items() if index in t.errors}
        out_of_range = {f: t.out_of_range[index] for f, t in task.typed.items() if index in t.out_of_range}
        location = f"{sheet.file}, sheet {sheet.sheet!r}, row {number}"
        record = {str(header[i]): row[i] for i in range(min(len(header), len(row))) if not v.is_blank(row[i])}
        task_id = task.value("task_id", index) or str(number)
        item_key = f"{sheet.file}#{sheet.sheet}#{task_id}"
        row_errors = [f"column {header[columns[f]]!r}: {reason}" for f, reason in out_of_range.items()]
        row_errors += [f"column {header[columns[f]]!r}: {cell_errors.pop(f)}; every task needs one"
                       for f in KEY_FIELDS if f in cell_errors]
        if not row_errors and task.value("name", index) is None:
            row_errors.append(f"column {header[columns['name']]!r}: empty; every task needs a name")
        if row_errors:
            context.quarantine(item_key, location, "; ".join(row_errors), record)
            return False
        for field_name, reason in cell_errors.items():
            label = str(header[columns[field_name]])
            context.quarantine(
                item_key, f"{location}, column {label!r}",
                f"column {label!r}: {reason}; the task was loaded without this value", record,
                level="cell", column=label, value=task.cell(field_name, index),
            )
        if "depends_on" in cell_errors:
            return True
        project = task.value("project", index)
        project_key = f"{sheet.file}#{project}" if project else task.default_project
        for reference in split_predecessors(task.cell("depends_on", index)):
            link = parse_link(reference, calendar)
            if link is None:
                label = str(header[columns["depends_on"]])
                context.quarantine(
                    item_key, f"{location}, column {label!r}",
                    f"column {label!r}: {reference!r} is not a dependency; expected an id such as 12, "
                    "2,3, 12FS+2d, 3SS-2 days or Sheet!12. The task was loaded without this link",
                    record, level="cell", column=label, value=reference,
                )
                continue
            links.append({
                "file": sheet.file, "sheet": sheet.sheet, "successor_key": item_key,
                "successor_project_key": project_key, "predecessor_ref": reference, **link,
            })
        return True

    def _log_records(
        self, sheet: SheetRows, header: list[Any], columns: dict[str, int],
        rows: Iterator[tuple[int, list[Any]]], context: ExtractContext,
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        yield from read_log(sheet, header, columns, rows, context, day_first=self._default_day_first(),
                            declared=self.options.risk_scales)

    def _not_a_plan(self, sheet: SheetRows, verdict: Verdict, context: ExtractContext) -> Iterator[tuple[str, dict[str, Any]]]:
        where = f"{sheet.file}, sheet {sheet.sheet!r}"
        if verdict.action == "refuse":
            context.quarantine(f"{sheet.file}#{sheet.sheet}", where, f"{verdict.rule}: {verdict.message}", {})
            return
        context.info(f"{where}: {verdict.message}")
        yield "sheet_notes", {"file": sheet.file, "sheet": sheet.sheet, "rule": verdict.rule, "note": verdict.message}

    def _report_records(
        self, sheet: SheetRows, header: list[Any], columns: dict[str, int],
        rows: Iterator[tuple[int, list[Any]]], context: ExtractContext,
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        for number, row in rows:
            if all(v.is_blank(c) for c in row):
                continue
            cells = {name: (row[i] if i < len(row) else None) for name, i in columns.items()}
            location = f"{sheet.file}, sheet {sheet.sheet!r}, row {number}"
            record = {str(header[i]): row[i] for i in range(min(len(header), len(row))) if not v.is_blank(row[i])}
            try:
                reported_at = v.parse_date(cells.get("reported_at"), day_first=self._default_day_first())
            except v.CellError as exc:
                context.quarantine(f"{sheet.file}#{sheet.sheet}#{number}", location,
                                   f"column {header[columns['reported_at']]!r}: {exc}", record)
                continue
            project, status = v.as_text(cells.get("project")), v.as_text(cells.get("status"))
            if project is None or status is None or reported_at is None:
                context.quarantine(f"{sheet.file}#{sheet.sheet}#{number}", location,
                                   "a status report needs a project, a status and a date; fill them in", record)
                continue
            yield "status_reports", {
                "file": sheet.file, "sheet": sheet.sheet, "row_number": number, "project": project,
                "status": status, "reported_at": reported_at, "reported_by": v.as_text(cells.get("reported_by")),
                "comment": v.as_text(cells.get("comment")),
            }


#: A chunk of rows: row numbers, the rows (as lists), the columns (as sequences) and their Arrow arrays.
_Chunk = tuple[list[int], Sequence[list[Any]], list[Sequence[Any]], list[pa.Array | None]]


def _row_chunk(chunk: list[tuple[int, list[Any]]]) -> _Chunk:
    cells = [row for _, row in chunk]
    raw: list[Sequence[Any]] = list(vec.raw_columns(cells))
    return [number for number, _ in chunk], cells, raw, [vec.to_array(column) for column in raw]


def _column_chunk(first: int, arrays: list[pa.Array]) -> _Chunk:
    size = len(arrays[0]) if arrays else 0
    return list(range(first, first + size)), vec.LazyRows(arrays), [vec.LazyColumn(a) for a in arrays], list(arrays)


@dataclass
class _ChunkRows:
    """A chunk of task rows: its raw cells and, per recognised field, its typed columns."""

    sheet: SheetRows
    header: list[Any]
    columns: dict[str, int]
    typed: dict[str, vec.TypedField]
    raw_columns: list[Sequence[Any]]
    cells: Sequence[list[Any]]
    numbers: list[int]

    @property
    def default_project(self) -> str:
        """A task without a project belongs to the file (CSV) or to its sheet (workbook)."""
        is_csv = self.sheet.file.lower().endswith((".csv", ".tsv", ".txt"))
        return self.sheet.file if is_csv else f"{self.sheet.file}#{self.sheet.sheet}"

    def value(self, field_name: str, index: int) -> Any:
        typed = self.typed.get(field_name)
        return typed.values[field_name][index].as_py() if typed is not None else None

    def cell(self, field_name: str, index: int) -> Any:
        """The cell as the reader gave it (None past the end of a short row)."""
        column = self.columns.get(field_name)
        in_chunk = column is not None and column < len(self.raw_columns)
        return self.raw_columns[column][index] if in_chunk else None


def _rows_to_visit(
    typed: dict[str, vec.TypedField], columns: dict[str, int], blanks: list[np.ndarray], blank_row: np.ndarray,
    plain: pa.Array | None,
) -> list[int]:
    """Rows that need a look of their own: a finding, no name, or predecessors other than one plain id."""
    visit = set()
    for field in typed.values():
        visit.update(field.errors, field.out_of_range)
    nameless = pc.is_null(typed["name"].values["name"]).to_numpy(zero_copy_only=False)
    needs = nameless.copy()
    if "depends_on" in columns and columns["depends_on"] < len(blanks):
        split = ~blanks[columns["depends_on"]]
        if plain is not None:
            split &= pc.is_null(plain).to_numpy(zero_copy_only=False)
        needs |= split
    visit.update(np.flatnonzero(needs).tolist())
    return sorted(i for i in visit if not blank_row[i])


def _task_keys(task: _ChunkRows) -> dict[str, pa.Array]:
    """task_id (the row number when the ID cell is empty), item_key, project and project_key of each row."""
    size, sheet = len(task.numbers), task.sheet
    numbers = pa.array(task.numbers, pa.int32())
    given = task.typed["task_id"].values["task_id"] if "task_id" in task.typed else pa.nulls(size, pa.string())
    task_id = pc.coalesce(pc.cast(given, pa.string()), pc.cast(numbers, pa.string()))
    project = task.typed["project"].values["project"] if "project" in task.typed else pa.nulls(size, pa.string())
    project = pc.cast(project, pa.string())
    return {
        "row_number": numbers, "task_id": task_id,
        "item_key": pc.binary_join_element_wise(f"{sheet.file}#{sheet.sheet}#", task_id, ""),
        "project": project,
        "project_key": pc.if_else(pc.is_valid(project), pc.binary_join_element_wise(f"{sheet.file}#", project, ""),
                                  task.default_project),
    }


def _task_table(task: _ChunkRows, keys: dict[str, pa.Array], keep: np.ndarray) -> pa.Table:
    """The chunk's kept rows in TASK_SCHEMA: typed fields, keys and the defaults of absent fields."""
    size = len(task.numbers)
    out: dict[str, pa.Array] = {}
    for typed in task.typed.values():
        out.update(typed.values)
    out.update(keys, file=pa.repeat(pa.scalar(task.sheet.file), size),
               sheet=pa.repeat(pa.scalar(task.sheet.sheet), size))
    return _table(out, TASK_SCHEMA, keep, size)


def _table(out: dict[str, pa.Array], schema: pa.Schema, keep: np.ndarray, size: int) -> pa.Table:
    mask = None if keep.all() else pa.array(keep)
    arrays = []
    for column in schema:
        array = out.get(column.name)
        if array is None or pa.types.is_null(array.type):
            array = pa.nulls(size, column.type)
        if array.type != column.type:
            array = pc.cast(array, column.type)
        if array.null_count and column.name in ("systems", "objectives"):
            array = _empty_lists(array, column.type)
        elif array.null_count and column.name == "percent_explicit":
            array = array.fill_null(False)
        arrays.append(array if mask is None else array.filter(mask))
    return pa.Table.from_arrays(arrays, schema=schema)


def _empty_lists(array: pa.Array, kind: pa.DataType) -> pa.Array:
    """A list column with [] for NULL (a task without systems has none, not unknown ones)."""
    if array.null_count == len(array):  # the column is absent: fill_null is slow on lists
        return pa.ListArray.from_arrays(pa.array(np.zeros(len(array) + 1, np.int32)), pa.array([], kind.value_type))
    return array.fill_null(pa.scalar([], kind))


def _plain_links(task: _ChunkRows, keys: dict[str, pa.Array], plain: pa.Array, rows: np.ndarray) -> pa.Table:
    """Finish-to-start links without lag from predecessor cells that hold one plain id."""
    size = len(task.numbers)
    keep = rows & pc.is_valid(plain).to_numpy(zero_copy_only=False)
    out = {
        "file": pa.repeat(pa.scalar(task.sheet.file), size), "sheet": pa.repeat(pa.scalar(task.sheet.sheet), size),
        "successor_key": keys["item_key"], "successor_project_key": keys["project_key"],
        "predecessor_ref": plain, "predecessor_id": vec.plain_id(plain),
        "link_type": pa.repeat(pa.scalar("FS"), size), "lag_hours": pa.array(np.zeros(size)),
    }
    return _table(out, DEPENDENCY_SCHEMA, keep, size)


_EMPTY_TASK: dict[str, Any] = {name: None for name in TASK_SCHEMA.names} | {"percent_explicit": False}


def _parse_task(
    cells: dict[str, Any], rules: ColumnRules,
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Type every recognised cell. Returns the values, field -> why its cell was left empty (an
    unreadable value, an Excel error), and field -> why the whole row is kept out (a number out of
    its believable bounds: a phone number in an hours column is a slip that skews every rollup)."""
    parsed: dict[str, Any] = dict(_EMPTY_TASK, systems=[], objectives=[])
    cell_errors: dict[str, str] = {}
    row_errors: dict[str, str] = {}
    for field_name, cell in cells.items():
        error = excel_error(cell)
        if error is not None:
            cell_errors[field_name] = f"Excel shows the error {error} (a broken formula); fix it in the workbook"
        elif field_name in rules.refused:
            continue
        else:
            try:
                _type_cell(parsed, field_name, cell, rules)
            except v.OutOfRange as exc:
                row_errors[field_name] = str(exc)
            except v.CellError as exc:
                cell_errors[field_name] = str(exc)
    return parsed, cell_errors, row_errors


def _parse_cell(
    field_name: str, cell: Any, rules: ColumnRules,
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """One cell as the row path reads it; the ID as written (it is a key, not typed)."""
    parsed, cell_errors, row_errors = _parse_task({field_name: cell}, rules)
    if field_name == "task_id" and field_name not in cell_errors:
        parsed["task_id"] = v.as_text(cell)
    return parsed, cell_errors, row_errors


def _type_cell(parsed: dict[str, Any], field_name: str, cell: Any, rules: ColumnRules) -> None:
    if field_name == "percent_complete":
        parsed["percent_value"], parsed["percent_explicit"] = rules.rules[field_name](cell)
    elif field_name == "duration":
        parsed["stated_duration_hours"] = rules.rules[field_name](cell)
    elif field_name in rules.rules:
        parsed[field_name] = rules.rules[field_name](cell)
    elif field_name == "milestone":
        parsed[field_name] = v.parse_bool(cell)
    elif field_name in ("systems", "objectives"):
        parsed[field_name] = v.parse_list(cell)
    elif field_name in (*TEXT_FIELDS, "project"):
        parsed[field_name] = v.as_text(cell)


__all__ = ["SpreadsheetConnector"]
