"""The MSPDI column path (tasks and assignments typed a batch at a time with Arrow) reads exactly
what the row path reads: every real MSPDI file, a generated plan, and plans with odd values, are
read both ways and compared table by table, quarantine included."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from connectors.base import ExtractContext, SourceSpec
from connectors.msproject import MsProjectConnector, mspdi
from connectors.msproject import columns as cols

ROOT = Path(__file__).resolve().parent.parent
REAL = Path(__file__).resolve().parent / "data" / "msproject-real"
NS = "http://schemas.microsoft.com/project"


def read_all(path: Path, monkeypatch: pytest.MonkeyPatch | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every table of one file, as rows; with ``monkeypatch``, through the row path alone: every
    record collected as a dict (``_collect``) and mapped one by one, no column buffer involved."""
    if monkeypatch is not None:
        def row_by_row(self: mspdi._Mapper, kind: str, elements: list[Any], properties: Any, context: Any) -> None:
            for element in elements:
                self.add(kind, element if kind == "calendar" else mspdi._collect(element), properties, context)
        monkeypatch.setattr(mspdi._Mapper, "add_run", row_by_row)
    spec = SourceSpec(id="plans", kind="msproject", base_dir=path.parent,
                      options={"path": path.name, "attributes": {"systems": "System", "objectives": "Objective",
                                                                 "reported_status": "Status"}})
    context = ExtractContext()
    tables: dict[str, list[pa.Table]] = {}
    for batch in MsProjectConnector(spec).extract(context):
        tables.setdefault(batch.table, []).append(batch.data)
    if monkeypatch is not None:
        monkeypatch.undo()
    return {name: pa.concat_tables(parts).to_pylist() for name, parts in tables.items()}


def read_without_falling_back(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[dict[str, Any]]]:
    """read_all, failing if any batch had to go row by row."""
    calls: list[int] = []
    real_records = cols.Cells.records
    monkeypatch.setattr(cols.Cells, "records", lambda self: calls.append(self.count) or real_records(self))
    fast = read_all(path)
    monkeypatch.undo()
    assert calls == []
    return fast


def assert_same_both_ways(path: Path, monkeypatch: pytest.MonkeyPatch,
                          fast: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, list[dict[str, Any]]]:
    fast = fast or read_all(path)
    slow = read_all(path, monkeypatch)
    assert fast.keys() == slow.keys()
    for table in fast:
        assert fast[table] == slow[table], table
    return fast


