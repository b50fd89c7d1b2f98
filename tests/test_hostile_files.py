"""Hostile and left-over files stay bounded: DTDs hidden deep in an XML prolog or behind UTF-16 are
refused, zip bombs are quarantined before they inflate, and a killed run's debris is cleaned up."""

from __future__ import annotations

import codecs
import json
import os
import stat
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter
from lxml import etree
from python_calamine import CalamineWorkbook

from connectors.base import ExtractContext, SourceError, SourceSpec
from connectors.msproject import MsProjectConnector, mspdi
from connectors.spreadsheet import SpreadsheetConnector
from connectors.zipguard import MB, ArchiveTooLarge, ZipLimits, check_workbook
from pipelines.config import ConfigError, load_portfolio
from warehouse.landing import LandingWriter
from warehouse.publish import publish

NS = "http://schemas.microsoft.com/project"
PLAN_BODY = f'<Project xmlns="{NS}"><Name>Plan</Name><Tasks><Task><UID>1</UID><Name>Only task</Name></Task></Tasks></Project>'
DOCTYPE = '<!DOCTYPE Project [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
LONG_PROLOG = "<!-- padding -->\n" * 7000 + " " * 5000  # about 124 KB before whatever comes next


def write_xml(path: Path, text: str, encoding: str = "utf-8", bom: bytes = b"") -> Path:
    path.write_bytes(bom + text.encode(encoding))
    return path


def read_plan(path: Path) -> list[str]:
    return [record.values["Name"] for kind, record in mspdi.iter_records(path, path.name, {}) if kind == "task"]


def assert_refused_as_dtd(path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        read_plan(path)
    assert str(caught.value).startswith(f"{path.name}: refused, the XML declares a DTD")


def test_doctype_after_100_kb_of_comments_is_refused(tmp_path: Path) -> None:
    assert len(LONG_PROLOG) > 100_000
    assert_refused_as_dtd(write_xml(tmp_path / "deep.xml", f'<?xml version="1.0"?>\n{LONG_PROLOG}{DOCTYPE}\n{PLAN_BODY}'))


def test_doctype_straddling_a_read_chunk_is_refused(tmp_path: Path) -> None:
    # "<" is the last byte of the first chunk, "!DOCTYPE" starts the second.
    padding = " " * (mspdi.SCAN_CHUNK - 1)
    assert_refused_as_dtd(write_xml(tmp_path / "split.xml", f"{padding}{DOCTYPE}{PLAN_BODY}"))


def test_comment_end_straddling_a_read_chunk_is_found(tmp_path: Path) -> None:
    # "-->" split after "--": the scan must still leave the comment and reach the DTD.
    body = "<!--" + "c" * (mspdi.SCAN_CHUNK - 6) + "-->"
    assert body.index("-->") == mspdi.SCAN_CHUNK - 2
    assert_refused_as_dtd(write_xml(tmp_path / "comment.xml", f"{body}{DOCTYPE}{PLAN_BODY}"))


@pytest.mark.parametrize(("encoding", "bom"), [
    ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-16-le", b""), ("utf-16-be", b""), ("utf-8", codecs.BOM_UTF8),
])
def test_doctype_in_utf16_and_bom_files_is_refused(tmp_path: Path, encoding: str, bom: bytes) -> None:
    declared = "UTF-16" if encoding.startswith("utf-16") else "UTF-8"
    text = f'<?xml version="1.0" encoding="{declared}"?>\n{LONG_PROLOG}{DOCTYPE}{PLAN_BODY}'
    assert b"<\x00!\x00D\x00" in text.encode("utf-16-le")  # what a byte search for "<!DOCTYPE" misses
    assert_refused_as_dtd(write_xml(tmp_path / "wide.xml", text, encoding, bom))


@pytest.mark.parametrize(("encoding", "bom"), [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", b"")])
def test_utf16_plan_with_a_long_prolog_still_loads(tmp_path: Path, encoding: str, bom: bytes) -> None:
    text = f'<?xml version="1.0" encoding="UTF-16"?>\n{LONG_PROLOG}<!-- <!DOCTYPE only mentioned> -->{PLAN_BODY}'
    assert read_plan(write_xml(tmp_path / "wide.xml", text, encoding, bom)) == ["Only task"]


def test_doctype_text_inside_a_comment_is_not_a_declaration(tmp_path: Path) -> None:
    path = write_xml(tmp_path / "mention.xml", f'<?xml version="1.0"?><!-- <!DOCTYPE x> <!ENTITY y "z"> -->{PLAN_BODY}')
    assert read_plan(path) == ["Only task"]


def test_text_before_the_root_and_unknown_encodings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"^junk\.xml: not well-formed XML"):
        read_plan(write_xml(tmp_path / "junk.xml", f"hello {DOCTYPE}{PLAN_BODY}"))
    with pytest.raises(SourceError, match=r"^odd\.xml: refused, unknown XML encoding 'x-nonsense'"):
        read_plan(write_xml(tmp_path / "odd.xml", f'<?xml version="1.0" encoding="x-nonsense"?>{PLAN_BODY}'))


def test_whitespace_only_file_is_empty(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"^blank\.xml: the file is empty"):
        read_plan(write_xml(tmp_path / "blank.xml", " \n\t\n"))


def test_the_parser_itself_stays_locked_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}
    real = etree.iterparse

    def spy(*args: object, **kwargs: object) -> object:
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(mspdi.etree, "iterparse", spy)
    assert read_plan(write_xml(tmp_path / "plan.xml", PLAN_BODY)) == ["Only task"]
    assert seen["resolve_entities"] is False and seen["no_network"] is True and seen["load_dtd"] is False


# --- a killed run's debris ------------------------------------------------------------------------


def test_publish_removes_a_killed_publish_temp_files_and_fsyncs_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    published = tmp_path / "var" / "sightline.duckdb"
    published.parent.mkdir()
    debris = [published.parent / ".sightline.duckdb.0badc0de.tmp", published.parent / ".sightline.duckdb.0badc0de.tmp.wal"]
    unrelated = [published.parent / ".other.duckdb.1234.tmp", published.parent / "notes.tmp"]
    for path in debris + unrelated:
        path.write_bytes(b"half a database")
    synced_folders: list[bool] = []  # for each directory fsync: did the published file exist yet?
    real_fsync = os.fsync

    def spy(descriptor: int) -> None:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode) and info.st_ino == published.parent.stat().st_ino:
            synced_folders.append(published.exists())
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", spy)
    build = duckdb.connect(":memory:")
    build.execute("CREATE SCHEMA core; CREATE TABLE core.items AS SELECT range AS id FROM range(3)")
    counts = publish(build, published)

    assert counts == {"core.items": 3}
    assert not any(path.exists() for path in debris)
    assert all(path.exists() for path in unrelated)  # only this warehouse's temp names are debris
    assert sorted(p.name for p in published.parent.iterdir()) == sorted(["sightline.duckdb", *(p.name for p in unrelated)])
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT sum(id) FROM core.items").fetchone()[0] == 0 + 1 + 2
    assert synced_folders == [True]  # the folder is synced once, after the rename


