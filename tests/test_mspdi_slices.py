"""A large plain MSPDI file is parsed in slices on a background thread (connectors.msproject.slices);
what comes out must be what iterparse gives: the same raw tables, quarantine and errors, whether a
file is cut into one slice or hundreds, and whatever goes wrong in the middle of one."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from lxml import etree

from connectors.base import ExtractContext, SourceSpec
from connectors.msproject import MsProjectConnector, mspdi, slices
from pipelines.extract import load_source
from warehouse import db

ROOT = Path(__file__).resolve().parent.parent
REAL = Path(__file__).resolve().parent / "data" / "msproject-real"
NS = "http://schemas.microsoft.com/project"
EVERYWHERE, NOWHERE = 0, 1 << 62  # MIN_BYTES: slices for every file, or for none (iterparse alone)


def spec(path: Path) -> SourceSpec:
    return SourceSpec(id="plans", kind="msproject", base_dir=path.parent,
                      options={"path": path.name, "attributes": {"systems": "System", "objectives": "Objective",
                                                                 "reported_status": "Status"}})


def read_all(path: Path, monkeypatch: pytest.MonkeyPatch, min_bytes: int, slice_bytes: int = 1 << 20,
             ) -> dict[str, list[dict[str, Any]]]:
    """Every table of one file, as rows, with slices used for files of ``min_bytes`` or more."""
    monkeypatch.setattr(slices, "MIN_BYTES", min_bytes)
    monkeypatch.setattr(slices, "SLICE_BYTES", slice_bytes)
    tables: dict[str, list[pa.Table]] = {}
    for batch in MsProjectConnector(spec(path)).extract(ExtractContext()):
        tables.setdefault(batch.table, []).append(batch.data)
    return {name: pa.concat_tables(parts).to_pylist() for name, parts in tables.items()}


def resumed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ``skip`` of every iterparse run from now on (0: a whole file; more: resumed after slices)."""
    skips: list[int] = []
    real = mspdi._iterparse

    def spy(path: Path, name: str, properties: dict[str, str], skip: int) -> Any:
        skips.append(skip)
        return real(path, name, properties, skip)

    monkeypatch.setattr(mspdi, "_iterparse", spy)
    return skips


def generated(tmp_path: Path, tasks: int) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate_mspdi import write_plan

    return write_plan(tmp_path / "plan.xml", tasks)