@pytest.mark.parametrize("path", sorted(REAL.glob("*-mspdi.xml")), ids=lambda p: p.name)
def test_every_real_file_reads_the_same_both_ways(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_same_both_ways(path, monkeypatch)


def test_generated_plan_reads_the_same_both_ways_without_falling_back(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate_mspdi import write_plan

    path = write_plan(tmp_path / "plan.xml", 12_000)  # three column batches: state carries across them
    fast = assert_same_both_ways(path, monkeypatch, read_without_falling_back(path, monkeypatch))
    tasks = {row["uid"]: row for row in fast["tasks"]}
    assert len(tasks) == 12_001 and tasks[22]["parent_uid"] == 21 and tasks[21]["parent_uid"] is None
    assert tasks[22]["systems"] and tasks[22]["systems"][0] in {"GL", "CRM", "HRIS"}


def task(uid: int, *fields: str) -> str:
    return f"<Task><UID>{uid}</UID><ID>{uid}</ID><OutlineLevel>1</OutlineLevel>{''.join(fields)}</Task>"


def plan(tmp_path: Path, tasks: list[str], assignments: list[str] = ()) -> Path:
    attributes = "".join(
        f"<ExtendedAttribute><FieldID>{fid}</FieldID><FieldName>Text{n}</FieldName><Alias>{alias}</Alias>"
        "</ExtendedAttribute>" for n, (fid, alias) in enumerate(
            [("188743731", "System"), ("188743734", "Objective"), ("188743737", "Status")], 1))
    path = tmp_path / "odd.xml"
    path.write_text(f'<?xml version="1.0"?><Project xmlns="{NS}"><Name>Odd</Name><MinutesPerDay>420</MinutesPerDay>'
                    f"<ExtendedAttributes>{attributes}</ExtendedAttributes><Tasks>{''.join(tasks)}</Tasks>"
                    f"<Assignments>{''.join(assignments)}</Assignments></Project>", encoding="utf-8")
    return path


def attribute(fid: str, value: str) -> str:
    return f"<ExtendedAttribute><FieldID>{fid}</FieldID><Value>{value}</Value></ExtendedAttribute>"


ODD_TASKS = [
    task(0, "<Name>Project</Name>", attribute("188743737", "Green; on track")),
    task(1, "<Name></Name><Summary>1</Summary>"),  # an empty name stays '', not NULL
    task(2, "<Duration>P1DT2H</Duration><Work>PT7H30M0S</Work>", "<Start>2026-01-05</Start>",  # odd shapes
         "<PercentComplete>12.5</PercentComplete><Cost>-0</Cost><Priority>500.0</Priority>",
         attribute("188743731", " GL ; CRM,, HRIS "), attribute("188743734", "cost"),
         attribute("188743731", "Payroll")),
    task(3, "<IsNull>1</IsNull>"),  # a blank grid row: no task, its baselines and links dropped too
    "<Task><UID>4</UID><OutlineLevel>2</OutlineLevel>"  # children in an odd order, one repeated
    "<Baseline><Number>1</Number><Start>2025-12-01T08:00:00</Start></Baseline>"
    "<Baseline><Start>2025-11-01T08:00:00</Start><Duration>PT16H0M0S</Duration><Cost>1250</Cost></Baseline>"
    "<PredecessorLink><PredecessorUID>2</PredecessorUID><Type>3</Type><LinkLag>-0</LinkLag></PredecessorLink>"
    "<PredecessorLink><PredecessorUID>1</PredecessorUID><LinkLag>250</LinkLag><LagFormat>19</LagFormat>"
    "<CrossProject>1</CrossProject><CrossProjectName></CrossProjectName></PredecessorLink>"
    "<Finish>2026-02-02T17:00:00</Finish><Name>fourth</Name></Task>",
]


def test_odd_but_valid_values_read_the_same_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = plan(tmp_path, ODD_TASKS, [
        "<Assignment><UID>1</UID><TaskUID>2</TaskUID><ResourceUID>-65535</ResourceUID></Assignment>",
        "<Assignment><UID>2</UID><TaskUID>2</TaskUID><ResourceUID>7</ResourceUID><Work>P2D</Work>"
        "<Units>0.5</Units><Start>2026-01-05T08:00:00</Start></Assignment>",
        "<Assignment><UID>3</UID><TaskUID>4</TaskUID></Assignment>",
    ])
    out = assert_same_both_ways(path, monkeypatch, read_without_falling_back(path, monkeypatch))
    tasks = {row["uid"]: row for row in out["tasks"]}
    assert sorted(tasks) == [0, 1, 2, 4]
    assert tasks[0]["reported_status"] == "Green, on track" and tasks[1]["name"] == ""
    assert tasks[2]["duration_hours"] == 7 + 2 and tasks[2]["work_hours"] == 7.5  # a day is 420 minutes here
    assert tasks[2]["systems"] == ["GL", "CRM", "HRIS", "Payroll"] and tasks[2]["objectives"] == ["cost"]
    assert tasks[2]["priority"] == 500 and tasks[2]["cost"] == 0.0
    assert tasks[4]["name"] == "fourth" and tasks[4]["parent_uid"] == 2 and tasks[4]["baseline_cost"] == 12.5
    assert [(b["uid"], b["number"]) for b in out["baselines"]] == [(4, 0), (4, 1)]
    assert [(link["link_type"], link["lag_hours"], link["lag_percent"]) for link in out["links"]] == [
        ("SS", 0.0, None), ("FS", None, 25.0)]
    assert [(a["uid"], a["work_hours"]) for a in out["assignments"]] == [(2, 14.0)]


def test_a_repeated_field_reads_as_the_row_path_reads_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = plan(tmp_path, [task(1, "<Name>first</Name><Name>second</Name>"), task(2, "<Name>other</Name>")])
    out = assert_same_both_ways(path, monkeypatch)
    assert [row["name"] for row in out["tasks"]] == ["second", "other"]  # the last one, as a dict keeps it


@pytest.mark.parametrize("bad", [
    "<Duration>PT8X</Duration>", "<Start>2026-02-30T08:00:00</Start>", "<PercentComplete>150</PercentComplete>",
    "<Cost>1e400</Cost>", "<Priority>high</Priority>",
])
def test_a_bad_value_is_quarantined_as_the_row_path_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         bad: str) -> None:
    path = plan(tmp_path, [task(1, "<Name>good</Name>"), task(2, "<Name>bad</Name>", bad), task(3, "<Name>good</Name>")])
    out = assert_same_both_ways(path, monkeypatch)
    assert sorted(row["uid"] for row in out["tasks"]) == [1, 3]
    assert [row["object_key"] for row in out["quarantine"]] == ["odd.xml#2"]


def test_outline_parents_in_bulk_are_the_hand_worked_ones_and_share_the_stack_with_the_row_path() -> None:
    """A task's parent is the nearest earlier task of a lower outline level (levels can jump), UID 0
    stays outside the outline, and the open ancestors carry from batch to batch and between the
    bulk path (add_tasks) and the row path (task), which both feed one stack."""
    from connectors.msproject.records import PlanBuilder

    def bulk(builder: PlanBuilder, tasks: list[tuple[int, int]]) -> list[int | None]:
        uids, levels = (pa.array([t[i] for t in tasks], pa.int64()) for i in (0, 1))
        return builder._parents(uids.to_numpy(), levels.to_numpy()).to_pylist()

    builder = PlanBuilder("plan.xml", {})
    # (uid, level) -> the parent worked by hand
    assert bulk(builder, [(0, 0), (1, 1), (2, 2), (3, 3), (4, 3), (5, 2), (6, 4), (7, 1)]) == [
        None, None, 1, 2, 2, 1, 5, None]
    assert builder.outline == [(1, 7)]
    assert bulk(builder, [(8, 2), (9, 3), (0, 0), (10, 2)]) == [7, 8, None, 7]
    assert builder._parent(11, 3) == 10  # one task read row by row between two batches
    assert bulk(builder, [(12, 1), (13, 5)]) == [None, 12]
    assert bulk(builder, [(0, 0)]) == [None] and builder.outline == [(1, 12), (5, 13)]  # untouched
    assert bulk(builder, []) == [] and builder.outline == [(1, 12), (5, 13)]
    assert bulk(builder, [(14, 6), (15, 0), (16, 1), (17, 1)]) == [13, None, 15, 15]
    assert builder.outline == [(0, 15), (1, 17)]

    # The same tasks one by one through the row path's own _parent give the same parents and stack.
    rows = PlanBuilder("plan.xml", {})
    everything = [(0, 0), (1, 1), (2, 2), (3, 3), (4, 3), (5, 2), (6, 4), (7, 1), (8, 2), (9, 3), (0, 0),
                  (10, 2), (11, 3), (12, 1), (13, 5), (0, 0), (14, 6), (15, 0), (16, 1), (17, 1)]
    assert [rows._parent(uid, level) for uid, level in everything] == [
        None, None, 1, 2, 2, 1, 5, None, 7, 8, None, 7, 10, None, 12, None, 13, None, 15, 15]
    assert rows.outline == builder.outline


def test_a_staircase_outline_deeper_than_the_bulk_bound_reads_as_the_row_path() -> None:
    """Levels 1, 2, 3 ... 12,000 (each task a child of the one before) in batches of 5,000: the open
    ancestors outgrow BULK_OUTLINE_LEVELS, and the parents are still each task's predecessor."""
    from connectors.msproject import records
    from connectors.msproject.records import PlanBuilder

    builder, found = PlanBuilder("plan.xml", {}), []
    for start in range(1, 12_001, 5_000):
        uids = pa.array(range(start, min(start + 5_000, 12_001)), pa.int64()).to_numpy()
        found += builder._parents(uids, uids.copy()).to_pylist()  # level = uid
    assert found == [None, *range(1, 12_000)]
    assert len(builder.outline) == 12_000 > records.BULK_OUTLINE_LEVELS
    # Then a task at level 3 closes every deeper ancestor, and one at level 12,001 is its child.
    assert builder._parents(pa.array([20_000, 20_001], pa.int64()).to_numpy(),
                            pa.array([3, 12_001], pa.int64()).to_numpy()).to_pylist() == [2, 20_000]
    assert builder.outline == [(1, 1), (2, 2), (3, 20_000), (12_001, 20_001)]
    # Shallow again: the bulk way takes over from the stack the one-by-one way left.
    assert builder._parents(pa.array([20_002, 20_003], pa.int64()).to_numpy(),
                            pa.array([2, 3], pa.int64()).to_numpy()).to_pylist() == [1, 20_002]
    assert builder.outline == [(1, 1), (2, 20_002), (3, 20_003)]
