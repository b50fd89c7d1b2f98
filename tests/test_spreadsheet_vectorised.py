"""Columns typed in bulk (Arrow compute) read exactly what the per-cell parser reads, cell for cell,
and a CSV read by Arrow gives the rows csv.reader gives - chunked or not, findings included."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from connectors import values as v
from connectors.base import QUARANTINE_TABLE, ExtractContext, SourceSpec
from connectors.spreadsheet import SpreadsheetConnector
from connectors.spreadsheet import connector as sheet_connector
from connectors.spreadsheet import vectorised as vec
from connectors.spreadsheet.columns import Locale, task_rules
from connectors.spreadsheet.excel_errors import ExcelError
from connectors.spreadsheet.reader import ColumnRows, _csv_rows

HEADER = ["ID", "Task", "Start", "Finish (dd/mm/yyyy)", "Effort (days)", "% Complete", "Cost (k€)", "Systems",
          "Depends on", "Owner"]
# Cells as a CSV or a workbook gives them: the forms the bulk pass reads, and the ones it leaves to the
# per-cell parser (other date forms, units in values, error words, impossible dates, out-of-range numbers).
COLUMN_CELLS: dict[str, list[Any]] = {
    "Start": ["2026-01-15", "2026-02-30", "15-Jan-2026", "", " ", "2026-01-15 08:00", "#N/A", 45658, 45658.7, 12,
              dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 9, 30), None, "0000-01-01", "01/02/2026"],
    "Finish (dd/mm/yyyy)": ["31/01/2026", "29/02/2025", "01/13/2026", "1/2/2026", "2026-12-31", "05.01.2026", ""],
    "Effort (days)": ["2", "2.5", "1.5d", "4h", "-1", "99999999", "12,5", "", 3.0, 1e9, float("nan"), "#REF!"],
    "% Complete": ["50%", "50", "12.5%", " 12.5 % ", "150%", "half", 0.5, 120.0, "", "100"],
    "Cost (k€)": ["12", "1.5", "€ 12", "1,234", 7.0, "", "x"],
    "Systems": ["GL; Payroll, HRIS", " CRM ", ";;", "", "#N/A", "A|B\nC"],
    "ID": ["T-1", " T-2 ", 3.0, 3.5, "", "#VALUE!", 7],
    "Owner": ["Ann", "  ", "", "Bob  "],
}
FIELDS = {"ID": "task_id", "Task": "name", "Start": "start", "Finish (dd/mm/yyyy)": "finish",
          "Effort (days)": "work_hours", "% Complete": "percent_complete", "Cost (k€)": "cost",
          "Systems": "systems", "Owner": "owner"}
OUTPUTS = {"percent_complete": ("percent_value", "percent_explicit"), "work_hours": ("work_hours",)}


def _rules() -> Any:
    columns = {FIELDS[h]: i for i, h in enumerate(HEADER) if h in FIELDS}
    return columns, task_rules(HEADER, columns, [], Locale())


def _per_cell(field: str, cell: Any, rules: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The row path's reading of one cell: _parse_task, and the ID as_text unless it is an error cell."""
    parsed, errors, out_of_range = sheet_connector._parse_task({field: cell}, rules)
    if field == "task_id" and field not in errors:
        parsed["task_id"] = v.as_text(cell)
    return parsed, errors, out_of_range


@pytest.mark.parametrize("header", list(COLUMN_CELLS))
def test_bulk_typing_reads_each_cell_as_the_cell_parser_does(header: str) -> None:
    columns, rules = _rules()
    field = FIELDS[header]
    cells = COLUMN_CELLS[header]
    # As a whole column (mixed kinds are read cell by cell), and as a CSV would give it (all text).
    for column in (cells, [c if isinstance(c, str) or c is None else str(c) for c in cells]):
        array = vec.to_array(column)
        typed = vec.type_field(field, column, array, vec.blank_mask(array, column), rules,
                               lambda name, cell: _per_cell(name, cell, rules))
        for index, cell in enumerate(column):
            parsed, errors, out_of_range = _per_cell(field, cell, rules)
            for out in OUTPUTS.get(field, (field,)):
                got = typed.values[out][index].as_py() if not pa.types.is_null(typed.values[out].type) else None
                if out in ("systems",) and got is None:
                    got = []
                if out == "percent_explicit" and got is None:
                    got = False
                assert got == parsed[out], (header, cell, out)
            assert typed.errors.get(index) == errors.get(field), (header, cell)
            assert typed.out_of_range.get(index) == out_of_range.get(field), (header, cell)


