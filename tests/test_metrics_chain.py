"""Issue #10 rules 2, 9 and 10, each on a small portfolio whose answers are worked out by hand in the
test (docs/metrics.md: "Slip through chains", "Linkages", "Deployment"). Today is Monday 2 March 2026."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from conftest import build_directly, write_csv

from pipelines.config import load_portfolio

# The models' SQL numbers are under test, not Dagster: the direct build (extract + models + publish)
# runs the same steps as a sync without the Dagster run around them.
pytestmark = pytest.mark.pipeline

HEADER = ["ID", "Task", "Status", "Start", "Finish", "% Complete", "Owner", "Work", "Depends on", "System"]
PROJECTS: dict[str, list[list[str]]] = {
    # Rule 2. A1 was to finish Thu 19 Feb and is still open, so it now forecasts today (Mon 2 Mar):
    # 20, 23, 24, 25, 26, 27 Feb and 2 Mar = 7 working days late.
    "a": [["A1", "Foundation", "In progress", "2026-02-09", "2026-02-19", "50%"]],
    # FS on A1: planned for Fri 20 Feb - Thu 26 Feb, the working days right after A1's plan.
    "b": [["B1", "Build", "Not started", "2026-02-20", "2026-02-26", "0%", "", "", "a!A1"]],
    # C1 is FS+5d on B1: planned Fri 6 Mar (the working day after B1's planned finish, + 5) - Thu 12 Mar.
    # C0 is SS on A1: it may start once A1 has started (9 Feb), so its plan (Mon 23 Feb) holds.
    "c": [["C1", "Launch", "Not started", "2026-03-06", "2026-03-12", "0%", "", "", "b!B1FS+5d"],
          ["C0", "Prepare", "Not started", "2026-02-23", "2026-03-06", "0%", "", "", "a!A1SS"]],
    # FS on A1 as well, but already done: a done successor is never pushed.
    "e": [["E1", "Done early", "Done", "2026-02-20", "2026-02-26", "100%", "", "", "a!A1"]],
    # A cycle: F1 waits for F2 and F2 for F1.
    "f": [["F1", "Chicken", "Not started", "2026-03-09", "2026-03-13", "0%", "", "", "F2"],
          ["F2", "Egg", "Not started", "2026-03-16", "2026-03-20", "0%", "", "", "F1"]],
    # Rule 9. The config says g and h both touch the Ledger; only G1 and H1 touch it in their items.
    "g": [["G1", "Ledger change", "Not started", "2026-04-01", "2026-04-10", "0%", "", "", "", "Ledger"],
          ["G2", "Other work", "Not started", "2026-03-02", "2026-06-30", "0%"]],
    "h": [["H1", "Ledger feed", "Not started", "2026-04-08", "2026-04-20", "0%", "", "", "", "LEDGER "],
          ["H2", "Other work", "Not started", "2026-03-02", "2026-03-31", "0%"]],
    "i": [["I1", "Ledger report", "Not started", "2026-05-01", "2026-05-15", "0%", "", "", "", "Ledger"],
          ["I2", "Other work", "Not started", "2026-04-01", "2026-04-30", "0%"]],
    # Payments is named only in the config for j and k: their project windows stand in.
    "j": [["J1", "Anything", "Not started", "2026-03-02", "2026-03-13", "0%"]],
    "k": [["K1", "Anything", "Not started", "2026-03-09", "2026-03-20", "0%"]],
    # Rule 10. One person spelled two ways; a weekend-only assignment; a span starting on a Saturday.
    "p1": [["P1", "Accented", "Not started", "2026-03-09", "2026-03-13", "0%", "José Núñez", "10"]],
    "p2": [["P2", "Plain", "Not started", "2026-03-09", "2026-03-13", "0%", "JOSE NUNEZ", "20"]],
    "p3": [["P3", "Weekend", "Not started", "2026-03-07", "2026-03-08", "0%", "Wendy Day", "6"]],
    "p4": [["P4", "From Saturday", "Not started", "2026-03-14", "2026-03-20", "0%", "Zed Zero", "10"]],
    "p5": [["P5", "Week before", "Not started", "2026-03-09", "2026-03-13", "0%", "Zed Zero", "8"]],
}
SYSTEMS = {"g": "[Ledger]", "h": "[Ledger]", "i": "[Ledger]", "j": "[Payments]", "k": "[Payments]"}


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    folder = tmp_path_factory.mktemp("chain")
    for name, rows in PROJECTS.items():
        write_csv(folder / "sheets" / f"{name}.csv", HEADER, rows)
    projects = "\n".join(
        f"      - {{id: {n}, name: Project {n.upper()}, source: sheets, key: {n}.csv"
        + (f", systems: {SYSTEMS[n]}" if n in SYSTEMS else "") + "}"
        for n in PROJECTS)
    (folder / "portfolio.yaml").write_text(f"""
