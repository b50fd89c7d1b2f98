"""Zip-bomb guard for workbooks (.xlsx, .xlsm, .ods are zip files; .xls by its size only).

A few megabytes of deflated, repeated bytes can inflate to gigabytes; a workbook reader inflates
a sheet whole before the first row comes out. So a workbook is checked BEFORE any reader opens it:

1. the central directory's declared sizes: number of members, uncompressed bytes in total, and the
   compression ratio per member and in total (ratios only count for members of some size: a tiny
   styles.xml may legitimately compress 300:1);
2. the declared sizes can lie, so each member is then inflated once, streamed in bounded chunks
   and never kept, and refused the moment it produces more than its header declared. The work is
   bounded by the limits that step 1 already enforced.

A file that is not a readable zip at all is left to the reader, which reports it as it always has.
"""

from __future__ import annotations

import copy
import zipfile
from dataclasses import dataclass
from pathlib import Path

from connectors.base import SourceError

MB = 1024 * 1024
ZIP_SUFFIXES = {".xlsx", ".xlsm", ".ods"}
OLE_SUFFIXES = {".xls"}
DEFAULT_MAX_UNCOMPRESSED_MB = 500
DEFAULT_MAX_COMPRESSION_RATIO = 200
MAX_MEMBERS = 10_000  # a real workbook has tens; a zip of millions of empty entries is an attack too
RATIO_FLOOR_BYTES = 1 * MB  # below this many inflated bytes a member's ratio cannot hurt
READ_CHUNK = 1 * MB


class ArchiveTooLarge(SourceError):
    """The workbook would inflate past the configured bounds; the message names file, sizes and option."""


@dataclass(frozen=True)
class ZipLimits:
    max_uncompressed_mb: float = DEFAULT_MAX_UNCOMPRESSED_MB
    max_compression_ratio: float = DEFAULT_MAX_COMPRESSION_RATIO

    @property
    def max_bytes(self) -> int:
        return int(self.max_uncompressed_mb * MB)


def check_workbook(path: Path, name: str, limits: ZipLimits) -> None:
    """Raise :class:`ArchiveTooLarge` when the workbook at ``path`` would inflate past ``limits``."""
    suffix = path.suffix.lower()
    if suffix in OLE_SUFFIXES:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise ArchiveTooLarge(f"{name}: quarantined, the workbook is {_mb(size)} (max_uncompressed_mb is "
                                  f"{limits.max_uncompressed_mb:g}); raise the source's max_uncompressed_mb "
                                  "if the file is genuine")
        return
    if suffix not in ZIP_SUFFIXES:
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return  # not a zip at all: the workbook reader says so in its own words
    with archive:
        members = archive.infolist()
        _check_declared(members, name, limits)
        for member in members:
            _check_inflated(archive, member, name)


def _check_declared(members: list[zipfile.ZipInfo], name: str, limits: ZipLimits) -> None:
    if len(members) > MAX_MEMBERS:
        raise ArchiveTooLarge(f"{name}: quarantined, the workbook holds {len(members)} zip members "
                              f"(at most {MAX_MEMBERS}); re-save it from Excel")
    inflated = sum(m.file_size for m in members)
    deflated = sum(m.compress_size for m in members)
    if inflated > limits.max_bytes:
        raise ArchiveTooLarge(
            f"{name}: quarantined, the workbook inflates to {_mb(inflated)} from {_mb(deflated)} "
            f"(max_uncompressed_mb is {limits.max_uncompressed_mb:g}); raise the source's max_uncompressed_mb "
            "if the file is genuine")
    for label, big, small in [(f"member {m.filename!r}", m.file_size, m.compress_size) for m in members] + [
        ("the workbook", inflated, deflated)
    ]:
        if big >= RATIO_FLOOR_BYTES and big > limits.max_compression_ratio * max(small, 1):
            raise ArchiveTooLarge(
                f"{name}: quarantined, {label} inflates {big / max(small, 1):.0f} times ({_mb(small)} to "
                f"{_mb(big)}; max_compression_ratio is {limits.max_compression_ratio:g}); raise the source's "
                "max_compression_ratio if the file is genuine")


def _check_inflated(archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str) -> None:
    """Inflate one member in chunks, allowing one byte more than declared: getting it means the header lied."""
    probe = copy.copy(member)
    probe.file_size = member.file_size + 1
    del probe.CRC  # no checksum on the probe: the extra byte alone answers, and the reader checks CRCs
    produced = 0
    try:
        with archive.open(probe) as stream:
            while chunk := stream.read(READ_CHUNK):
                produced += len(chunk)
                if produced > member.file_size:
                    raise ArchiveTooLarge(
                        f"{name}: quarantined, zip member {member.filename!r} inflates past the "
                        f"{_mb(member.file_size)} its header declares (a forged header); re-save it from Excel")
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError):
        return  # damaged or encrypted, not larger: the workbook reader reports it


def _mb(size: int) -> str:
    return f"{size / MB:,.1f} MB"
