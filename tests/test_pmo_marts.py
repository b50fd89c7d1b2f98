"""The PMO's marts on the sample portfolio, checked against computations made here from the
generator's own data: deployment, linkages, investment against the strategy, trends, findings."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml
from generate_sample import PEOPLE, build_sample

from pipelines.config import load_portfolio
from pipelines.run import run_sync

pytestmark = pytest.mark.pipeline  # every test here runs the whole pipeline


@pytest.fixture(scope="module")
def sample(synced_sample_dir: Path, sample_published: Path) -> Iterator[tuple[Path, duckdb.DuckDBPyConnection]]:
    """The sample synced once per session (conftest): its folder and a read-only connection."""
    with duckdb.connect(str(sample_published), read_only=True) as con:
        yield synced_sample_dir, con


def weekday_spread(tasks) -> dict[tuple[str, str, dt.date], float]:
    """(person, project, Monday) -> hours: each task's work spread evenly over its weekdays."""
    hours: dict[tuple[str, str, dt.date], float] = defaultdict(float)
    for task in tasks:
        if task.bad_cell or not task.owner or not task.work_hours:
            continue
        days = [task.start + dt.timedelta(days=n) for n in range((task.finish - task.start).days + 1)]
        days = [d for d in days if d.weekday() < 5]
        for day in days:
            hours[(task.owner, task.project, day - dt.timedelta(days=day.weekday()))] += task.work_hours / len(days)
    return hours


def all_tasks():
    return [t for plan in build_sample() for t in plan.tasks]


def test_resource_deployment_spreads_assignments_over_working_days(sample) -> None:
    _, con = sample
    spread = weekday_spread(all_tasks())
    expected: dict[dt.date, float] = defaultdict(float)
    for (person, _, week), hours in spread.items():
        if person == "Priya Shah":
            expected[week] += hours
    rows = con.execute(
        "SELECT week_start, demand_hours, capacity_hours, utilisation, is_overallocated FROM marts.resource_deployment "
        "WHERE resource_id = ? ORDER BY week_start", [PEOPLE["Priya Shah"]]).fetchall()
    assert [r[0] for r in rows] == sorted(expected)
    for week, demand, capacity, utilisation, over in rows:
        assert demand == pytest.approx(expected[week])
        assert capacity == 40.0 and utilisation == pytest.approx(expected[week] / 40)
        assert over is (expected[week] > 40)
    flagged = con.execute("SELECT count(*) FROM marts.data_quality WHERE check_name = 'overallocated_resource' "
                          "AND object_key = ?", [PEOPLE["Priya Shah"]]).fetchone()[0]
    assert flagged == (1 if any(h > 44 for h in expected.values()) else 0)


def test_the_seed_case_payroll_and_expenses_meet_at_the_general_ledger(sample) -> None:
    folder, con = sample
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT linkage_type, strength, evidence, slip_days FROM marts.cross_project_linkages "
        "WHERE project_id_a = 'expenses' AND project_id_b = 'payroll'").fetchall()}
    assert set(rows) == {"dependency", "shared_system", "integration_point", "shared_resource"}
    plans = {p.project_id: [t for t in p.tasks if not t.bad_cell] for p in build_sample()}
    # shared system: General Ledger, named in the config of both
    assert rows["shared_system"][1] == "General Ledger"
    # integration point: both change the GL while their GL tasks run (issue #10 rule 9: each project's window
    # on the GL is the span of its tasks that touch it, not the whole plan)
    gl = {p: [t for t in plans[p] if "General Ledger" in t.systems] for p in ("payroll", "expenses")}
    start = max(min(t.start for t in gl[p]) for p in gl)
    end = min(max(t.finish for t in gl[p]) for p in gl)
    assert rows["integration_point"][0] == (end - start).days + 1
    # shared resource: Priya Shah's overlapping weekly hours on both
    spread = weekday_spread(all_tasks())
    weeks = {w for (person, project, w) in spread if person == "Priya Shah" and project == "payroll"} & {
        w for (person, project, w) in spread if person == "Priya Shah" and project == "expenses"}
    overlap = sum(min(spread[("Priya Shah", "payroll", w)], spread[("Priya Shah", "expenses", w)]) for w in weeks)
    assert rows["shared_resource"][0] == pytest.approx(overlap)
    # dependency: the GL posting waits for the payroll GL mapping; slip if the mapping now ends late
    as_of = dt.date.fromisoformat(str(yaml.safe_load((folder / "portfolio.yaml").read_text())["as_of"]))
    mapping = next(t for t in plans["payroll"] if t.name == "Payroll: General Ledger mapping")
    posting = next(t for t in plans["expenses"] if t.name == "Expenses: GL posting interface")
    # (issue #10 rule 2: FS - the posting may start the working day after the mapping's forecast finish;
    # a done successor is never pushed)
    forecast = mapping.finish if mapping.canonical == "done" else max(mapping.finish, as_of)
    earliest = forecast + dt.timedelta(days=1)
    while earliest.weekday() >= 5:
        earliest += dt.timedelta(days=1)
    slip = 0 if posting.canonical == "done" else sum(
        1 for n in range(1, (earliest - posting.start).days + 1) if (posting.start + dt.timedelta(days=n)).weekday() < 5)
    assert rows["dependency"][0] == 1 and rows["dependency"][2] == slip