@pytest.mark.parametrize("path", sorted(REAL.glob("*-mspdi.xml")), ids=lambda p: p.name)
def test_every_real_file_reads_the_same_in_small_slices(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = read_all(path, monkeypatch, NOWHERE)
    assert read_all(path, monkeypatch, EVERYWHERE, slice_bytes=2_000) == expected


def test_a_plan_in_hundreds_of_slices_gives_the_raw_tables_of_one_slice_and_of_iterparse(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = generated(tmp_path, 3_000)
    skips = resumed(monkeypatch)

    def raw_tables(min_bytes: int, slice_bytes: int) -> dict[str, list[tuple[Any, ...]]]:
        monkeypatch.setattr(slices, "MIN_BYTES", min_bytes)
        monkeypatch.setattr(slices, "SLICE_BYTES", slice_bytes)
        folder = tmp_path / f"run-{min_bytes}-{slice_bytes}"
        folder.mkdir()
        con = db.open_connection(folder / "build.duckdb")
        db.prepare(con, {"msproject": dict(MsProjectConnector.raw_schemas)})
        assert load_source(con, spec(path), folder / "landing", retention_days=1).ok
        return {table: rows(con, f"raw.msproject__{table}") for table in MsProjectConnector.raw_schemas}

    many = raw_tables(EVERYWHERE, 4_000)  # ~5 tasks a slice
    one = raw_tables(EVERYWHERE, 1 << 30)
    assert skips == []  # both read by slices alone
    serial = raw_tables(NOWHERE, 1 << 30)
    assert skips == [0]
    assert many == one == serial
    assert len(many["tasks"]) == 3_001 and len(many["assignments"]) == 2_850  # every 20th task has none


def rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    """A raw table's rows in a fixed order, without the load id (each load has its own)."""
    return con.execute(f"SELECT * EXCLUDE (load_id) FROM {table} ORDER BY ALL").fetchall()


def plan(tmp_path: Path, tasks: list[str], before_tasks: str = "", after_tasks: str = "") -> Path:
    path = tmp_path / "odd.xml"
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?><Project xmlns="{NS}"><Name>Odd</Name>'
                    f"<MinutesPerDay>420</MinutesPerDay>{before_tasks}<Tasks>{''.join(tasks)}</Tasks>{after_tasks}"
                    "<Assignments><Assignment><UID>1</UID><TaskUID>1</TaskUID><ResourceUID>3</ResourceUID>"
                    "<Work>PT8H0M0S</Work></Assignment></Assignments></Project>", encoding="utf-8")
    return path


def task(uid: int, *fields: str) -> str:
    return f"<Task><UID>{uid}</UID><ID>{uid}</ID><OutlineLevel>1</OutlineLevel><Name>T{uid}</Name>{''.join(fields)}</Task>"


def test_a_slice_that_does_not_parse_hands_over_to_iterparse_after_the_records_given(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Task 6 holds a Task of its own: a cut after the inner </Task> leaves a slice that is not
    # well-formed, so the slices stop there and iterparse reads on from the first record not given.
    # The bad value of task 2 is quarantined once, on the slices' side.
    nested = "<Task><UID>60</UID></Task>"
    path = plan(tmp_path, [task(1), task(2, "<Duration>PT8X</Duration>"), *(task(uid) for uid in range(3, 6)),
                           task(6, nested), *(task(uid) for uid in range(7, 40))])
    data = path.read_bytes()
    inner_end = data.index(nested.encode()) + len(nested)
    # Slices are cut at the last </Task> of each block read: two blocks end right at the inner one.
    size = -(-(inner_end - (data.index(b"<Tasks>") + len(b"<Tasks>"))) // 2)
    expected = read_all(path, monkeypatch, NOWHERE)
    skips = resumed(monkeypatch)
    assert read_all(path, monkeypatch, EVERYWHERE, slice_bytes=size) == expected
    assert len(skips) == 1 and 0 < skips[0] < 6  # the first slice's tasks came from the slices
    assert [row["object_key"] for row in expected["quarantine"]] == ["odd.xml#2"]


def test_malformed_xml_in_a_later_slice_fails_the_file_as_iterparse_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = plan(tmp_path, [*(task(uid) for uid in range(1, 30)), "<Task><UID>30</UID><Name>cut</Task>",
                           *(task(uid) for uid in range(31, 40))])
    expected = read_all(path, monkeypatch, NOWHERE)
    skips = resumed(monkeypatch)
    assert read_all(path, monkeypatch, EVERYWHERE, slice_bytes=300) == expected
    assert len(skips) == 1 and skips[0] > 0  # slices gave the first tasks, iterparse found the error
    [failed] = expected["quarantine"]  # the connector quarantines the file with iterparse's own words
    assert failed["object_key"] == "odd.xml" and failed["reason"].startswith("odd.xml: not well-formed XML (")
    assert "projects" not in expected


def test_an_error_of_the_reader_during_slices_surfaces_unchanged_and_stops_the_thread(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A task without a UID is a KeyError of the row path (the source fails, nothing is guessed);
    # with slices still being parsed ahead, the same error comes out and the parsing thread ends.
    path = plan(tmp_path, [*(task(uid) for uid in range(1, 25)), "<Task><Name>no uid</Name></Task>",
                           *(task(uid) for uid in range(26, 60))])
    monkeypatch.setattr(mspdi, "BUFFER_ROWS", 4)  # typed 4 tasks at a time: the bad one is in batch 7

    def failure(min_bytes: int) -> BaseException:
        with pytest.raises(Exception) as caught:
            read_all(path, monkeypatch, min_bytes, slice_bytes=300)
        return caught.value

    serial, sliced = failure(NOWHERE), failure(EVERYWHERE)
    assert type(sliced) is type(serial) is KeyError and sliced.args == serial.args == ("UID",)
    assert not [thread for thread in threading.enumerate() if thread.name == "mspdi-slices"]


def test_a_reader_that_stops_early_stops_the_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slices, "SLICE_BYTES", 200)
    path = plan(tmp_path, [task(uid) for uid in range(1, 200)])
    runs = slices.plain_runs(path, mspdi._record_kind, lambda root, child: None)
    assert next(runs)[0] == "task"
    runs.close()
    assert not [thread for thread in threading.enumerate() if thread.name == "mspdi-slices"]


def test_properties_are_those_iterparse_has_seen_at_the_first_record(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # MSPDI writes the project's properties first; one written after the tasks (further on than
    # iterparse's read-ahead) is not read.
    path = plan(tmp_path, [task(uid) for uid in range(1, 3_000)], before_tasks="<Title>early</Title>",
                after_tasks="<Manager>late</Manager>")
    expected = read_all(path, monkeypatch, NOWHERE)
    assert read_all(path, monkeypatch, EVERYWHERE, slice_bytes=10_000) == expected
    assert [(row["title"], row["manager"]) for row in expected["projects"]] == [("early", None)]


@pytest.mark.parametrize("odd", [
    "<!-- a comment -->", "<?pi here?>", "<![CDATA[x]]>",
])
def test_a_file_that_is_not_plain_is_read_by_iterparse_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              odd: str) -> None:
    # In the first slice: found before any record is given, so iterparse reads the whole file.
    path = plan(tmp_path, [task(1), task(2, f"<Notes>{odd}</Notes>")])
    with pytest.raises(slices.NotPlain):
        next(slices.plain_runs(path, mspdi._record_kind, lambda root, child: None))
    expected = read_all(path, monkeypatch, NOWHERE)
    skips = resumed(monkeypatch)
    assert read_all(path, monkeypatch, EVERYWHERE) == expected and skips == [0]


@pytest.mark.parametrize("odd", ["<!-- a comment -->", "<?pi here?>", "<![CDATA[x]]>"])
def test_markup_that_is_not_plain_in_a_later_slice_hands_over_to_iterparse_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: str) -> None:
    # Each slice is checked as it is parsed: the records of the slices before it were given,
    # iterparse reads on from the first one not given, and the tables are iterparse's own.
    path = plan(tmp_path, [*(task(uid) for uid in range(1, 30)), task(30, f"<Notes>{odd}</Notes>"),
                           *(task(uid) for uid in range(31, 40))])
    expected = read_all(path, monkeypatch, NOWHERE)
    skips = resumed(monkeypatch)
    assert read_all(path, monkeypatch, EVERYWHERE, slice_bytes=300) == expected
    assert len(skips) == 1 and 0 < skips[0] < 30
    assert len(expected["tasks"]) == 39


@pytest.mark.parametrize("odd", ["<!-- a comment -->", "<?pi here?>"])
def test_markup_that_is_not_plain_outside_the_lists_is_found_in_the_skeleton(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: str) -> None:
    path = plan(tmp_path, [task(uid) for uid in range(1, 20)], after_tasks=f"<Resources>{odd}</Resources>")
    lists = slices.survey(path)  # the survey looks only for the lists' tags
    with pytest.raises(slices.NotPlain):
        slices.skeleton(path, lists)
    expected = read_all(path, monkeypatch, NOWHERE)
    skips = resumed(monkeypatch)
    assert read_all(path, monkeypatch, EVERYWHERE, slice_bytes=300) == expected and skips == [0]


def test_utf16_and_nested_lists_are_not_plain(tmp_path: Path) -> None:
    utf16 = tmp_path / "utf16.xml"
    utf16.write_bytes(f'<?xml version="1.0" encoding="UTF-16"?><Project xmlns="{NS}"><Tasks>{task(1)}</Tasks>'
                      "</Project>".encode("utf-16"))
    nested = tmp_path / "nested.xml"
    nested.write_text(f'<Project xmlns="{NS}"><Other><Tasks>{task(1)}</Tasks></Other></Project>', encoding="utf-8")
    with pytest.raises(slices.NotPlain):
        slices.survey(utf16)
    lists = slices.survey(nested)  # found in the bytes, refused once the skeleton shows where it is
    with pytest.raises(slices.NotPlain):
        slices.skeleton(nested, lists)


@pytest.mark.parametrize("between", ["", "<Resources></Resources>"])
def test_two_task_lists_are_read_as_iterparse_reads_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         between: str) -> None:
    # The survey takes the first <Tasks> and the last </Tasks>: the slice holding the end of the
    # first list parses into more than one element, so the slices hand over to iterparse there.
    second = "".join(task(uid) for uid in range(100, 140))
    path = plan(tmp_path, [task(uid) for uid in range(1, 40)], after_tasks=f"{between}<Tasks>{second}</Tasks>")
    expected = read_all(path, monkeypatch, NOWHERE)
    assert len(expected["tasks"]) == 79
    skips = resumed(monkeypatch)
    assert read_all(path, monkeypatch, EVERYWHERE, slice_bytes=300) == expected
    assert len(skips) == 1 and 0 < skips[0] < 40


def test_the_lists_are_found_whatever_their_order_and_size(tmp_path: Path) -> None:
    path = plan(tmp_path, [task(uid) for uid in range(1, 2_000)])
    data = path.read_bytes()
    lists = slices.survey(path)
    assert [(item.name, data[item.start - len(item.name) - 2:item.start], data[item.end:item.end + len(item.name) + 3])
            for item in lists] == [("Tasks", b"<Tasks>", b"</Tasks>"), ("Assignments", b"<Assignments>", b"</Assignments>")]
    # scanned in blocks smaller than a list: a tag across two blocks is still found
    for block in (7, 64, 1000):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(slices, "SCAN_BYTES", block)
            assert slices.survey(path) == lists
    backwards = tmp_path / "backwards.xml"  # assignments first: only the tasks are sliced, the rest read whole
    backwards.write_text(f'<Project xmlns="{NS}"><Assignments></Assignments><Tasks>{task(1)}</Tasks></Project>',
                         encoding="utf-8")
    assert [item.name for item in slices.survey(backwards)] == ["Tasks"]


def test_a_list_holding_other_elements_reads_as_iterparse_reads_it(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # A slice whose children are all tasks is one run gathered by lxml's tag filter; one holding
    # anything else is read child by child, leaving the stranger out as iterparse does.
    tasks = [task(uid) for uid in range(1, 60)]
    tasks[30:30] = ["<Note>not a task</Note>", f'<Task xmlns="urn:other">{task(900)[6:]}']
    path = plan(tmp_path, tasks)
    expected = read_all(path, monkeypatch, NOWHERE)
    skips = resumed(monkeypatch)
    assert read_all(path, monkeypatch, EVERYWHERE, slice_bytes=300) == expected and skips == []
    assert sorted(row["uid"] for row in expected["tasks"]) == [*range(1, 60), 900]  # any namespace, as iterparse

    asked: list[Any] = []

    def kind(tag: Any) -> str | None:
        asked.append(tag)
        return mspdi._record_kind(tag)

    monkeypatch.setattr(slices, "SLICE_BYTES", 20_000)  # ~30 tasks a slice
    runs = list(slices.plain_runs(generated(tmp_path, 2_000), kind, lambda root, child: None))
    assert sum(len(run) for kind_, run in runs if kind_ == "task") == 2_001
    assert sum(mspdi.local(tag) == "Task" for tag in asked) < 2_001 // 10  # once a slice, not once a record


def test_the_slice_parser_stays_locked_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, object]] = []
    real = etree.XMLParser

    def spy(**kwargs: object) -> etree.XMLParser:
        seen.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(slices.etree, "XMLParser", spy)
    path = plan(tmp_path, [task(uid) for uid in range(1, 20)])
    assert len(read_all(path, monkeypatch, EVERYWHERE, slice_bytes=200)["tasks"]) == 19
    assert len(seen) > 2  # the skeleton and every slice
    assert all(kw["resolve_entities"] is False and kw["no_network"] is True and kw["load_dtd"] is False
               and kw["huge_tree"] is False for kw in seen)


def test_a_list_without_a_bare_record_end_tag_goes_to_iterparse_in_bounded_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tasks written with a prefix give no '</Task>' to cut at: rather than one slice of the whole
    # list, the slices give up after 64 slices' worth of bytes and iterparse reads the file.
    path = tmp_path / "prefixed.xml"
    tasks = "".join(f"<p:Task><p:UID>{uid}</p:UID><p:OutlineLevel>1</p:OutlineLevel><p:Name>T{uid}</p:Name></p:Task>"
                    for uid in range(1, 200))
    path.write_text(f'<Project xmlns="{NS}" xmlns:p="{NS}"><Name>P</Name><Tasks>{tasks}</Tasks></Project>',
                    encoding="utf-8")
    expected = read_all(path, monkeypatch, NOWHERE)
    skips = resumed(monkeypatch)
    assert read_all(path, monkeypatch, EVERYWHERE, slice_bytes=100) == expected and skips == [0]
    assert len(expected["tasks"]) == 199