def test_landing_removes_a_killed_extract_partial_folder(tmp_path: Path) -> None:
    schema = pa.schema([("a", pa.int64())])
    kept = tmp_path / "src" / "20260101T000000000000Z"
    kept.mkdir(parents=True)
    partial = tmp_path / "src" / ".20260102T000000000000Z.partial"
    partial.mkdir()
    (partial / "tasks.parquet").write_bytes(b"PAR1 truncated")
    other_source = tmp_path / "other" / ".20260102T000000000000Z.partial"
    other_source.mkdir(parents=True)  # another source's extract may be running: not ours to touch

    writer = LandingWriter(tmp_path, "src", "20260103T000000000000Z")
    writer.write("tasks", pa.table({"a": [4, 5]}, schema=schema))
    folder = writer.commit()

    assert not partial.exists() and other_source.exists()
    assert sorted(p.name for p in (tmp_path / "src").iterdir()) == [kept.name, folder.name]
    assert pq.read_table(folder / "tasks.parquet").column("a").to_pylist() == [4, 5]


# --- zip bombs --------------------------------------------------------------------------------------

SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
              b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Task</t></is></c>'
              b"</row>")
SHEET_TAIL = b"</sheetData></worksheet>"
WORKBOOK_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        '<sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
}


@dataclass
class Member:
    name: str
    pieces: list[tuple[bytes, int]]  # (deflated bytes, how many times they repeat)
    crc: int
    size: int  # the uncompressed size the headers declare


