"""Row streams from .xlsx and .csv files, with the row numbers a person sees in Excel."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.base import SourceError
from connectors.spreadsheet.excel_errors import error_cells
from connectors.zipguard import ZipLimits, check_workbook

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}


@dataclass(frozen=True)
class SheetRows:
    file: str  # path relative to the source folder, as used in keys
    sheet: str
    rows: Iterator[tuple[int, list[Any]]]  # (1-based row number as Excel shows it, cells)


def iter_sheets(
    path: Path, name: str, sheet_filter: set[str] | None, limits: ZipLimits | None = None,
) -> Iterator[SheetRows]:
    """Every sheet of the file. A workbook past ``limits`` raises ArchiveTooLarge before it is opened."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        yield SheetRows(name, path.stem, _csv_rows(path, name))
    elif suffix in EXCEL_SUFFIXES:
        check_workbook(path, name, limits or ZipLimits())
        yield from _excel_sheets(path, name, sheet_filter)
    else:
        raise SourceError(f"{name}: unsupported file type {suffix!r}; expected .xlsx, .xls, .ods or .csv")


def _excel_sheets(path: Path, name: str, sheet_filter: set[str] | None) -> Iterator[SheetRows]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several unrelated types for damaged files
        raise SourceError(
            f"{name}: cannot be opened as a workbook ({type(exc).__name__}: {exc}); re-save it from Excel"
        ) from None
    errors = error_cells(path)
    for sheet_name in workbook.sheet_names:
        if sheet_filter is not None and sheet_name not in sheet_filter:
            continue
        try:
            sheet = workbook.get_sheet_by_name(sheet_name)
            # calamine yields rows from the sheet's first row, but columns from its first used one.
            first_column = sheet.start[1] if sheet.start else 0
            merged = [r for r in (sheet.merged_cell_ranges or ()) if r[1][0] > r[0][0]]
            rows = sheet.iter_rows()
        except Exception as exc:
            raise SourceError(f"{name}, sheet {sheet_name!r}: cannot be read ({exc}); re-save it from Excel") from None
        cells = _with_cells(rows, first_column, merged, errors.get(sheet_name, {}))
        yield SheetRows(name, sheet_name, ((i + 1, row) for i, row in enumerate(cells)))


Span = tuple[tuple[int, int], tuple[int, int]]


def _with_cells(
    rows: Iterator[list[Any]], first_column: int, merged: list[Span], errors: dict[tuple[int, int], Any],
) -> Iterator[list[Any]]:
    """Rows with error cells put back and each merged block spanning rows (a Project or Phase cell
    merged down) filled with its top-left value, as a person reads every row of it."""
    if not merged and not errors:
        yield from rows
        return
    pending: dict[int, dict[int, Any]] = {}  # 0-based row -> {0-based column: value to put}
    for (r, c), error in errors.items():
        pending.setdefault(r, {})[c] = error
    starts: dict[int, list[Span]] = {}
    for span in merged:
        starts.setdefault(span[0][0], []).append(span)
    for index, row in enumerate(rows):
        row = list(row)
        for (top, left), (bottom, right) in starts.pop(index, ()):
            value = row[left - first_column] if 0 <= left - first_column < len(row) else None
            for r in range(top, bottom + 1):
                for c in range(left + (r == top), right + 1):
                    pending.setdefault(r, {}).setdefault(c, value)
        for column, value in pending.pop(index, {}).items():
            _put(row, column - first_column, value)
        yield row


def _put(row: list[Any], column: int, value: Any) -> None:
    if column < 0:
        return
    row.extend([""] * (column + 1 - len(row)))
    if row[column] in ("", None):
        row[column] = value


def _csv_rows(path: Path, name: str) -> Iterator[tuple[int, list[Any]]]:
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(8192)
            handle.seek(0)
            dialect = _dialect(sample)
            yield from enumerate(csv.reader(handle, dialect), start=1)
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{name}: not UTF-8 text near byte {exc.start}; save the sheet as 'CSV UTF-8' from Excel"
        ) from None
    except csv.Error as exc:
        raise SourceError(f"{name}: malformed CSV ({exc}); check quoting in the file") from None


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    if "\x00" in sample:
        raise csv.Error("binary content (NUL bytes)")
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel

