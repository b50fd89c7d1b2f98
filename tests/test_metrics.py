"""A purpose-built portfolio with answers worked out by hand: one check per metric family and per
RAG rule (see docs/metrics.md). Today is Monday 2 March 2026."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pytest
from conftest import build_directly, write_csv

from pipelines.config import load_portfolio

pytestmark = pytest.mark.pipeline  # every test here runs the whole pipeline

HEADER = ["ID", "Task", "Status", "Start", "Finish", "Due", "% Complete", "Owner", "Work", "Milestone",
          "Depends on", "Baseline Start", "Baseline Finish", "Budget", "Actual cost"]
PROJECTS = {
    # Rollup: 100 h at 10% and 9 x 10 h done -> 52.6% by sums, 55% by averaging the two projects.
    "a": [["A1", "Big piece", "In progress", "2026-03-02", "2026-04-30", "", "10%", "", "100"]],
    "b": [[f"B{i}", f"Small {i}", "Done", "2026-02-02", "2026-02-06", "", "100%", "", "10"] for i in range(1, 10)],
    # EV: baseline 2 Feb - 4 Mar (30 days), budget 1000, half done, 600 spent.
    "c": [["C1", "Earned", "In progress", "2026-02-02", "2026-03-04", "", "50%", "", "80", "", "", "2026-02-02",
           "2026-03-04", "1000", "600"]],
    # RAG rules, one project each.
    "d": [["D1", "Late 12 days", "Not started", "2026-02-12", "2026-02-12", "2026-02-12", "0%", "", "0", "yes"]],
    # E1 is the one overdue item of 10 open ones: 10% does not exceed the overdue share's 10%.
    "e": [["E1", "Late 3 days", "Not started", "2026-02-25", "2026-02-25", "2026-02-25", "0%", "", "0", "yes"]]
    + [[f"E{i}", f"Later {i}", "Not started", "2026-03-02", "2026-03-20", "", "0%", "", "8"] for i in range(2, 11)],
    "f": [["F1", "Stuck", "Blocked", "2026-03-02", "2026-03-20", "", "0%", "", "8"]],
    "g": [["G1", "Risky", "In progress", "2026-03-02", "2026-03-20", "", "10%", "", "8"]],
    "h": [["H1", "Drifting", "In progress", "2026-03-02", "2026-03-20", "", "10%", "", "8", "", "", "2026-03-02",
           "2026-03-10"]],
    "i": [["I1", "Fine", "In progress", "2026-03-02", "2026-03-20", "", "10%", "", "8"]],
    "j": [["J1", "Overspent", "Done", "2026-01-05", "2026-01-30", "", "100%", "", "8", "", "", "2026-01-05",
           "2026-01-30", "1000", "1080"]],
    # Deployment: Sam has 30 h and 20 h in the week of 9 March, 10 h the week after.
    "s1": [["S1", "Sam's first", "Not started", "2026-03-09", "2026-03-13", "", "0%", "Sam Lee", "30"],
           ["S3", "Sam's third", "Not started", "2026-03-16", "2026-03-20", "", "0%", "Sam Lee", "10"]],
    "s2": [["S2", "Sam's second", "Not started", "2026-03-09", "2026-03-13", "", "0%", "Sam Lee", "20"]],
    # Slip: K1 should have finished 20 Feb and is still open; L1 was to start 25 Feb after it.
    "k": [["K1", "Predecessor", "In progress", "2026-02-09", "2026-02-20", "", "50%", "", "40"]],
    "l": [["L1", "Successor", "Not started", "2026-02-25", "2026-03-06", "", "0%", "", "40", "", "k!K1"]],
}
RISKS = [["Risk", "Project", "Probability", "Impact", "Status", "Due"],
         ["Regulator may reject", "g", "High", "Very high", "Open", "2026-02-01"]]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, duckdb.DuckDBPyConnection]:
    folder = tmp_path_factory.mktemp("metrics")
    for name, rows in PROJECTS.items():
        write_csv(folder / "sheets" / f"{name}.csv", HEADER, rows)
    with (folder / "risks.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(RISKS)
    projects = "\n".join(f"      - {{id: {n}, name: Project {n.upper()}, source: sheets, key: {n}.csv}}"
                         for n in PROJECTS if n not in ("a", "b"))
    (folder / "portfolio.yaml").write_text(f"""
