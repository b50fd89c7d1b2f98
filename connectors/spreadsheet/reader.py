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
        yield SheetRows(name, path.stem, ColumnRows(path, name))
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



#: Columns given as text to Arrow's CSV reader (more than a tracker ever has; the rest would be typed).
_MAX_TEXT_COLUMNS = 4096
_HEAD_BLOCK = 1024


class ColumnRows:
    """The rows of a CSV file read by Arrow in one go (C speed, no Python per cell): iterated row by
    row for the header search, then taken a chunk of columns at a time by :meth:`take_columns`.

    Arrow reads exactly what ``csv.reader`` with the sniffed dialect reads only for regular files
    (every row as wide as the first, no empty line, no space skipped after a delimiter, no doubled
    quote unless the sniffer saw one);
    any other file - or one Arrow refuses - is read by ``csv.reader``, whose errors name the problem.
    """

    def __init__(self, path: Path, name: str) -> None:
        self._path, self._name = path, name
        self._columns: list[Any] | None = None
        self._rows: Iterator[tuple[int, list[Any]]] | None = None  # the csv.reader fallback
        self._buffer: list[tuple[int, list[Any]]] = []
        self._next = 0  # the first row not yet handed out, buffered or not

    def __iter__(self) -> ColumnRows:
        return self

    def __next__(self) -> tuple[int, list[Any]]:
        self._load()
        if self._rows is not None:
            return next(self._rows)
        if not self._buffer:
            self._buffer = self._python_rows(_HEAD_BLOCK)
            if not self._buffer:
                raise StopIteration
            self._buffer.reverse()
        self._next += 1
        return self._buffer.pop()

    def take_columns(self, limit: int) -> tuple[int, list[Any]] | None:
        """(row number of the first row, one Arrow string array per column) for up to ``limit`` rows
        not handed out yet; None when there are none, or the file is read row by row."""
        self._load()
        if self._rows is not None or self._columns is None:
            return None
        size = len(self._columns[0]) if self._columns else 0
        if self._next >= size:
            return None
        start, self._buffer = self._next, []
        self._next = min(size, start + limit)
        return start + 1, [column.slice(start, self._next - start) for column in self._columns]

    def _python_rows(self, limit: int) -> list[tuple[int, list[Any]]]:
        assert self._columns is not None
        start = self._next + len(self._buffer)
        values = [column.slice(start, limit).to_pylist() for column in self._columns]
        return [(start + i + 1, list(row)) for i, row in enumerate(zip(*values, strict=True))]

    def _load(self) -> None:
        if self._columns is not None or self._rows is not None:
            return
        table = _arrow_csv(self._path)
        if table is None:
            self._rows = _csv_rows(self._path, self._name)
        else:
            self._columns = [column.combine_chunks() for column in table.columns]


def _arrow_csv(path: Path) -> Any:
    """The file as an Arrow table of text columns, or None when csv.reader must read it."""
    import pyarrow as pa
    from pyarrow import csv as arrow_csv

    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            dialect = _dialect(handle.read(8192))
        data = path.read_bytes()
    except (UnicodeDecodeError, csv.Error, OSError):
        return None
    quote = dialect.quotechar or ""
    # csv.reader gives an empty line as [], Arrow as a row of empty cells. Two line ends in a row, in
    # any mix of LF, CR and CRLF, show as LF LF, CR CR or LF CR.
    if data.removeprefix(b"\xef\xbb\xbf").startswith((b"\n", b"\r")) or any(
            pair in data for pair in (b"\n\n", b"\r\r", b"\n\r")):
        return None
    # The sniffer says 'not doubled' whenever its sample shows no doubled quote; the two readers then
    # differ only where one shows up ('"a""b"').
    if dialect.skipinitialspace or dialect.escapechar or (quote and not dialect.doublequote
                                                          and (quote * 2).encode() in data):
        return None
    irregular: list[object] = []

    def refuse(row: object) -> str:
        irregular.append(row)
        return "skip"

    try:
        table = arrow_csv.read_csv(
            pa.py_buffer(data),
            read_options=arrow_csv.ReadOptions(autogenerate_column_names=True),
            parse_options=arrow_csv.ParseOptions(
                delimiter=dialect.delimiter, quote_char=quote or False, double_quote=True,
                newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=refuse),
            convert_options=arrow_csv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(_MAX_TEXT_COLUMNS)},
                strings_can_be_null=False, quoted_strings_can_be_null=False, null_values=[]),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if irregular or not table.num_columns or any(not pa.types.is_string(t) for t in table.schema.types):
        return None
    return table
