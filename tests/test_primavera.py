"""Primavera P6 (XER, PMXML) through MPXJ, password-protected .mpp files, and a quiet MPXJ.

The P6 files are written by MPXJ's own P6 writers from the schedule in ``support/p6_files.py``;
expectations are worked from that schedule's constants, not from what the reader returns.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from support import p6_files
from support.blocked_imports import block_imports
from test_msproject import REAL, load

ROOT = Path(__file__).resolve().parent.parent


def _need_mpxj() -> None:
    from connectors.msproject.mpp import mpp_available

    if not mpp_available():  # asked in the test, not at import: collecting never starts a JVM
        pytest.skip("the mpp extra (MPXJ + JPype) or a Java runtime is missing")


@pytest.fixture(scope="module")
def p6(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    _need_mpxj()
    folder = tmp_path_factory.mktemp("p6")
    p6_files.write_p6(folder)
    con, outcome = load(folder, "substation*")
    assert outcome.ok, outcome.error
    return con


FILES = {"substation.xer": "p6-xer", "substation-pmxml.xml": "p6-pmxml"}


def _day(parts: tuple[int, int, int], hour: int) -> dt.datetime:
    return dt.datetime(*parts, hour)


@pytest.mark.slow
@pytest.mark.parametrize("file", FILES)
def test_p6_activities_under_their_wbs_with_dates_and_baseline(p6: duckdb.DuckDBPyConnection, file: str) -> None:
    assert p6.execute("SELECT count(*) FROM raw.quarantine").fetchone()[0] == 0
    assert p6.execute("SELECT format FROM raw.msproject__projects WHERE file = ?", [file]).fetchone() == (FILES[file],)
    rows = p6.execute(
        "SELECT t.name, p.name, t.start, t.finish, t.duration_hours, t.is_milestone, t.baseline_start, t.baseline_finish "
        "FROM raw.msproject__tasks AS t JOIN raw.msproject__tasks AS p ON p.file = t.file AND p.uid = t.parent_uid "
        "WHERE t.file = ? AND t.uid NOT IN (SELECT parent_uid FROM raw.msproject__tasks WHERE file = t.file "
        "AND parent_uid IS NOT NULL)", [file]).fetchall()  # activities: the leaves under the WBS
    got = {r[0]: r[1:] for r in rows}
    expected = {}
    for act in p6_files.ACTIVITIES:
        end_hour = 8 if act.milestone else 17
        expected[act.name] = (
            p6_files.WBS[act.wbs], _day(act.start, 8), _day(act.finish, end_hour), act.days * 8.0, act.milestone,
            _day(act.planned_start or act.start, 8), _day(act.planned_finish or act.finish, end_hour),
        )
    assert got == expected
    # "Pour foundations" slipped a day against its planned (target) dates: the baseline keeps the plan.
    assert got["Pour foundations"][2] - got["Pour foundations"][6] == dt.timedelta(days=3)


@pytest.mark.slow
@pytest.mark.parametrize("file", FILES)
def test_p6_relationships_resources_and_assignments(p6: duckdb.DuckDBPyConnection, file: str) -> None:
    names = {}
    for uid, name in p6.execute("SELECT uid, name FROM raw.msproject__tasks WHERE file = ?", [file]).fetchall():
        names[uid] = name
    links = {(names[p], names[s], kind, lag) for s, p, kind, lag in p6.execute(
        "SELECT successor_uid, predecessor_uid, link_type, lag_hours FROM raw.msproject__links WHERE file = ?",
        [file]).fetchall()}
    by_code = {a.code: a.name for a in p6_files.ACTIVITIES}
    short = {"FINISH_START": "FS", "START_START": "SS", "FINISH_FINISH": "FF"}
    assert links == {(by_code[b], by_code[a], short[k], lag * 8.0) for b, a, k, lag in p6_files.LINKS}
    staged = p6.execute("SELECT count(*) FROM staging.msproject__dependencies WHERE predecessor_key LIKE ?",
                        [f"{file}#%"]).fetchone()[0]
    assert staged == len(p6_files.LINKS)
    assigned = set(p6.execute(
        "SELECT t.name, r.name, a.work_hours FROM raw.msproject__assignments AS a "
        "JOIN raw.msproject__tasks AS t ON t.file = a.file AND t.uid = a.task_uid "
        "JOIN raw.msproject__resources AS r ON r.file = a.file AND r.uid = a.resource_uid WHERE a.file = ?",
        [file]).fetchall())
    assert assigned == {(by_code[c], who, float(h)) for c, who, h in p6_files.ASSIGNMENTS}


def test_p6_files_without_the_extra_name_the_install_not_ms_project(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    block_imports(monkeypatch, "jpype", "mpxj")
    # Only the first bytes decide the reader, so a header line / a bare root stand in for whole files.
    (tmp_path / "schedule.xer").write_text("ERMHDR\t20.12\t2026-01-05\tProject\tadmin\n%T\tPROJECT\n")
    (tmp_path / "schedule.xml").write_text('<?xml version="1.0"?>\n<APIBusinessObjects xmlns='
                                           '"http://xmlns.oracle.com/Primavera/P6/V20.12/API/BusinessObjects"/>')
    con, outcome = load(tmp_path, "schedule.*")
    assert outcome.ok
    reasons = dict(con.execute("SELECT object_key, reason FROM raw.quarantine").fetchall())
    assert set(reasons) == {"schedule.xer", "schedule.xml"}
    for reason in reasons.values():
        assert "Primavera P6" in reason and "pip install 'pmo-sightline[mpp]'" in reason
        assert "Project" not in reason.replace("Primavera P6", "")  # no MS Project advice for a P6 file


def test_pmxml_with_a_dtd_is_refused_before_any_parser(tmp_path: Path) -> None:
    (tmp_path / "evil.xml").write_text('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
                                       "<APIBusinessObjects>&e;</APIBusinessObjects>")
    con, outcome = load(tmp_path, "evil.xml")
    assert outcome.ok
    (reason,) = con.execute("SELECT reason FROM raw.quarantine WHERE object_key = 'evil.xml'").fetchone()
    assert "refused" in reason and "DTD" in reason


def test_password_protected_mpp_says_how_to_remove_the_password(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _need_mpxj()
    from org.mpxj import MPXJException

    from connectors.msproject import mpp

    def protected(path: Path) -> list:
        # What MPXJ's MPP reader raises for a file saved with a password to open (no such file can
        # be written without Project, so MPXJ's own exception is raised in its place).
        raise MPXJException(MPXJException.PASSWORD_PROTECTED_ENTER_PASSWORD)

    monkeypatch.setattr(mpp, "load_projects", protected)
    (tmp_path / "locked.mpp").write_bytes((REAL / "task-links-project2016-mpp14.mpp").read_bytes())
    con, outcome = load(tmp_path, "locked.mpp")
    assert outcome.ok
    (reason,) = con.execute("SELECT reason FROM raw.quarantine WHERE object_key = 'locked.mpp'").fetchone()
    assert reason.startswith("locked.mpp: ")
    assert "remove the password in Project (File > Info > Protect)" in reason


@pytest.mark.slow
def test_reading_a_real_mpp_prints_nothing(tmp_path: Path) -> None:
    _need_mpxj()
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from connectors.msproject.mpp import read_mpp\n"
        "from connectors.msproject.records import PlanBuilder\n"
        "class Context:\n"
        "    def quarantine(self, *args): raise SystemExit(f'quarantined {args}')\n"
        "    def info(self, *args): pass\n"
        "path = Path(sys.argv[1])\n"
        "builder = PlanBuilder(path.name, {})\n"
        "read_mpp(path, path.name, builder, Context())\n"
        "assert builder.rows['tasks'], 'no tasks read'\n"
    )
    plan = REAL / "task-links-project2016-mpp14.mpp"
    done = subprocess.run([sys.executable, "-c", script, str(plan)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("", "")


def test_a_p6_file_with_several_projects_asks_for_one_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _need_mpxj()
    from connectors.msproject import mpp

    xer, _ = p6_files.write_p6(tmp_path)
    one = mpp.load_projects(xer)[0]
    monkeypatch.setattr(mpp, "load_projects", lambda path: [one, one])  # as MPXJ lists a two-project export
    con, outcome = load(tmp_path, "substation.xer")
    assert outcome.ok
    (reason,) = con.execute("SELECT reason FROM raw.quarantine WHERE object_key = 'substation.xer'").fetchone()
    assert reason == "substation.xer: holds 2 projects ('Substation', 'Substation'); export one project per file"