def deflated(data: bytes, final: bool = False) -> bytes:
    """``data`` as raw deflate blocks ending byte-aligned with no reference to earlier data (a full
    flush), so copies can be laid end to end; ``final`` closes the stream."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def repeated_member(name: str, head: bytes, block: bytes, times: int, tail: bytes, *,
                    crc: bool = True, declared: int | None = None) -> Member:
    """``head + block * times + tail`` deflated without ever building or compressing the whole: the
    block is compressed once and its deflate output repeated. ``crc=False`` skips the checksum (a pass
    over every inflated byte; a reader can only check it after inflating everything anyway)."""
    size = len(head) + len(block) * times + len(tail)
    checksum = 0
    if crc:
        checksum = zlib.crc32(head)
        for _ in range(times):
            checksum = zlib.crc32(block, checksum)
        checksum = zlib.crc32(tail, checksum)
    pieces = [(deflated(head), 1), (deflated(block), times), (deflated(tail, final=True), 1)]
    return Member(name, pieces, checksum, size if declared is None else declared)


def small_member(name: str, data: bytes) -> Member:
    return Member(name, [(deflated(data, final=True), 1)], zlib.crc32(data), len(data))


def write_zip(path: Path, members: list[Member]) -> Path:
    """A plain (non-zip64) zip written by hand, streaming: local header, deflated data, central directory."""
    central = []
    with path.open("wb") as out:
        for member in members:
            offset = out.tell()
            compressed = sum(len(data) * times for data, times in member.pieces)
            name = member.name.encode()
            fields = (20, 0, zlib.DEFLATED, 0, 0x21, member.crc, compressed, member.size, len(name), 0)
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + name)
            for data, times in member.pieces:
                for _ in range(times):
                    out.write(data)
            central.append(struct.pack("<IH", 0x02014B50, 20) + struct.pack("<HHHHHIIIHH", *fields)
                           + struct.pack("<HHHII", 0, 0, 0, 0, offset) + name)
        start = out.tell()
        out.write(b"".join(central))
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return path


def workbook(path: Path, sheet: Member) -> Path:
    return write_zip(path, [small_member(n, t.encode()) for n, t in WORKBOOK_PARTS.items()] + [sheet])


def test_the_bomb_writer_makes_real_workbooks(tmp_path: Path) -> None:
    """The generator below is trusted only because a small instance is a genuine, readable .xlsx."""
    sheet = repeated_member("xl/worksheets/sheet1.xml", SHEET_HEAD, b" " * 1024, 3000, SHEET_TAIL)
    path = workbook(tmp_path / "small.xlsx", sheet)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None  # every CRC and size checks out
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size == len(SHEET_HEAD) + 3000 * 1024 + len(SHEET_TAIL)
        assert len(archive.read("xl/worksheets/sheet1.xml")) == len(SHEET_HEAD) + 3000 * 1024 + len(SHEET_TAIL)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Plan").to_python()
    assert rows[0][0] == "Task"


EXTRACT_SCRIPT = """
import json, sys
from pathlib import Path
from connectors.base import ExtractContext, SourceSpec
from connectors.spreadsheet import SpreadsheetConnector
spec = SourceSpec(id="trackers", kind="spreadsheet", options={"path": "sheets/*.xlsx"}, base_dir=Path(sys.argv[1]))
tasks, quarantine = [], []
for batch in SpreadsheetConnector(spec).extract(ExtractContext()):
    rows = batch.data.to_pylist()
    tasks += [r["name"] for r in rows] if batch.table == "tasks" else []
    quarantine += [(r["object_key"], r["reason"]) for r in rows] if batch.table == "quarantine" else []