def test_bulk_typing_hand_checked_values() -> None:
    columns, rules = _rules()
    column = ["2026-01-15", "2026-02-30", 45658, ""]
    array = vec.to_array(column)
    typed = vec.type_field("start", column, array, vec.blank_mask(array, column), rules,
                           lambda name, cell: _per_cell(name, cell, rules))
    assert typed.values["start"].to_pylist() == [dt.date(2026, 1, 15), None, dt.date(2025, 1, 1), None]
    assert set(typed.errors) == {1}  # 30 February is a finding, not 2 March
    hours = ["2", "1.5d", 3.0]
    array = vec.to_array(hours)
    typed = vec.type_field("work_hours", hours, array, vec.blank_mask(array, hours), rules,
                           lambda name, cell: _per_cell(name, cell, rules))
    assert typed.values["work_hours"].to_pylist() == [16.0, 12.0, 24.0]  # days of 8 h


def test_excel_error_cells_in_a_workbook_column_are_read_cell_by_cell() -> None:
    columns, rules = _rules()
    column = ["2026-01-15", ExcelError("#N/A"), ""]
    assert vec.to_array(column) is None
    typed = vec.type_field("start", column, None, vec.blank_mask(None, column), rules,
                           lambda name, cell: _per_cell(name, cell, rules))
    assert typed.values["start"].to_pylist() == [dt.date(2026, 1, 15), None, None]
    assert "#N/A" in typed.errors[1]


def _write(path: Path, rows: list[list[str]], delimiter: str = ",", **extra: Any) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter, **extra).writerows(rows)
    return path


@pytest.mark.parametrize("kind", ["doubled-quotes", "semicolon-bom-crlf", "quoted-not-doubled"])
def test_arrow_csv_reads_what_csv_reader_reads(tmp_path: Path, kind: str) -> None:
    rows = [["ID", "Task", "Notes"], ["1", "Plan", 'say "hi"'], ["2", "Build, test", "two\nlines"], ["3", "", ""]]
    path = tmp_path / "t.csv"
    if kind == "quoted-not-doubled":  # the sniffer calls it doublequote=False: Arrow still reads it
        _write(path, [rows[0], *rows[2:]])
    elif kind == "semicolon-bom-crlf":
        text = "\ufeff" + "\r\n".join(";".join(r) for r in [["ID", "Task"], ["1", "Plan"], ["2", "Ship"]]) + "\r\n"
        path.write_text(text, encoding="utf-8", newline="")
    else:
        _write(path, rows)
    expected = list(_csv_rows(path, path.name))
    assert list(ColumnRows(path, path.name)) == expected
    reader = ColumnRows(path, path.name)
    assert next(reader) == expected[0]
    taken = reader.take_columns(100)
    assert taken is not None  # read by Arrow: the rest comes as columns
    first, columns = taken
    assert first == 2
    assert [list(row) for row in zip(*(c.to_pylist() for c in columns), strict=True)] == [r for _, r in expected[1:]]


