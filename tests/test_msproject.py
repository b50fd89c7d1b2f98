"""MS Project plans: every real MSPDI file Project 2016 saved, compared with an independent read of
the same file; Project's own summary rollups; and hostile or broken files."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest
from support.blocked_imports import block_imports

from connectors.base import SourceSpec
from connectors.msproject import MsProjectConnector
from connectors.msproject.options import MsProjectOptions
from pipelines.extract import LoadOutcome, load_source
from warehouse import db
from warehouse.models import build_kind_staging

REAL = Path(__file__).resolve().parent / "data" / "msproject-real"  # MPXJ test corpus; see its README.md
MSPDI_FILES = sorted(REAL.glob("*-mspdi.xml"))
TYPES = {"0": "FF", "1": "FS", "2": "SF", "3": "SS"}


def load(folder: Path, pattern: str, base: Path | None = None, **options: object) -> tuple[duckdb.DuckDBPyConnection, LoadOutcome]:
    typed = MsProjectOptions.model_validate({"path": pattern, **options})
    spec = SourceSpec(id="plans", kind="msproject", options=typed, base_dir=base or folder)
    con = db.open_connection(folder / "build.duckdb")
    db.prepare(con, {"msproject": dict(MsProjectConnector.raw_schemas)})
    outcome = load_source(con, spec, folder / "landing", retention_days=3)
    build_kind_staging(con, "msproject", MsProjectConnector.staging_sql_dir())
    return con, outcome


def hours_of(iso: str) -> float:
    """The test's own reading of an MSPDI duration such as PT8H30M0S."""
    time_part = iso.split("T", 1)[1] if "T" in iso else ""
    parts = {unit: value for value, unit in re.findall(r"(\d+(?:\.\d+)?)([HMS])", time_part)}
    days = re.search(r"(\d+(?:\.\d+)?)D", iso.split("T", 1)[0])
    return (float(days.group(1)) * 8 if days else 0) + float(parts.get("H", 0)) + float(parts.get("M", 0)) / 60 \
        + float(parts.get("S", 0)) / 3600


def independent_tasks(path: Path) -> list[dict]:
    """Tasks as the stdlib parser sees them, namespace stripped, IsNull rows and UID 0 left out."""
    root = ET.parse(path).getroot()
    tasks = []
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "Task":
            continue
        values = {c.tag.rsplit("}", 1)[-1]: (c.text or "") for c in element if len(c) == 0}
        if values.get("IsNull") == "1" or values.get("UID") == "0":
            continue
        baselines = [{g.tag.rsplit("}", 1)[-1]: g.text for g in c} for c in element
                     if c.tag.endswith("Baseline")]
        links = [{g.tag.rsplit("}", 1)[-1]: g.text for g in c} for c in element if c.tag.endswith("PredecessorLink")]
        base0 = next((b for b in baselines if b.get("Number") == "0"), {})
        tasks.append({
            "uid": int(values["UID"]), "name": values.get("Name") or None,
            "duration": hours_of(values["Duration"]) if values.get("Duration") else None,
            "percent": float(values["PercentComplete"]) if values.get("PercentComplete") else None,
            "baseline_finish": dt.datetime.fromisoformat(base0["Finish"]) if base0.get("Finish") else None,
            "links": sorted(TYPES[link["Type"]] for link in links),
        })
    return tasks


def assert_loaded_as(con: duckdb.DuckDBPyConnection, file: str, expected: list[dict]) -> None:
    """The tasks loaded from ``file`` are the independently read ones: names, hours, progress,
    baseline finish and the types of their predecessor links."""
    rows = {r[0]: r for r in con.execute(
        "SELECT uid, name, duration_hours, percent_complete, baseline_finish FROM raw.msproject__tasks "
        "WHERE file = ? AND uid <> 0", [file]).fetchall()}
    links = dict(con.execute(
        "SELECT successor_uid, list_sort(list(link_type)) FROM raw.msproject__links WHERE file = ? GROUP BY 1",
        [file]).fetchall())
    assert len(rows) == len(expected)
    for task in expected:
        uid, name, duration, percent, baseline_finish = rows[task["uid"]]
        assert name == task["name"]
        assert duration == pytest.approx(task["duration"]), (file, uid)
        assert percent == task["percent"]
        assert baseline_finish == task["baseline_finish"]
        assert links.get(task["uid"], []) == task["links"]


