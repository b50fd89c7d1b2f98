"""Spreadsheet connector: task trackers and risk logs in .xlsx and .csv files.

Each sheet is read on its own: its header row is found (it need not be the first row), its
columns are recognised by the words people use (or by the source's ``columns`` mapping), and it is
classified as a task sheet or a risk log. Rows that cannot be read go to the quarantine with file,
sheet, row number and reason; the rest of the sheet loads.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from connectors import values as v
from connectors.base import Batch, Connector, ExtractContext
from connectors.spreadsheet.headers import (
    HEADER_SEARCH_ROWS,
    REPORT_FIELDS,
    RISK_FIELDS,
    TASK_FIELDS,
    find_header_row,
    match_columns,
)
from connectors.spreadsheet.options import SpreadsheetOptions
from connectors.spreadsheet.raid import RAID_SCHEMA, find_raid_log, read_log
from connectors.spreadsheet.reader import SheetRows, iter_sheets
from connectors.spreadsheet.sheet_kinds import Verdict, classify
from connectors.zipguard import ArchiveTooLarge, ZipLimits

BATCH_ROWS = 10_000
HOURS_PER_LAG_UNIT = {"h": 1.0, "d": 8.0, "w": 40.0}
_DEPENDENCY = re.compile(
    r"^(?:(?P<scope>[^!]+)!)?(?P<id>[^\s!]+?)"
    r"(?:\s*(?P<type>FS|SS|FF|SF)(?:\s*(?P<sign>[+-])\s*(?P<lag>\d+(?:\.\d+)?)\s*(?P<unit>[hdw])[a-z]*)?)?$",
    re.IGNORECASE,
)

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

DATE_FIELDS = ("start", "finish", "due", "baseline_start", "baseline_finish", "actual_start", "actual_finish")
HOUR_FIELDS = ("work_hours", "actual_work_hours")
NUMBER_FIELDS = {"story_points": v.STORY_POINTS, "cost": v.COST, "baseline_cost": v.COST, "actual_cost": v.COST}
TEXT_FIELDS = ("name", "item_type", "status", "owner", "owner_email", "team")


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

    def _sheet_records(self, sheet: SheetRows, context: ExtractContext) -> Iterator[tuple[str, dict[str, Any]]]:
        head = list(itertools.islice(sheet.rows, HEADER_SEARCH_ROWS))
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
            if any(not v.is_blank(c) for row in cells for c in row):
                context.quarantine(
                    f"{sheet.file}#{sheet.sheet}", where,
                    "no header row found in the first 10 rows; expected columns such as Task, Status, Start, "
                    "Finish (or map them under the source's columns:)",
                    {"first_row": cells[0] if cells else []},
                )
            return
        rest = itertools.chain(head[header_index + 1:], sheet.rows)
        if is_risk_log:
            yield from self._log_records(sheet, cells[header_index], risk_columns, rest, context)
        else:
            columns = match_columns(cells[header_index], TASK_FIELDS, task_overrides)
            report_columns = match_columns(cells[header_index], REPORT_FIELDS, {})
            if "name" not in columns and {"project", "status", "reported_at"} <= report_columns.keys():
                # A status register: what each project reported, by date (no task-name column).
                yield from self._report_records(sheet, cells[header_index], report_columns, rest, context)
                return
            if "name" not in columns:
                context.quarantine(
                    f"{sheet.file}#{sheet.sheet}", where,
                    f"no task-name column among headers {[h for h in cells[header_index] if h]}; expected "
                    "Task, Name or Activity, or map one with columns: {name: <header>}",
                    {},
                )
                return
            yield from self._task_records(sheet, cells[header_index], columns, rest, context)

    def _task_records(
        self, sheet: SheetRows, header: list[Any], columns: dict[str, int],
        rows: Iterator[tuple[int, list[Any]]], context: ExtractContext,
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        day_first = self.options.day_first
        is_csv = sheet.file.lower().endswith((".csv", ".tsv", ".txt"))
        for number, row in rows:
            cells = {name: (row[i] if i < len(row) else None) for name, i in columns.items()}
            if all(v.is_blank(c) for c in row):
                continue
            location = f"{sheet.file}, sheet {sheet.sheet!r}, row {number}"
            record = {str(header[i]): row[i] for i in range(min(len(header), len(row))) if not v.is_blank(row[i])}
            task_id = v.as_text(cells.get("task_id")) or str(number)
            item_key = f"{sheet.file}#{sheet.sheet}#{task_id}"
            parsed, errors = _parse_task(cells, columns, header, day_first)
            if not errors and parsed.get("name") is None:
                errors.append(f"column {header[columns['name']]!r}: empty; every task needs a name")
            if errors:
                context.quarantine(item_key, location, "; ".join(errors), record)
                continue
            project = v.as_text(cells.get("project"))
            if project:
                project_key = f"{sheet.file}#{project}"
            else:
                project_key = sheet.file if is_csv else f"{sheet.file}#{sheet.sheet}"
            parsed.update(
                file=sheet.file, sheet=sheet.sheet, row_number=number, item_key=item_key, task_id=task_id,
                project=project, project_key=project_key,
            )
            yield "tasks", parsed
            for dependency in v.parse_list(cells.get("depends_on")):
                link = _parse_dependency(dependency)
                if link is None:
                    context.quarantine(
                        item_key, location,
                        f"column {header[columns['depends_on']]!r}: {dependency!r} is not a dependency; expected "
                        "an id such as 12, 12FS+2d or Sheet!12. The task was loaded without this link",
                        record,
                    )
                    continue
                yield "dependencies", {
                    "file": sheet.file, "sheet": sheet.sheet, "successor_key": item_key,
                    "successor_project_key": project_key, "predecessor_ref": dependency, **link,
                }

    def _log_records(
        self, sheet: SheetRows, header: list[Any], columns: dict[str, int],
        rows: Iterator[tuple[int, list[Any]]], context: ExtractContext,
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        yield from read_log(sheet, header, columns, rows, context, day_first=self.options.day_first,
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
                reported_at = v.parse_date(cells.get("reported_at"), day_first=self.options.day_first)
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


def _parse_task(
    cells: dict[str, Any], columns: dict[str, int], header: list[Any], day_first: bool
) -> tuple[dict[str, Any], list[str]]:
    """Type every recognised cell; return the values and one message per unreadable cell."""
    parsed: dict[str, Any] = {}
    errors: list[str] = []

    def attempt(field_name: str, parser: Any) -> None:
        try:
            parsed[field_name] = parser(cells.get(field_name))
        except v.CellError as exc:
            errors.append(f"column {header[columns[field_name]]!r}: {exc}")

    for field_name in DATE_FIELDS:
        attempt(field_name, lambda c: v.parse_date(c, day_first=day_first))
    for field_name in HOUR_FIELDS:
        attempt(field_name, lambda c: v.in_range(v.parse_hours(c), v.HOURS))
    for field_name, bounds in NUMBER_FIELDS.items():
        attempt(field_name, lambda c, bounds=bounds: v.in_range(v.parse_number(c), bounds))
    for field_name in TEXT_FIELDS:
        parsed[field_name] = v.as_text(cells.get(field_name))
    attempt("milestone", v.parse_bool)
    attempt("updated_at", lambda c: v.parse_timestamp(c, day_first=day_first))
    try:
        parsed["percent_value"], parsed["percent_explicit"] = v.parse_percent(cells.get("percent_complete"))
    except v.CellError as exc:
        errors.append(f"column {header[columns['percent_complete']]!r}: {exc}")
    parsed["systems"] = v.parse_list(cells.get("systems"))
    parsed["objectives"] = v.parse_list(cells.get("objectives"))
    return parsed, errors


def _parse_dependency(token: str) -> dict[str, Any] | None:
    match = _DEPENDENCY.match(token.strip())
    if not match:
        return None
    lag = float(match["lag"] or 0) * HOURS_PER_LAG_UNIT[(match["unit"] or "d").lower()]
    if not v.LAG_HOURS[0] <= lag <= v.LAG_HOURS[1]:
        return None  # an implausible lag is quarantined like any unreadable dependency
    return {
        "predecessor_scope": match["scope"].strip() if match["scope"] else None,
        "predecessor_id": match["id"],
        "link_type": (match["type"] or "FS").upper(),
        "lag_hours": -lag if match["sign"] == "-" else lag,
    }


__all__ = ["SpreadsheetConnector"]
