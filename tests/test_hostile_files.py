"""Hostile and left-over files stay bounded: DTDs hidden deep in an XML prolog or behind UTF-16 are
refused, zip bombs are quarantined before they inflate, and a killed run's debris is cleaned up."""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from lxml import etree

from connectors.base import SourceError
from connectors.msproject import mspdi
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