def test_objective_investment_splits_all_effort_by_weight(sample) -> None:
    folder, con = sample
    config = yaml.safe_load((folder / "portfolio.yaml").read_text())
    weights = {p["id"]: p.get("objectives") or {} for program in config["programs"] for p in program["projects"]}
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT objective_id, effort_hours, actual_share, drift, target_share FROM marts.objective_investment"
    ).fetchall()}
    assert set(rows) == {o["id"] for o in config["objectives"]} | {"unaligned"}
    total = sum(t.work_hours or 0 for t in all_tasks() if not t.bad_cell)
    assert sum(r[0] for r in rows.values()) == pytest.approx(total)
    assert sum(r[1] for r in rows.values()) == pytest.approx(1.0)
    # Unaligned: projects without weights and without tags, and what partial weights leave over.
    unaligned = 0.0
    for plan in build_sample():
        work = sum(t.work_hours or 0 for t in plan.tasks if not t.bad_cell)
        configured = weights.get(plan.project_id)
        if configured:
            unaligned += work * (1 - sum(configured.values()))
        else:  # weights from the objective tags of its items, by work
            tagged = sum(t.work_hours or 0 for t in plan.tasks if not t.bad_cell and t.objectives)
            unaligned += work - tagged
    assert rows["unaligned"][0] == pytest.approx(unaligned)
    for _, share, drift, target in rows.values():
        assert drift == pytest.approx(share - target)


def test_milestone_slips_are_counted_across_snapshots(synced_copy: Path) -> None:
    copy, config = synced_copy, synced_copy / "portfolio.yaml"  # day one is synced: its build state is copied
    config.write_text(config.read_text().replace("as_of: 2026-11-16", "as_of: 2026-11-17"))
    tracker = copy / "sheets" / "digital" / "web_portal.csv"
    lines = tracker.read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if line.split(",")[10] == "x")  # the go-live milestone
    cells = lines[row].split(",")
    moved = (dt.datetime.strptime(cells[4], "%d/%m/%Y") + dt.timedelta(days=14)).strftime("%d/%m/%Y")
    cells[3] = cells[4] = moved
    lines[row] = ",".join(cells)
    tracker.write_text("\n".join(lines) + "\n")
    report = run_sync(load_portfolio(config))
    assert report.success
    with duckdb.connect(str(report.published), read_only=True) as con:
        trend = con.execute("SELECT snapshot_date, forecast_finish, slip_count FROM marts.milestone_trend "
                            "WHERE work_item_id = ? ORDER BY snapshot_date",
                            [f"digital-tracker:web_portal.csv#web_portal#{cells[0]}"]).fetchall()
    assert [r[2] for r in trend] == [0, 1]
    assert (trend[1][1] - trend[0][1]).days == 14