@pytest.mark.parametrize(
    "text",
    ["ID,Task\n1,Plan\n\n2,Ship\n", "ID,Task\n1,Plan,extra\n2\n", "ID, Task\n1, Plan\n2, Ship\n"],
    ids=["blank-line", "ragged", "space-after-comma"],
)
def test_irregular_csv_is_read_by_csv_reader(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    reader = ColumnRows(path, path.name)
    assert reader.take_columns(100) is None
    assert list(reader) == list(_csv_rows(path, path.name))


def _extract(tmp_path: Path) -> tuple[dict[str, list[dict]], list[tuple]]:
    spec = SourceSpec(id="s", kind="spreadsheet", options={"path": "plan.csv"}, base_dir=tmp_path)
    context = ExtractContext()
    tables: dict[str, list[dict]] = {}
    found = []
    for batch in SpreadsheetConnector(spec).extract(context):
        if batch.table == QUARANTINE_TABLE:
            found += [(r["location"], r["reason"], r["level"]) for r in batch.data.to_pylist()]
        else:
            tables.setdefault(batch.table, []).extend(batch.data.to_pylist())
    return tables, found


def _tracker_rows() -> list[list[str]]:
    rows = [["ID", "Task", "Start", "Finish", "Estimate (h)", "% Complete", "Depends on", "Systems"]]
    for i in range(1, 41):
        rows.append([f"T-{i}", f"Task {i}", f"2026-01-{i % 28 + 1:02d}", f"2026-02-{i % 28 + 1:02d}", str(i),
                     f"{i * 2}%", f"T-{i - 1}" if i % 3 == 0 else "", "GL; CRM"])
    rows[5] = ["T-5", "", "2026-01-05", "", "", "", "", ""]  # no name: the row is kept out
    rows[12][2] = "2026-02-30"  # an impossible date: a cell finding, the task loads
    rows[17][4] = "999999"  # out of range: the row is kept out
    rows[21][6] = "T-3FS+2d; T-4"  # two links, one with a lag
    rows[25][6] = "nonsense here"  # not a dependency: a cell finding
    rows[30] = ["", "", "", "", "", "", "", ""]  # a blank row is skipped
    rows[33][2] = "#N/A"
    return rows


def test_chunked_arrow_columns_load_what_the_row_path_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "plan.csv", _tracker_rows())
    whole, whole_found = _extract(tmp_path)
    # Read ahead nothing, 4 rows a chunk: everything past the header search goes through Arrow columns.
    monkeypatch.setattr(sheet_connector, "LOOKAHEAD_ROWS", 0)
    monkeypatch.setattr(sheet_connector, "BATCH_ROWS", 4)
    monkeypatch.setattr(sheet_connector, "COLUMN_CHUNK_ROWS", 4)
    chunked, chunked_found = _extract(tmp_path)
    key = lambda r: (r.get("row_number") or 0, r.get("predecessor_ref") or "")  # noqa: E731
    for table in ("tasks", "dependencies"):
        assert sorted(whole[table], key=key) == sorted(chunked[table], key=key)
    assert sorted(whole_found) == sorted(chunked_found)
    tasks = {r["task_id"]: r for r in chunked["tasks"]}
    assert len(tasks) == 40 - 3  # no name, out of range, blank
    assert tasks["T-12"]["start"] is None and tasks["T-12"]["finish"] == dt.date(2026, 2, 13)
    assert tasks["T-40"]["work_hours"] == 40.0 and tasks["T-40"]["percent_value"] == 80.0
    assert tasks["T-40"]["percent_explicit"] is True and tasks["T-40"]["systems"] == ["GL", "CRM"]
    links = {(r["successor_key"].rsplit("#", 1)[1], r["predecessor_id"], r["link_type"], r["lag_hours"])
             for r in chunked["dependencies"]}
    expected = {(f"T-{i}", f"T-{i - 1}", "FS", 0.0) for i in range(3, 41, 3) if i not in (30,)}
    expected |= {("T-21", "T-3", "FS", 16.0), ("T-21", "T-4", "FS", 0.0)}
    assert links == expected - {("T-21", "T-20", "FS", 0.0)}
    reasons = " | ".join(reason for _, reason, _ in chunked_found)
    assert "'2026-02-30' is not a calendar date" in reasons and "#N/A" in reasons and "'nonsense here'" in reasons
    assert "every task needs a name" in reasons and "out of range" in reasons


def test_blank_mask_follows_is_blank() -> None:
    column = ["", " ", "x", None, 0.0, float("nan")]
    assert vec.blank_mask(None, column).tolist() == [True, True, False, True, False, True]
    array = vec.to_array(["", " ", "x", None])
    assert np.array_equal(vec.blank_mask(array, []), [True, True, False, True])