@pytest.fixture(scope="module")
def real_plans(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("real")
    con, outcome = load(folder, str(REAL / "*-mspdi.xml"))
    assert outcome.ok, outcome.error
    return con


def test_real_files_are_all_there() -> None:
    assert len(MSPDI_FILES) >= 15, "tests/data/msproject-real is missing"


@pytest.mark.parametrize("path", MSPDI_FILES, ids=lambda p: p.stem)
def test_each_real_mspdi_file_matches_an_independent_read(real_plans: duckdb.DuckDBPyConnection, path: Path) -> None:
    expected = independent_tasks(path)
    assert_loaded_as(real_plans, path.name, expected)
    staged = real_plans.execute(
        "SELECT count(*) FROM staging.msproject__work_items WHERE project_source_key = ?", [path.name]).fetchone()[0]
    assert staged == len(expected)


def test_project_summary_rollup_equals_what_project_wrote(real_plans: duckdb.DuckDBPyConnection) -> None:
    """Task UID 0 carries Project's own % complete for the plan: duration-weighted over its tasks."""
    rows = real_plans.execute("""
        SELECT s.file, s.percent_complete,
               sum(c.duration_hours * c.percent_complete) / nullif(sum(c.duration_hours), 0) AS ours
        FROM raw.msproject__tasks AS s
        JOIN raw.msproject__tasks AS c ON c.file = s.file AND c.uid <> 0 AND c.parent_uid IS NULL
        WHERE s.uid = 0
        GROUP BY s.file, s.percent_complete""").fetchall()
    assert len(rows) == sum(1 for path in MSPDI_FILES if independent_tasks(path))  # plans with tasks
    for file, theirs, ours in rows:
        assert round(ours or 0) == theirs, file
    assert any(theirs > 0 for _, theirs, _ in rows)  # at least one plan with progress to roll up


def test_outline_builds_the_hierarchy_and_summaries(tmp_path: Path) -> None:
    plan = tmp_path / "outline.xml"
    plan.write_text(_mspdi([
        (1, 1, "Phase A", "PT16H0M0S", 50, True), (2, 2, "A.1", "PT8H0M0S", 100, False),
        (3, 2, "A.2", "PT8H0M0S", 0, False), (4, 1, "Phase B", "PT8H0M0S", 0, False),
    ]))
    con, outcome = load(tmp_path, "outline.xml")
    assert outcome.ok
    rows = con.execute("SELECT source_key, parent_source_key, is_summary FROM staging.msproject__work_items "
                       "ORDER BY source_key").fetchall()
    assert rows == [("outline.xml#1", None, True), ("outline.xml#2", "outline.xml#1", False),
                    ("outline.xml#3", "outline.xml#1", False), ("outline.xml#4", None, False)]
    # The Summary flag said Phase B was a summary; the outline says it has no children.


def test_namespace_may_be_missing(tmp_path: Path) -> None:
    (tmp_path / "plain.xml").write_text(_mspdi([(1, 1, "Only task", "PT8H0M0S", 10, False)], namespace=False))
    con, outcome = load(tmp_path, "plain.xml")
    assert outcome.ok and con.execute("SELECT name FROM raw.msproject__tasks WHERE uid = 1").fetchone() == ("Only task",)


BAD_FILES = {
    "truncated.xml": lambda: _mspdi([(1, 1, "T", "PT8H0M0S", 0, False)])[:300],
    "laughs.xml": lambda: ('<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;">'
                           '<!ENTITY c "&b;&b;&b;&b;">]>\n<Project><Name>&c;</Name></Project>'),
    "xxe.xml": lambda: ('<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY secret SYSTEM "file://{secret}">]>\n'
                        '<Project><Name>&secret;</Name><Tasks/></Project>'),
    "other.xml": lambda: '<?xml version="1.0"?><rss><channel><title>news</title></channel></rss>',
    "empty.xml": lambda: "",
}
BAD_REASONS = {
    "truncated.xml": "not well-formed XML", "laughs.xml": "declares a DTD", "xxe.xml": "declares a DTD",
    "other.xml": "not a Microsoft Project XML file", "empty.xml": "the file is empty",
}


def test_hostile_and_broken_files_are_rejected_and_the_rest_loads(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    plans = tmp_path / "plans"
    plans.mkdir()
    for name, make in BAD_FILES.items():
        (plans / name).write_text(make().replace("{secret}", str(secret)))
    (plans / "good.xml").write_text(_mspdi([(1, 1, "Good task", "PT8H0M0S", 0, False)]))
    con, outcome = load(tmp_path, "plans/*.xml")
    assert outcome.ok
    assert con.execute("SELECT DISTINCT file FROM raw.msproject__tasks").fetchall() == [("good.xml",)]
    reasons = dict(con.execute("SELECT object_key, reason FROM raw.quarantine").fetchall())
    assert set(reasons) == set(BAD_FILES)
    for name, expected in BAD_REASONS.items():
        assert reasons[name].startswith(f"{name}: ") and expected in reasons[name], reasons[name]
    dump = " ".join(str(v) for row in con.execute("SELECT * FROM raw.msproject__projects").fetchall() for v in row)
    assert "TOP-SECRET-VALUE" not in dump and "TOP-SECRET-VALUE" not in " ".join(reasons.values())


def test_a_file_that_breaks_keeps_its_last_good_plan(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(_mspdi([(1, 1, "A task", "PT8H0M0S", 0, False)]))
    (tmp_path / "b.xml").write_text(_mspdi([(1, 1, "B task", "PT8H0M0S", 0, False)]))
    con, outcome = load(tmp_path, "*.xml")
    assert outcome.ok
    (tmp_path / "a.xml").write_text(_mspdi([(1, 1, "A task", "PT8H0M0S", 0, False)])[:250])  # truncated
    (tmp_path / "b.xml").write_text(_mspdi([(1, 1, "B task renamed", "PT8H0M0S", 0, False)]))
    outcome = load_source(con, SourceSpec(id="plans", kind="msproject", options={"path": "*.xml"},
                                          base_dir=tmp_path), tmp_path / "landing", retention_days=3)
    assert outcome.ok
    names = dict(con.execute("SELECT file, name FROM raw.msproject__tasks WHERE uid = 1").fetchall())
    assert names == {"a.xml": "A task", "b.xml": "B task renamed"}
    (tmp_path / "a.xml").unlink()  # a plan removed from the folder leaves the warehouse
    load_source(con, SourceSpec(id="plans", kind="msproject", options={"path": "*.xml"}, base_dir=tmp_path),
                tmp_path / "landing", retention_days=3)
    assert [r[0] for r in con.execute("SELECT DISTINCT file FROM raw.msproject__tasks").fetchall()] == ["b.xml"]


def _mspdi(tasks: list[tuple[int, int, str, str, float, bool]], namespace: bool = True) -> str:
    """A minimal plan in MSPDI form for edge cases the real files do not cover."""
    xmlns = ' xmlns="http://schemas.microsoft.com/project"' if namespace else ""
    body = "".join(
        f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>{name}</Name><OutlineLevel>{level}</OutlineLevel>"
        f"<Summary>{1 if summary or name == 'Phase B' else 0}</Summary><Start>2026-01-05T08:00:00</Start>"
        f"<Finish>2026-01-06T17:00:00</Finish><Duration>{duration}</Duration><PercentComplete>{pct}</PercentComplete>"
        "</Task>"
        for uid, level, name, duration, pct, summary in tasks
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Project{xmlns}><Name>plan</Name><MinutesPerDay>480'
            f"</MinutesPerDay><Tasks><Task><UID>0</UID><ID>0</ID><Name>plan</Name><OutlineLevel>0</OutlineLevel>"
            f"</Task>{body}</Tasks></Project>")


def _mpp_ready() -> bool:
    from connectors.msproject.mpp import mpp_available

    return mpp_available()


MPP_FILES = sorted(REAL.glob("*-mpp14.mpp"))


@pytest.fixture(scope="module")
def real_mpp(tmp_path_factory: pytest.TempPathFactory):
    if not _mpp_ready():  # asked here, not at import: collecting this file never starts a JVM
        pytest.skip("the mpp extra (MPXJ + JPype) or a Java runtime is missing")
    folder = tmp_path_factory.mktemp("mpp")
    con, outcome = load(folder, str(REAL / "*-mpp14.mpp"))
    assert outcome.ok, outcome.error
    return con


@pytest.mark.slow  # starts a JVM and reads every .mpp
@pytest.mark.parametrize("path", MPP_FILES, ids=lambda p: p.stem)
def test_each_real_mpp_file_ingests_and_matches_its_mspdi_twin(real_mpp: duckdb.DuckDBPyConnection, path: Path) -> None:
    quarantined = real_mpp.execute("SELECT reason FROM raw.quarantine WHERE object_key = ?", [path.name]).fetchall()
    assert quarantined == []
    loaded = real_mpp.execute("SELECT count(*) FROM raw.msproject__projects WHERE file = ?", [path.name]).fetchone()[0]
    assert loaded == 1
    twin = REAL / path.name.replace("-mpp14.mpp", "-mspdi.xml")
    if not twin.exists():
        return  # ingested; no XML of the same plan to compare with
    assert_loaded_as(real_mpp, path.name, independent_tasks(twin))


def test_mpp_without_the_extra_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    block_imports(monkeypatch, "jpype", "mpxj")
    (tmp_path / "plan.mpp").write_bytes((REAL / "task-links-project2016-mpp14.mpp").read_bytes())
    (tmp_path / "plan.xml").write_text(_mspdi([(1, 1, "XML task", "PT8H0M0S", 0, False)]))
    con, outcome = load(tmp_path, "plan.*")
    assert outcome.ok
    (reason,) = con.execute("SELECT reason FROM raw.quarantine WHERE object_key = 'plan.mpp'").fetchone()
    assert "pip install 'pmo-sightline[mpp]'" in reason and "Java" in reason
    assert con.execute("SELECT name FROM raw.msproject__tasks WHERE file = 'plan.xml' AND uid = 1").fetchone() == (
        "XML task",)


def test_export_wizard_csv_with_project_display_formats(tmp_path: Path) -> None:
    (tmp_path / "rollout.csv").write_text(
        "ID,Unique_ID,Name,Duration,Start_Date,Finish_Date,Predecessors,Resource_Names,Percent_Complete,"
        "Outline_Level,Baseline_Finish\n"
        "1,11,Rollout,15 days,Mon 1/15/24,Fri 2/2/24,,,40%,1,Fri 2/2/24\n"
        '2,12,Design,3 wks,Mon 1/15/24,Fri 2/2/24,,"Ann Lee[50%];Bo Chen",100%,2,\n'
        '3,13,Build,2 mons,"January 15, 2026 8:00 AM","March 12, 2026 5:00 PM",2FS+2 days,Bo Chen,50%,2,\n'
        "4,14,Soak,5 edays,Mon 3/16/26,Fri 3/20/26,3SS;2FF-4h,,0%,2,\n"
        "5,15,Sign-off,4h?,Mon 3/23/26,Mon 3/23/26,99,,0%,2,\n"
        "6,16,Party,1ew,Mon 3/23/26,Mon 3/30/26,,,0%,1,\n"
        "7,17,Oops,soon,Mon 3/23/26,Mon 3/30/26,,,0%,1,\n",
        encoding="utf-8")
    con, outcome = load(tmp_path, "rollout.csv")
    assert outcome.ok, outcome.error
    tasks = {r[0]: r[1:] for r in con.execute(
        "SELECT uid, parent_uid, duration_hours, start, finish, percent_complete FROM raw.msproject__tasks").fetchall()}
    assert tasks[11][0] is None and tasks[12][0] == 11 and tasks[16][0] is None
    assert [tasks[u][1] for u in (11, 12, 13, 14, 15, 16)] == [120.0, 120.0, 320.0, 120.0, 4.0, 168.0]
    assert tasks[13][2:4] == (dt.datetime(2026, 1, 15, 8, 0), dt.datetime(2026, 3, 12, 17, 0))
    assert tasks[12][2] == dt.datetime(2024, 1, 15) and tasks[11][4] == 40.0
    links = sorted(con.execute("SELECT successor_uid, predecessor_uid, link_type, lag_hours FROM raw.msproject__links"
                               ).fetchall())
    assert links == [(13, 12, "FS", 16.0), (14, 12, "FF", -4.0), (14, 13, "SS", 0.0)]  # by ID, stored by UID
    people = con.execute("SELECT r.name, a.units FROM raw.msproject__assignments AS a JOIN raw.msproject__resources "
                         "AS r USING (file) WHERE r.uid = a.resource_uid AND a.task_uid = 12 ORDER BY 1").fetchall()
    assert people == [("Ann Lee", 0.5), ("Bo Chen", 1.0)]
    reasons = dict(con.execute("SELECT location, reason FROM raw.quarantine").fetchall())
    assert "soon" in reasons["rollout.csv, row 8"]
    assert "predecessor '99' names no task ID" in reasons["rollout.csv, task UID 15"]


def test_export_wizard_workbook_reads_the_task_table_sheet(tmp_path: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(tmp_path / "plan.xlsx"))
    workbook.add_worksheet("Notes").write(0, 0, "not the task table")
    sheet = workbook.add_worksheet("Task_Table1")
    sheet.write_row(0, 0, ["ID", "Unique_ID", "Name", "Duration", "Start_Date", "Finish_Date", "Predecessors",
                           "Percent_Complete", "Outline_Level"])
    sheet.write_row(1, 0, [1, 7, "Plan", "2 days", "Mon 1/15/24", "Tue 1/16/24", "", "100%", 1])
    sheet.write_row(2, 0, [2, 9, "Do", "1 wk", "Wed 1/17/24", "Tue 1/23/24", "1", "0%", 1])
    workbook.close()
    con, outcome = load(tmp_path, "plan.xlsx")
    assert outcome.ok
    assert con.execute("SELECT uid, duration_hours, percent_complete FROM raw.msproject__tasks ORDER BY uid"
                       ).fetchall() == [(7, 16.0, 100.0), (9, 40.0, 0.0)]
    assert con.execute("SELECT predecessor_uid, successor_uid FROM raw.msproject__links").fetchall() == [(7, 9)]
