"""Spreadsheet connector: task trackers and risk logs in .xlsx and .csv files.

Each sheet is read on its own: its header row is found (it need not be the first row), its
columns are recognised by the words people use (or by the source's ``columns`` mapping), and it is
classified as a task sheet or a risk log. Rows that cannot be read go to the quarantine with file,
sheet, row number and reason; the rest of the sheet loads.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from connectors import values as v
from connectors.base import Batch, Connector, ExtractContext
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

    @classmethod
    def staging_sql_dir(cls) -> Path:
        return Path(__file__).parent / "staging"

    def extract(self, context: ExtractContext) -> Iterator[Batch]:
        sheet_filter = set(self.options.sheets) if self.options.sheets else None
        buffers: dict[str, list[dict[str, Any]]] = {name: [] for name in self.raw_schemas}
        limits = ZipLimits(self.options.max_uncompressed_mb, self.options.max_compression_ratio)
        for path, name in self.files():
            context.info(f"{self.source.id}: reading {name}")
            try:
                for sheet in iter_sheets(path, name, sheet_filter, limits):
                    for table, row in self._sheet_records(sheet, context):
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

    def _sheet_records(self, sheet: SheetRows, context: ExtractContext) -> Iterator[tuple[str, dict[str, Any]]]:
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
        yield from self._task_records(sheet, header, columns, rules, rest, context)

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
        rows: Iterator[tuple[int, list[Any]]], context: ExtractContext,
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        is_csv = sheet.file.lower().endswith((".csv", ".tsv", ".txt"))
        calendar = self._locale().calendar
        for number, row in rows:
            if all(v.is_blank(c) for c in row):
                continue
            cells = {name: (row[i] if i < len(row) else None) for name, i in columns.items()}
            location = f"{sheet.file}, sheet {sheet.sheet!r}, row {number}"
            record = {str(header[i]): row[i] for i in range(min(len(header), len(row))) if not v.is_blank(row[i])}
            parsed, cell_errors, out_of_range = _parse_task(cells, rules)
            task_id = None if "task_id" in cell_errors else v.as_text(cells.get("task_id"))
            task_id = task_id or str(number)
            item_key = f"{sheet.file}#{sheet.sheet}#{task_id}"
            row_errors = [f"column {header[columns[f]]!r}: {reason}" for f, reason in out_of_range.items()]
            row_errors += [f"column {header[columns[f]]!r}: {cell_errors.pop(f)}; every task needs one"
                           for f in KEY_FIELDS if f in cell_errors]
            if not row_errors and parsed.get("name") is None:
                row_errors.append(f"column {header[columns['name']]!r}: empty; every task needs a name")
            if row_errors:
                context.quarantine(item_key, location, "; ".join(row_errors), record)
                continue
            for field_name, reason in cell_errors.items():
                label = str(header[columns[field_name]])
                context.quarantine(
                    item_key, f"{location}, column {label!r}",
                    f"column {label!r}: {reason}; the task was loaded without this value", record,
                    level="cell", column=label, value=cells.get(field_name),
                )
            project = parsed.pop("project")
            if project:
                project_key = f"{sheet.file}#{project}"
            else:
                project_key = sheet.file if is_csv else f"{sheet.file}#{sheet.sheet}"
            parsed.update(
                file=sheet.file, sheet=sheet.sheet, row_number=number, item_key=item_key, task_id=task_id,
                project=project, project_key=project_key,
            )
            yield "tasks", parsed
            if "depends_on" in cell_errors:
                continue
            for reference in split_predecessors(cells.get("depends_on")):
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
                yield "dependencies", {
                    "file": sheet.file, "sheet": sheet.sheet, "successor_key": item_key,
                    "successor_project_key": project_key, "predecessor_ref": reference, **link,
                }

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