def test_dependency_cycles_are_reported(tmp_path: Path) -> None:
    (tmp_path / "sheets").mkdir()
    (tmp_path / "sheets" / "loop.csv").write_text(
        "ID,Task,Start,Finish,Depends on\nA,First,2026-01-05,2026-01-09,C\nB,Second,2026-01-12,2026-01-16,A\n"
        "C,Third,2026-01-19,2026-01-23,B\nD,Fourth,2026-01-26,2026-01-30,C\n")
    (tmp_path / "portfolio.yaml").write_text(
        "warehouse: var/w.duckdb\nprograms: []\nsources:\n  - {id: s, kind: spreadsheet, path: sheets/*.csv}\n")
    report = run_sync(load_portfolio(tmp_path / "portfolio.yaml"))
    assert report.success
    with duckdb.connect(str(report.published), read_only=True) as con:
        found = con.execute("SELECT object_key FROM marts.data_quality WHERE check_name = 'dependency_cycle' "
                            "ORDER BY 1").fetchall()
    assert found == [("s:loop.csv#loop#A",), ("s:loop.csv#loop#B",), ("s:loop.csv#loop#C",)]  # D is not on it


def test_rules_in_the_config_change_the_numbers_as_documented(sample, synced_copy: Path) -> None:
    _, defaults = sample
    config = synced_copy / "portfolio.yaml"
    raw = yaml.safe_load(config.read_text())
    raw["rules"] = {"red_milestone_days_late": 100, "red_cpi": 0.5, "red_spi": 0.5, "alignment_threshold": 0.95,
                    "program_rag": "majority", "overallocation_margin": 5}
    raw["capacity"] = {"priya.shah@example.com": 20}
    raw["resource_aliases"] = {"P. Shah": "priya.shah@example.com"}
    raw["programs"][1]["pct_complete_basis"] = "count"
    config.write_text(yaml.safe_dump(raw))
    report = run_sync(load_portfolio(config))
    assert report.success, report
    with duckdb.connect(str(report.published), read_only=True) as con:
        health = {r[0]: r[1:] for r in con.execute(
            "SELECT project_id, rag, rag_reasons FROM marts.project_health").fetchall()}
        before = {r[0]: r[1:] for r in defaults.execute(
            "SELECT project_id, rag, rag_reasons FROM marts.project_health").fetchall()}
        aligned = dict(con.execute("SELECT project_id, is_aligned FROM marts.strategy_alignment").fetchall())
        rollup = {r[0]: r[1:] for r in con.execute(
            "SELECT program_id, pct_complete, pct_complete_basis, pct_complete_count, rag FROM marts.program_rollup"
        ).fetchall()}
        project_rags = con.execute("SELECT program_id, list(rag) FROM marts.project_health GROUP BY 1").fetchall()
        priya = con.execute("SELECT max(capacity_hours), count(*) FILTER (WHERE is_overallocated) "
                            "FROM marts.resource_deployment WHERE resource_id = 'priya.shah@example.com'").fetchone()
        flagged = con.execute("SELECT count(*) FROM marts.data_quality WHERE check_name = 'overallocated_resource'"
                              ).fetchone()[0]
    # A milestone 16 working days late was red by the default rule (10); with 100 it is only amber.
    assert "working days late" in before["payroll"][1] and before["payroll"][0] == "red"
    assert "working days late" not in health["payroll"][1] and "milestone(s) late" in health["payroll"][1]
    # web-portal serves customer-experience with weight 0.7: aligned at 0.5, not at 0.95.
    assert aligned["web-portal"] is False and aligned["mobile-app"] is True
    digital = rollup["digital-channels"]
    assert digital[1] == "count" and digital[0] == pytest.approx(digital[2])
    for program, rags in project_rags:  # majority: the RAG most projects have, ties to the worse
        counts = {c: rags.count(c) for c in ("red", "amber", "green")}
        expected = "red" if counts["red"] >= max(counts["amber"], counts["green"]) else (
            "amber" if counts["amber"] >= counts["green"] else "green")
        assert rollup[program][3] == expected, program
    assert priya[0] == 20.0 and priya[1] > 0
    assert flagged == 0  # a 500% margin hides every over-allocation finding


def test_resource_aliases_make_one_person_of_two_spellings(tmp_path: Path) -> None:
    (tmp_path / "sheets").mkdir()
    (tmp_path / "sheets" / "a.csv").write_text(
        "Task,Start,Finish,Owner,Email,Work\nOne,2026-01-05,2026-01-09,Priya Shah,priya@x.org,10\n")
    (tmp_path / "sheets" / "b.csv").write_text("Task,Start,Finish,Owner,Work\nTwo,2026-01-05,2026-01-09,P. Shah,10\n")
    base = "warehouse: var/w.duckdb\nprograms: []\nsources:\n  - {id: s, kind: spreadsheet, path: sheets/*.csv}\n"

    def people(extra: str) -> list[tuple]:
        (tmp_path / "portfolio.yaml").write_text(base + extra)
        report = run_sync(load_portfolio(tmp_path / "portfolio.yaml"))
        assert report.success
        with duckdb.connect(str(report.published), read_only=True) as con:
            return con.execute("SELECT resource_id, source_ids FROM core.resources ORDER BY 1").fetchall()

    assert people("") == [("name:p shah", ["s"]), ("priya@x.org", ["s"])]
    assert people("resource_aliases: {P. Shah: priya@x.org}\n") == [("priya@x.org", ["s"])]