print(json.dumps({"tasks": tasks, "quarantine": quarantine}))
"""
MEASURE_SCRIPT = """
import resource, subprocess, sys
done = subprocess.run([sys.executable, "-c", sys.argv[1], sys.argv[2]], capture_output=True, text=True)
sys.stderr.write(done.stderr)
print(done.stdout.strip())
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # KiB on Linux: the extract's peak RSS
"""


def test_a_4_gb_xlsx_bomb_is_quarantined_in_bounded_memory_and_the_other_file_loads(tmp_path: Path) -> None:
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    block, times = b" " * MB, 4000  # the sheet inflates to 4,000 MiB (4.2 GB)
    bomb = workbook(sheets / "bomb.xlsx",
                    repeated_member("xl/worksheets/sheet1.xml", SHEET_HEAD, block, times, SHEET_TAIL, crc=False))
    assert bomb.stat().st_size < 8 * MB
    with zipfile.ZipFile(bomb) as archive:
        assert sum(m.file_size for m in archive.infolist()) > 4_000 * MB
    book = xlsxwriter.Workbook(str(sheets / "good.xlsx"))
    plan = book.add_worksheet("Plan")
    for row, values in enumerate([("Task", "Status"), ("Design", "Done"), ("Build", "In progress")]):
        plan.write_row(row, 0, values)
    book.close()

    # The measuring process's only child is the extract, so RUSAGE_CHILDREN is the extract's peak.
    result = subprocess.run([sys.executable, "-c", MEASURE_SCRIPT, EXTRACT_SCRIPT, str(tmp_path)],
                            capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[1])
    output, peak_kib = result.stdout.strip().splitlines()
    report = json.loads(output)
    print(f"extract peak RSS with a 4 GB bomb: {int(peak_kib) // 1024} MiB")
    assert int(peak_kib) * 1024 < 1024 * MB, f"peak RSS {int(peak_kib) // 1024} MiB"
    assert report["tasks"] == ["Design", "Build"]
    [(key, reason)] = report["quarantine"]
    assert key == "bomb.xlsx"
    assert reason.startswith("bomb.xlsx: quarantined, the workbook inflates to 4,000.")  # MB, from the header
    assert "max_uncompressed_mb is 500" in reason and "\n" not in reason


@pytest.mark.parametrize("suffix", [".ods", ".xlsm"])
def test_ods_and_xlsm_over_the_ratio_are_quarantined_unless_the_option_allows(tmp_path: Path, suffix: str) -> None:
    # 20 MiB from about 20 KB: far under the size bound, a thousand times over the default ratio.
    member = repeated_member("content.xml", b"<office:document-content>", b"\0" * MB, 20, b"</office:document-content>")
    path = write_zip(tmp_path / f"plan{suffix}", [small_member("mimetype", b"application/zip"), member])
    with pytest.raises(ArchiveTooLarge) as caught:
        check_workbook(path, path.name, ZipLimits())
    message = str(caught.value)
    assert message.startswith(f"plan{suffix}: quarantined, member 'content.xml' inflates ")
    assert "max_compression_ratio is 200" in message and "20.0 MB" in message
    check_workbook(path, path.name, ZipLimits(max_compression_ratio=5000))  # raised: accepted


def test_a_forged_size_in_the_header_is_caught_while_inflating(tmp_path: Path) -> None:
    # Declares 1 KB (too small for any ratio bound to notice), really inflates to 8 MiB.
    liar = repeated_member("xl/worksheets/sheet1.xml", SHEET_HEAD, b" " * MB, 8, SHEET_TAIL, declared=1024)
    path = workbook(tmp_path / "liar.xlsx", liar)
    with pytest.raises(ArchiveTooLarge, match=r"^liar\.xlsx: quarantined, zip member 'xl/worksheets/sheet1\.xml' "
                                              r"inflates past the 0\.0 MB its header declares"):
        check_workbook(path, path.name, ZipLimits())


def test_xls_is_bounded_by_file_size_and_damaged_zips_are_left_to_the_reader(tmp_path: Path) -> None:
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * (2 * MB))
    with pytest.raises(ArchiveTooLarge, match=r"^old\.xls: quarantined, the workbook is 2\.0 MB \(max_uncompressed_mb is 1\)"):
        check_workbook(old, old.name, ZipLimits(max_uncompressed_mb=1))
    check_workbook(old, old.name, ZipLimits(max_uncompressed_mb=3))
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04 corrupt")
    check_workbook(damaged, damaged.name, ZipLimits())  # not a bomb: the reader reports it as before


def test_limit_options_are_validated_and_reach_the_connector(tmp_path: Path) -> None:
    config = tmp_path / "portfolio.yaml"
    text = ("programs: []\nsources:\n  - {id: s, kind: spreadsheet, path: sheets/*.xlsx, "
            "max_uncompressed_mb: %s, max_compression_ratio: %s}\n")
    config.write_text(text % (2000, 500.5))
    options = SpreadsheetConnector(load_portfolio(config).sources[0]).options
    assert (options.max_uncompressed_mb, options.max_compression_ratio) == (2000, 500.5)
    config.write_text(text % (0, '"high"'))
    with pytest.raises(ConfigError) as caught:
        load_portfolio(config)
    problems = caught.value.problems
    assert len(problems) == 2
    assert problems[0].startswith("sources[0].max_uncompressed_mb: ")
    assert problems[1].startswith("sources[0].max_compression_ratio: ")


def test_msproject_excel_exports_get_the_same_guard(tmp_path: Path) -> None:
    sheet = repeated_member("xl/worksheets/sheet1.xml", SHEET_HEAD, b" " * MB, 20, SHEET_TAIL)
    workbook(tmp_path / "export.xlsx", sheet)
    write_xml(tmp_path / "plan.xml", PLAN_BODY)
    spec = SourceSpec(id="plans", kind="msproject", options={"path": "*"}, base_dir=tmp_path)
    batches = list(MsProjectConnector(spec).extract(ExtractContext()))
    quarantined = [row for b in batches if b.table == "quarantine" for row in b.data.to_pylist()]
    assert [(row["object_key"], row["reason"].split(",")[0]) for row in quarantined] == [
        ("export.xlsx", "export.xlsx: quarantined")]
    assert "max_compression_ratio is 200" in quarantined[0]["reason"]
    tasks = [row["name"] for b in batches if b.table == "tasks" for row in b.data.to_pylist()]
    assert tasks == ["Only task"]
