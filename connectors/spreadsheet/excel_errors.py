"""Excel error cells (#N/A, #REF!, #VALUE!, #DIV/0! ...): found so they can be reported, not read as empty.

The workbook reader (calamine) hands an error cell over as an empty string, which would make a
broken formula look like a cell nobody filled in. So the sheet's XML is scanned once for cells of
type ``e`` (streamed in chunks; the zip guard has bounded the sizes already), and the reader puts an
:class:`ExcelError` in their place. CSV files saved from Excel carry the same words as text.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ERROR_WORDS = frozenset(
    {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA"}
)
_CHUNK = 1024 * 1024
_CELL = re.compile(rb"<c\s([^>]*?)(?<!/)>(.*?)</c>", re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_SHEET = re.compile(r'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_REL = re.compile(r'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"')
_REL_REVERSED = re.compile(r'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')


@dataclass(frozen=True)
class ExcelError:
    """An error value Excel shows in a cell; str() is the word Excel shows."""

    word: str

    def __str__(self) -> str:
        return self.word


def excel_error(value: Any) -> ExcelError | None:
    """The error a cell holds: an :class:`ExcelError` from a workbook, or '#N/A' typed in a CSV."""
    if isinstance(value, ExcelError):
        return value
    if isinstance(value, str) and "#" in value[:2] and value.strip().upper() in ERROR_WORDS:
        return ExcelError(value.strip().upper())
    return None


def error_cells(path: Path) -> dict[str, dict[tuple[int, int], ExcelError]]:
    """sheet name -> {(0-based row, 0-based column): error} for an .xlsx/.xlsm file; {} for others."""
    if path.suffix.lower() not in {".xlsx", ".xlsm"}:
        return {}
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            found: dict[str, dict[tuple[int, int], ExcelError]] = {}
            for sheet, member in _sheet_members(archive, names).items():
                errors = _scan(archive, member)
                if errors:
                    found[sheet] = errors
            return found
    except (zipfile.BadZipFile, KeyError, OSError):
        return {}  # the reader reports a damaged file in its own words


def _sheet_members(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
    rels_text = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    targets = dict(_REL.findall(rels_text)) | {i: t for t, i in _REL_REVERSED.findall(rels_text)}
    members = {}
    for name, rel_id in _SHEET.findall(workbook):
        target = targets.get(rel_id, "")
        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if member in names:
            members[_unescape(name)] = member
    return members


def _scan(archive: zipfile.ZipFile, member: str) -> dict[tuple[int, int], ExcelError]:
    found: dict[tuple[int, int], ExcelError] = {}
    pending = b""
    with archive.open(member) as handle:
        while chunk := handle.read(_CHUNK):
            pending += chunk
            cut = pending.rfind(b"</c>")
            if cut < 0:
                continue
            _collect(pending[: cut + 4], found)
            pending = pending[cut + 4:]
    return found


def _collect(segment: bytes, found: dict[tuple[int, int], ExcelError]) -> None:
    if b't="e"' not in segment:  # the common case: no error anywhere in this chunk
        return
    for attributes, body in _CELL.findall(segment):
        if b't="e"' not in attributes:
            continue
        ref, value = _REF.search(attributes), _VALUE.search(body)
        if ref and value:
            column = 0
            for letter in ref.group(1):
                column = column * 26 + letter - 64
            found[(int(ref.group(2)) - 1, column - 1)] = ExcelError(value.group(1).decode("utf-8", "replace"))


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))