warehouse: var/w.duckdb
as_of: 2026-03-02
programs:
  - id: all
    name: Everything
    projects:
{projects}
sources:
  - {{id: sheets, kind: spreadsheet, path: sheets/*.csv}}
""", encoding="utf-8")
    build_directly(folder / "portfolio.yaml")
    return duckdb.connect(str(load_portfolio(folder / "portfolio.yaml").warehouse), read_only=True)


def slip(con: duckdb.DuckDBPyConnection, a: str, b: str) -> int:
    return con.execute("SELECT slip_days FROM marts.cross_project_linkages WHERE project_id_a = ? "
                       "AND project_id_b = ? AND linkage_type = 'dependency'", [a, b]).fetchone()[0]


def health(con: duckdb.DuckDBPyConnection, project: str) -> tuple:
    return con.execute("SELECT forecast_finish, rag, rag_reasons FROM marts.project_health WHERE project_id = ?",
                       [project]).fetchone()


def test_a_seven_day_slip_pushes_the_whole_fs_chain(con) -> None:
    # B1 may start the working day after A1's forecast (Tue 3 Mar) instead of Fri 20 Feb:
    # 23, 24, 25, 26, 27 Feb, 2, 3 Mar = 7 working days; it then ends Thu 26 Feb + 7 = Mon 9 Mar.
    assert slip(con, "a", "b") == 7
    finish, rag, reasons = health(con, "b")
    assert finish == dt.date(2026, 3, 9)
    # B1 (planned finish Thu 26 Feb) is also still open past its date: 1 of 1 open items overdue,
    # above the red overdue share (25%, issue #10 rule 4), so B is red with the push beside it.
    assert rag == "red" and reasons == "1 of 1 open items overdue, above 0.25; pushed 7 working days by Project A"


def test_the_fs_lag_is_counted_in_working_days(con) -> None:
    # C1 (FS+5d) may start the working day after Mon 9 Mar (Tue 10) + 5 = Tue 17 Mar instead of Fri 6 Mar:
    # 9, 10, 11, 12, 13, 16, 17 Mar = 7 working days (without the lag it would be 2). Thu 12 Mar + 7 = Mon 23 Mar.
    assert slip(con, "b", "c") == 7
    finish, rag, reasons = health(con, "c")
    assert finish == dt.date(2026, 3, 23)
    assert rag == "amber" and reasons == "pushed 7 working days by Project B"


def test_an_ss_link_reports_no_slip_an_fs_link_would(con) -> None:
    # C0 starts Mon 23 Feb, after A1 started (9 Feb): SS holds. Read as FS it would wait until Tue 3 Mar.
    assert slip(con, "a", "c") == 0
    pairs = con.execute("SELECT project_id_a, project_id_b FROM marts.cross_project_linkages "
                        "WHERE linkage_type = 'dependency' ORDER BY ALL").fetchall()
    assert pairs == [("a", "b"), ("a", "c"), ("a", "e"), ("b", "c")]


def test_a_done_successor_is_never_pushed(con) -> None:
    assert slip(con, "a", "e") == 0
    _, rag, reasons = health(con, "e")
    assert rag == "green" and reasons == ""


def test_a_cycle_is_reported_and_does_not_loop(con) -> None:
    cycles = con.execute("SELECT count(*) FROM marts.data_quality WHERE check_name = 'dependency_cycle' "
                         "AND object_key LIKE 'sheets:f.csv%'").fetchone()[0]
    assert cycles == 2  # F1 and F2 each reach themselves
    finish, rag, reasons = health(con, "f")
    assert finish == dt.date(2026, 3, 20) and "pushed" not in reasons  # its own plan, not pushed round


def test_integration_windows_come_from_the_items_touching_the_system(con) -> None:
    points = con.execute("SELECT project_id_a, project_id_b, strength, evidence FROM marts.cross_project_linkages "
                         "WHERE linkage_type = 'integration_point' ORDER BY ALL").fetchall()
    # g-h: G1 1-10 Apr and H1 8-20 Apr overlap 8, 9, 10 Apr = 3 days (the projects' windows would say 13:
    # 8 Apr - 20 Apr inside g's 2 Mar - 30 Jun). i (1-15 May) meets neither: no point, though all share the Ledger.
    # j-k name Payments only in the config: project windows 2-13 Mar and 9-20 Mar overlap 9-13 Mar = 5 days.
    assert [(a, b, s) for a, b, s, _ in points] == [("g", "h", 3.0), ("j", "k", 5.0)]
    assert points[0][3] == "Ledger changed by both from 2026-04-08 to 2026-04-10"
    shared = con.execute("SELECT project_id_a, project_id_b FROM marts.cross_project_linkages "
                         "WHERE linkage_type = 'shared_system' AND lower(trim(evidence)) = 'ledger' ORDER BY ALL").fetchall()
    assert shared == [("g", "h"), ("g", "i"), ("h", "i")]


def test_an_accented_name_spelled_two_ways_is_one_person(con) -> None:
    people = con.execute("SELECT resource_id, name FROM core.resources WHERE resource_id LIKE '%nunez%'").fetchall()
    assert len(people) == 1 and people[0][0] == "name:jose nunez"
    week = con.execute("SELECT week_start, demand_hours, project_ids FROM marts.resource_deployment "
                       "WHERE resource_id = 'name:jose nunez'").fetchall()
    assert week == [(dt.date(2026, 3, 9), 30.0, ["p1", "p2"])]  # 10 h + 20 h in the week of 9 March
    shared = con.execute("SELECT strength FROM marts.cross_project_linkages WHERE project_id_a = 'p1' "
                         "AND project_id_b = 'p2' AND linkage_type = 'shared_resource'").fetchone()
    assert shared == (10.0,)  # min(10, 20)


def test_a_weekend_only_assignment_counts_on_the_nearest_working_day(con) -> None:
    # Sat 7 - Sun 8 March holds no working day: the 6 h count on Friday 6 March (nearest its start),
    # in the week of Monday 2 March, and the finding says so.
    weeks = con.execute("SELECT week_start, demand_hours FROM marts.resource_deployment "
                        "WHERE resource_id = 'name:wendy day'").fetchall()
    assert weeks == [(dt.date(2026, 3, 2), 6.0)]
    detail = con.execute("SELECT detail FROM marts.data_quality WHERE check_name = 'assignment_without_working_day'"
                         ).fetchall()
    assert len(detail) == 1
    assert "from 2026-03-07 to 2026-03-08" in detail[0][0] and "counted on 2026-03-06" in detail[0][0]


def test_no_zero_hour_rows_and_no_zero_strength_links(con) -> None:
    # P4 runs Sat 14 - Fri 20 Mar: all 10 h in the week of 16 Mar (5 working days), none in the week of 9 Mar,
    # so Zed shares no week between p4 and p5 (P5 is the week of 9 Mar only).
    zed = con.execute("SELECT week_start, demand_hours FROM marts.resource_deployment "
                      "WHERE resource_id = 'name:zed zero' ORDER BY week_start").fetchall()
    assert zed == [(dt.date(2026, 3, 9), 8.0), (dt.date(2026, 3, 16), 10.0)]
    zero = con.execute("SELECT (SELECT count(*) FROM marts.resource_deployment WHERE demand_hours <= 0)"
                       " + (SELECT count(*) FROM marts.program_team_deployment WHERE demand_hours <= 0)"
                       " + (SELECT count(*) FROM marts.cross_project_linkages WHERE linkage_type = 'shared_resource'"
                       "    AND strength <= 0)").fetchone()[0]
    assert zero == 0
    p4p5 = con.execute("SELECT count(*) FROM marts.cross_project_linkages WHERE project_id_a = 'p4' "
                       "AND project_id_b = 'p5'").fetchone()[0]
    assert p4p5 == 0