warehouse: var/w.duckdb
as_of: 2026-03-02
programs:
  - id: rollup
    name: Rollup program
    projects:
      - {{id: a, name: Project A, source: sheets, key: a.csv}}
      - {{id: b, name: Project B, source: sheets, key: b.csv}}
  - id: rest
    name: Everything else
    projects:
{projects}
sources:
  - {{id: sheets, kind: spreadsheet, path: sheets/*.csv}}
  - {{id: risk-log, kind: spreadsheet, path: risks.csv}}
""")
    config = folder / "portfolio.yaml"
    # The metrics' SQL numbers are under test, not Dagster: build directly (extract + models + publish).
    build_directly(config)
    build_directly(config)  # the same day twice: snapshots must not double
    return folder, duckdb.connect(str(load_portfolio(config).warehouse), read_only=True)


def health(con: duckdb.DuckDBPyConnection, project: str) -> dict:
    frame = con.execute("SELECT * FROM marts.project_health WHERE project_id = ?", [project]).df()
    return frame.iloc[0].to_dict()


def test_program_rollup_sums_first_and_takes_ratios_after(warehouse) -> None:
    _, con = warehouse
    pct = con.execute("SELECT pct_complete_work FROM marts.program_rollup WHERE program_id = 'rollup'").fetchone()[0]
    assert pct == pytest.approx(100 * (100 * 0.10 + 90 * 1.0) / 190)  # 52.63
    assert pct != pytest.approx((10 + 100) / 2)  # what averaging the projects would say


def test_earned_value_follows_the_pmbok_formulas(warehouse) -> None:
    _, con = warehouse
    c = health(con, "c")
    # Baseline Mon 2 Feb - Wed 4 Mar holds 23 working days (4 weeks of 5, then 2-4 Mar); before
    # today (Mon 2 Mar) 20 of them have passed, so PV = 1000 x 20/23 = 869.57 and SPI = 0.575.
    pv = 1000 * 20 / 23
    assert c["bac"] == 1000 and c["pv"] == pytest.approx(pv) and c["ev"] == 500 and c["ac"] == 600
    assert c["spi"] == pytest.approx(500 / pv) and c["cpi"] == pytest.approx(500 / 600)
    assert c["eac"] == pytest.approx(1200) and c["vac"] == pytest.approx(-200)
    assert c["rag"] == "red" and "SPI 0.5" in c["rag_reasons"] and "CPI 0.83 below 0.9" in c["rag_reasons"]
    # No baseline costs: every EV figure is NULL, never 0.
    a = health(con, "a")
    assert all(a[k] is None or a[k] != a[k] for k in ("pv", "ev", "bac", "spi", "cpi", "eac", "vac"))


@pytest.mark.parametrize(("project", "rag", "reason"), [
    # D1 is also 1 of 1 open items overdue: 100% is above the red overdue share (25%).
    ("d", "red", "a milestone is 12 working days late; 1 of 1 open items overdue, above 0.25"),
    ("e", "amber", "1 milestone(s) late"),
    ("f", "amber", "1 item(s) blocked"),
    ("g", "red", "1 high risk(s) open past due"),
    ("h", "amber", "forecast finish 8 working days after baseline"),
    ("j", "amber", "CPI 0.93 below 0.95"),
    ("i", "green", ""),
])
def test_each_rag_rule(warehouse, project: str, rag: str, reason: str) -> None:
    _, con = warehouse
    row = health(con, project)
    assert row["rag"] == rag
    assert row["rag_reasons"] == reason


def test_milestones_overdue_and_schedule(warehouse) -> None:
    _, con = warehouse
    d, h = health(con, "d"), health(con, "h")
    assert (d["milestones_total"], d["milestones_late"], d["overdue_items"]) == (1, 1, 1)
    assert d["forecast_finish"].date() == dt.date(2026, 3, 2)  # an open milestone past its date: today
    assert h["schedule_variance_days"] == 8 and h["baseline_finish"].date() == dt.date(2026, 3, 10)


def test_a_shared_person_overallocated_in_one_week_only(warehouse) -> None:
    _, con = warehouse
    weeks = con.execute("SELECT week_start, demand_hours, utilisation, is_overallocated, project_ids "
                        "FROM marts.resource_deployment ORDER BY week_start").fetchall()
    assert weeks == [(dt.date(2026, 3, 9), 50.0, 1.25, True, ["s1", "s2"]),
                     (dt.date(2026, 3, 16), 10.0, 0.25, False, ["s1"])]
    shared = con.execute("SELECT strength FROM marts.cross_project_linkages WHERE project_id_a = 's1' "
                         "AND project_id_b = 's2' AND linkage_type = 'shared_resource'").fetchone()[0]
    assert shared == 20.0  # min(30, 20) in the one week both need Sam
    finding = con.execute("SELECT detail FROM marts.data_quality WHERE check_name = 'overallocated_resource'"
                          ).fetchone()[0]
    assert "in 1 week(s), at most 125%" in finding


def test_a_cross_project_slip_propagates(warehouse) -> None:
    _, con = warehouse
    row = con.execute("SELECT strength, slip_days FROM marts.cross_project_linkages "
                      "WHERE project_id_a = 'k' AND project_id_b = 'l' AND linkage_type = 'dependency'").fetchone()
    # K1 now ends today (Mon 2 Mar), so L1 (FS) may start Tue 3 Mar, not its planned Wed 25 Feb:
    # 26 Feb, 27 Feb, 2 Mar, 3 Mar = 4 working days past its plan (issue #10 rule 2).
    assert row == (1.0, 4)


def test_a_snapshot_run_twice_the_same_day_is_kept_once(warehouse) -> None:
    _, con = warehouse
    per_day = con.execute("SELECT snapshot_date, count(*), count(DISTINCT project_id) "
                          "FROM history.project_health_snapshots GROUP BY 1").fetchall()
    projects = con.execute("SELECT count(*) FROM core.projects").fetchone()[0]
    assert per_day == [(dt.date(2026, 3, 2), projects, projects)]
    items = con.execute("SELECT count(*), count(DISTINCT work_item_id) FROM history.work_item_snapshots").fetchone()
    assert items[0] == items[1]