def test_milestones_done_slipped_and_top_risk(sample) -> None:
    folder, con = sample
    as_of = dt.date.fromisoformat(str(yaml.safe_load((folder / "portfolio.yaml").read_text())["as_of"]))
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT project_id, milestones_total, milestones_done, milestones_slipped, top_risk, top_risk_severity "
        "FROM marts.project_health").fetchall()}
    for plan in build_sample():
        if plan.project_id not in rows or plan.source == "jira-export":
            continue  # Jira exports carry no baselines
        milestones = [t for t in plan.tasks if t.milestone and not t.bad_cell]
        done = [t for t in milestones if t.canonical == "done"]
        carries_baselines = plan.source != "digital-tracker"  # the digital CSVs have no baseline column
        slipped = [t for t in milestones if carries_baselines and t.baseline_finish and (
            t.finish if t.canonical == "done" else max(t.finish, as_of)) > t.baseline_finish]
        assert rows[plan.project_id][:3] == (len(milestones), len(done), len(slipped)), plan.project_id
    assert rows["payroll"][3:] == ("Parallel run shows pay differences", 20.0)  # High (4) x Very high (5)


def test_status_map_words_and_patterns(tmp_path: Path) -> None:
    (tmp_path / "sheets").mkdir()
    (tmp_path / "sheets" / "t.csv").write_text(
        "Task,Status\nA,Waiting on vendor\nB,waiting for QA\nC,Parked\nD,Done\n")
    (tmp_path / "portfolio.yaml").write_text(
        "warehouse: var/w.duckdb\nprograms: []\nsources:\n  - id: s\n    kind: spreadsheet\n    path: sheets/*.csv\n"
        "    status_map: {'/^waiting/': blocked, Waiting on vendor: cancelled}\n")
    report = run_sync(load_portfolio(tmp_path / "portfolio.yaml"))
    assert report.success
    with duckdb.connect(str(report.published), read_only=True) as con:
        statuses = dict(con.execute("SELECT name, status FROM core.work_items").fetchall())
        unmapped = con.execute("SELECT detail FROM marts.data_quality WHERE check_name = 'unmapped_status'").fetchall()
    assert statuses == {"A": "cancelled", "B": "blocked", "C": None, "D": "done"}  # the exact word wins
    assert len(unmapped) == 1 and "'Parked' on 1 item(s)" in unmapped[0][0]


def test_a_removed_item_leaves_core_and_stays_in_history_with_its_day(synced_copy: Path) -> None:
    copy, config = synced_copy, synced_copy / "portfolio.yaml"  # day one is synced: its build state is copied
    tracker = copy / "sheets" / "digital" / "crm_migration.csv"
    lines = tracker.read_text().splitlines()
    removed_id = lines[3].split(",")[0]
    tracker.write_text("\n".join(lines[:3] + lines[4:]) + "\n")
    config.write_text(config.read_text().replace("as_of: 2026-11-16", "as_of: 2026-11-18"))
    report = run_sync(load_portfolio(config))
    assert report.success
    item = f"digital-tracker:crm_migration.csv#crm_migration#{removed_id}"
    with duckdb.connect(str(report.published), read_only=True) as con:
        in_core = con.execute("SELECT count(*) FROM core.work_items WHERE work_item_id = ?", [item]).fetchone()[0]
        days = con.execute("SELECT snapshot_date FROM history.work_item_snapshots WHERE work_item_id = ?",
                           [item]).fetchall()
        removal = con.execute("SELECT snapshot_date, last_seen FROM history.work_item_removals WHERE work_item_id = ?",
                              [item]).fetchall()
    assert in_core == 0
    assert days == [(dt.date(2026, 11, 16),)]
    assert removal == [(dt.date(2026, 11, 18), dt.date(2026, 11, 16))]
