"""Issue #10, rules 1, 4, 5 and 7, on a purpose-built portfolio with every answer worked out by hand
from the rows below (docs/metrics.md). Today is Saturday 7 March 2026 for the main portfolio; the
milestone trend is synced on four days, 2-9 March 2026."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pytest
import xlsxwriter
from conftest import build_directly

from pipelines.config import load_portfolio

pipeline = pytest.mark.pipeline  # every test but the reader one builds a portfolio

HEADER = ["ID", "Task", "Status", "Start", "Finish", "Due", "% Complete", "Milestone",
          "Baseline Start", "Baseline Finish", "Budget", "Actual cost"]


def later(prefix: str, count: int) -> list[list[str]]:
    """Open items finishing after today: they dilute the overdue share without being overdue."""
    return [[f"{prefix}{i}", f"Later {i}", "Not started", "2026-03-09", "2026-03-20"] for i in range(count)]


def overdue(prefix: str, count: int) -> list[list[str]]:
    """Open items whose planned finish (Wed 4 Mar) is before today."""
    return [[f"{prefix}{i}", f"Overdue {i}", "In progress", "2026-03-02", "2026-03-04", "", "50%"] for i in range(count)]


PROJECTS = {
    # Rule 1. EV1: baseline Mon 2 - Fri 13 Mar = 10 working days, 5 of them (2-6 Mar) before today.
    # EV2: baseline Thu 5 - Wed 11 Mar = 5 working days (5, 6, 9, 10, 11) over 7 calendar days; 2 before today.
    # EV3 has a budget but no baseline dates: out of BAC, PV, EV and AC, and reported.
    "ev": [["EV1", "Build", "In progress", "2026-03-02", "2026-03-13", "", "50%", "", "2026-03-02", "2026-03-13",
            "1000", "400"],
           ["EV2", "Test", "In progress", "2026-03-05", "2026-03-11", "", "20%", "", "2026-03-05", "2026-03-11",
            "500", "150"],
           ["EV3", "Unplanned", "Done", "2026-03-02", "2026-03-04", "", "100%", "", "", "", "800", "900"]],
    # Rule 1: nothing planned to be done yet and nothing spent -> PV = 0, AC = 0: SPI and CPI NULL.
    "ev0": [["Z1", "Future", "Not started", "2026-03-16", "2026-03-20", "", "0%", "", "2026-03-16", "2026-03-20",
             "1000", "0"]],
    # Rule 5: M1 due Friday 6 Mar is late today (Saturday), 0 working days late (amber, not red);
    # M2 due today is not late. 1 overdue of 11 open items (9%) stays below the overdue share.
    "ms": [["M1", "Go/no-go", "Not started", "2026-03-06", "2026-03-06", "2026-03-06", "0%", "yes"],
           ["M2", "Review", "Not started", "2026-03-07", "2026-03-07", "2026-03-07", "0%", "yes"]] + later("L", 9),
    # Rule 5: a milestone without a due date is held to its baseline finish (Thu 5 Mar), not its
    # re-planned finish (Fri 20 Mar).
    "mb": [["B1", "Sign-off", "Not started", "2026-03-20", "2026-03-20", "", "0%", "yes", "2026-03-05",
            "2026-03-05"]] + later("L", 9),
    # Rule 4, overdue share: o20 2 of 10 open overdue (20%: amber); o30 3 of 10 (30%: red); o25 1 of 4
    # (25%, not above 25%: amber) where one of the 4 has an unmapped status (open) and a done item is
    # not open (had either counted the other way, 1 of 3 = 33% or 1 of 5 = 20% would show).
    "o20": overdue("X", 2) + later("L", 8),
    "o30": overdue("X", 3) + later("L", 7),
    "o25": overdue("X", 1) + later("L", 2) + [["U1", "Odd", "Pondering", "2026-03-09", "2026-03-20"],
                                              ["D1", "Done", "Done", "2026-03-02", "2026-03-03", "", "100%"]],
    # Rule 4: items with neither dates, costs nor a baseline: nothing the rules can judge.
    "nj": [["N1", "Vague", "In progress"], ["N2", "Vaguer", "Not started"]],
    # Rule 7: pb's baseline ends Tue 10 Mar, forecast Fri 13 Mar -> +3 working days (11, 12, 13);
    # pb2's baseline ends Fri 20 Mar, forecast Wed 18 Mar -> -2 (19, 20); pu has no baseline.
    "pb": [["P1", "Baselined late", "In progress", "2026-03-02", "2026-03-13", "", "20%", "", "2026-03-02",
            "2026-03-10", "700", "300"]],
    "pb2": [["Q1", "Baselined early", "In progress", "2026-03-02", "2026-03-18", "", "40%", "", "2026-03-02",
             "2026-03-20", "3000", "1000"]],
    "pu": [["R1", "Unbaselined", "In progress", "2026-03-02", "2026-04-30", "", "10%"]],
    "pu2": [["S1", "Unbaselined too", "In progress", "2026-03-02", "2026-04-30", "", "10%"]],
}
PROGRAMS = {"mixed": ["pb", "pb2", "pu"], "none": ["pu2"]}


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def project_line(project: str, source: str, key: str) -> str:
    return f"      - {{id: {project}, name: Project {project}, source: {source}, key: {key}}}"


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    folder = tmp_path_factory.mktemp("metrics_ev")
    (folder / "sheets").mkdir()
    for name, rows in PROJECTS.items():
        write_csv(folder / "sheets" / f"{name}.csv", rows)
    # A project whose source will fail on the second sync: its last good data is stale.
    book = xlsxwriter.Workbook(str(folder / "stale.xlsx"))
    sheet = book.add_worksheet("Plan")
    for number, row in enumerate([HEADER, ["T1", "Fine", "In progress", "2026-03-02", "2026-03-20", "", "10%"]]):
        sheet.write_row(number, 0, row)
    book.close()
    in_programs = {p for projects in PROGRAMS.values() for p in projects}
    rest = [project_line(p, "sheets", f"{p}.csv") for p in PROJECTS if p not in in_programs]
    rest += [project_line("nothing", "sheets", "nothing.csv"), project_line("stale", "old", "stale.xlsx")]
    programs = "".join(
        f"  - id: {program}\n    name: Program {program}\n    projects:\n"
        + "\n".join(project_line(p, "sheets", f"{p}.csv") for p in projects) + "\n"
        for program, projects in PROGRAMS.items())
    config = folder / "portfolio.yaml"
    config.write_text(f"""
warehouse: var/w.duckdb
as_of: 2026-03-07
programs:
{programs}  - id: rest
    name: Everything else
    projects:
{chr(10).join(rest)}
sources:
  - {{id: sheets, kind: spreadsheet, path: sheets/*.csv}}
  - {{id: old, kind: spreadsheet, path: stale.xlsx}}
""")
    build_directly(config)  # the rules' SQL numbers are under test, not Dagster
    (folder / "stale.xlsx").write_bytes(b"PK\x03\x04 corrupt")
    build_directly(config, failing=("old",))  # the old source failed; the rest refreshed and was published
    connection = duckdb.connect(str(load_portfolio(config).warehouse), read_only=True)
    yield connection
    connection.close()


def health(con: duckdb.DuckDBPyConnection, project: str) -> dict:
    frame = con.execute("SELECT * FROM marts.project_health WHERE project_id = ?", [project]).df()
    assert len(frame) == 1, project
    return {k: (None if v != v else v) for k, v in frame.iloc[0].to_dict().items()}  # NaN -> None


@pipeline
def test_earned_value_over_one_baseline_with_working_day_pv(con) -> None:
    ev = health(con, "ev")
    # EV1: PV 1000 x 5/10 = 500, EV 1000 x 50% = 500, AC 400.
    # EV2: PV 500 x 2/5 = 200 (calendar days would say 2/6), EV 500 x 20% = 100, AC 150.
    # EV3 (budget 800, AC 900, no baseline dates) is in none of the four.
    assert ev["bac"] == pytest.approx(1500)
    assert ev["pv"] == pytest.approx(700)
    assert ev["ev"] == pytest.approx(600)
    assert ev["ac"] == pytest.approx(550)
    assert ev["spi"] == pytest.approx(600 / 700) and ev["cpi"] == pytest.approx(600 / 550)
    assert ev["eac"] == pytest.approx(1500 / (600 / 550))


@pipeline
def test_a_budget_without_baseline_dates_is_a_finding(con) -> None:
    rows = con.execute("SELECT object_key, severity, detail FROM marts.data_quality "
                       "WHERE check_name = 'budget_without_baseline_dates'").fetchall()
    assert len(rows) == 1
    project, severity, detail = rows[0]
    assert (project, severity) == ("ev", "warning")
    assert detail.startswith("1 item(s) have a budget but no baseline dates") and "ev.csv#ev#EV3" in detail


@pipeline
def test_spi_and_cpi_are_null_when_pv_and_ac_are_zero(con) -> None:
    z = health(con, "ev0")
    assert (z["bac"], z["pv"], z["ev"], z["ac"]) == (1000, 0, 0, 0)
    assert z["spi"] is None and z["cpi"] is None and z["eac"] is None


@pipeline
def test_a_milestone_due_friday_is_late_on_saturday(con) -> None:
    ms = health(con, "ms")
    assert ms["milestones_total"] == 2 and ms["milestones_late"] == 1  # M1; M2 is due today
    # 0 working days late (Saturday follows Friday): amber, and the red threshold is not near.
    assert ms["rag"] == "amber" and ms["rag_reasons"] == "1 milestone(s) late"
    assert (ms["overdue_items"], ms["items_open"]) == (1, 11)


@pipeline
def test_a_milestone_without_due_date_is_held_to_its_baseline(con) -> None:
    mb = health(con, "mb")
    assert mb["milestones_late"] == 1 and mb["overdue_items"] == 1
    # Thu 5 Mar to Sat 7 Mar: Friday 6 Mar is the one working day late.
    assert "1 milestone(s) late" in mb["rag_reasons"]


@pipeline
@pytest.mark.parametrize(("project", "rag", "reason", "share"), [
    ("o20", "amber", "2 of 10 open items overdue, above 0.1", 2 / 10),
    ("o30", "red", "3 of 10 open items overdue, above 0.25", 3 / 10),
    ("o25", "amber", "1 of 4 open items overdue, above 0.1", 1 / 4),
])
def test_the_overdue_share_rule_at_both_thresholds(con, project: str, rag: str, reason: str, share: float) -> None:
    row = health(con, project)
    assert row["overdue_share"] == pytest.approx(share)
    assert (row["rag"], row["rag_reasons"]) == (rag, reason)


@pipeline
@pytest.mark.parametrize(("project", "reason"), [
    ("nothing", "no work items loaded"),
    ("stale", "only stale data: the last load of its source failed"),
    ("nj", "nothing the rules can judge"),
])
def test_no_false_greens(con, project: str, reason: str) -> None:
    row = health(con, project)
    assert row["rag"] == "unknown" and row["rag_reasons"].startswith(reason)


@pipeline
def test_program_schedule_variance_is_the_largest_among_baselined_projects(con) -> None:
    rows = dict(con.execute("SELECT program_id, schedule_variance_days FROM marts.program_rollup").fetchall())
    assert rows["mixed"] == 3  # max(+3, -2); pu has no baseline and is not mixed in
    assert rows["none"] is None  # no project has a baseline


@pipeline
def test_program_earned_value_sums_first(con) -> None:
    spi, cpi, pv, ev = con.execute("SELECT spi, cpi, pv, ev FROM marts.program_rollup WHERE program_id = 'mixed'"
                                   ).fetchone()
    # pb: PV 700 x 5/7 = 500 (baseline 2-10 Mar holds 7 working days), EV 700 x 20% = 140, AC 300.
    # pb2: PV 3000 x 5/15 = 1000, EV 3000 x 40% = 1200, AC 1000. pu adds nothing.
    assert (pv, ev) == (pytest.approx(1500), pytest.approx(1340))
    assert spi == pytest.approx(1340 / 1500)  # 0.893, where averaging SPIs 0.28 and 1.2 gives 0.74
    assert cpi == pytest.approx(1340 / 1300)


@pipeline
def test_program_rag_is_never_green_over_an_unknown_project(con) -> None:
    rag, unknown = con.execute("SELECT rag, projects_unknown FROM marts.program_rollup WHERE program_id = 'rest'"
                               ).fetchone()
    assert unknown == 3  # nothing, stale, nj
    assert rag == "red"  # o30 is red, which still wins over unknown


TREND_HEADER = ["ID", "Task", "Status", "Start", "Finish", "Deadline", "% Complete", "Milestone", "Actual finish"]
# Per sync day: T1's plan moves later twice (5 -> 10 -> 12 Mar) then it is done on 9 Mar;
# T2 keeps its plan (3 Mar) and deadline (4 Mar) and is only overdue.
TREND_DAYS = {
    dt.date(2026, 3, 2): ("2026-03-05", "Not started", ""),
    dt.date(2026, 3, 4): ("2026-03-10", "Not started", ""),
    dt.date(2026, 3, 6): ("2026-03-12", "In progress", ""),
    dt.date(2026, 3, 9): ("2026-03-12", "Done", "2026-03-09"),
}


@pytest.fixture(scope="module")
def trend(tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    folder = tmp_path_factory.mktemp("milestone_trend")
    config = folder / "portfolio.yaml"
    for day, (finish, status, actual) in TREND_DAYS.items():
        write_csv(folder / "plan.csv", [
            ["T1", "Launch", status, "2026-03-02", finish, "", "", "yes", actual],
            ["T2", "Handover", "Not started", "2026-03-03", "2026-03-03", "2026-03-04", "", "yes"],
        ], TREND_HEADER)
        config.write_text(f"""
warehouse: var/w.duckdb
as_of: {day.isoformat()}
programs:
  - id: p
    name: P
    projects:
      - {{id: plan, name: Plan, source: s, key: plan.csv}}
sources:
  - {{id: s, kind: spreadsheet, path: plan.csv}}
""")
        build_directly(config)  # the trend's SQL is under test, not Dagster
    with duckdb.connect(str(load_portfolio(config).warehouse), read_only=True) as connection:
        return connection.execute(
            "SELECT split_part(work_item_id, '#', -1), snapshot_date, planned_finish, deadline, actual_finish, "
            "forecast_finish, is_overdue, slip_count FROM marts.milestone_trend ORDER BY 1, 2").fetchall()


@pipeline
def test_a_milestone_re_planned_twice_slipped_twice(trend) -> None:
    d = dt.date
    t1 = [row[1:] for row in trend if row[0] == "T1"]
    assert t1 == [
        (d(2026, 3, 2), d(2026, 3, 5), None, None, d(2026, 3, 5), False, 0),
        (d(2026, 3, 4), d(2026, 3, 10), None, None, d(2026, 3, 10), False, 1),
        (d(2026, 3, 6), d(2026, 3, 12), None, None, d(2026, 3, 12), False, 2),
        # Done on 9 Mar: the actual finish is the forecast; the plan did not move, no slip.
        (d(2026, 3, 9), d(2026, 3, 12), None, d(2026, 3, 9), d(2026, 3, 9), False, 2),
    ]


@pipeline
def test_a_milestone_only_overdue_never_slips(trend) -> None:
    d = dt.date
    t2 = [(row[1], row[3], row[6], row[7]) for row in trend if row[0] == "T2"]
    # Deadline 4 Mar: overdue from the 6 Mar snapshot on (the 4th itself is not yet late); no slip.
    assert t2 == [(d(2026, 3, 2), d(2026, 3, 4), False, 0), (d(2026, 3, 4), d(2026, 3, 4), False, 0),
                  (d(2026, 3, 6), d(2026, 3, 4), True, 0), (d(2026, 3, 9), d(2026, 3, 4), True, 0)]


def test_ms_project_deadline_is_the_due_date(tmp_path: Path) -> None:
    from test_msproject import load

    # One milestone with a Deadline (Fri 6 Mar) before its planned finish (Tue 10 Mar), one without.
    tasks = "".join(
        f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>{name}</Name><OutlineLevel>1</OutlineLevel><Milestone>1</Milestone>"
        f"<Start>2026-03-10T08:00:00</Start><Finish>2026-03-10T17:00:00</Finish>{extra}</Task>"
        for uid, name, extra in [(1, "Go live", "<Deadline>2026-03-06T17:00:00</Deadline>"), (2, "Party", "")])
    (tmp_path / "plan.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Project xmlns="http://schemas.microsoft.com/project"><Name>plan'
        "</Name><Tasks><Task><UID>0</UID><ID>0</ID><Name>plan</Name><OutlineLevel>0</OutlineLevel></Task>"
        f"{tasks}</Tasks></Project>")
    (tmp_path / "wizard.csv").write_text("ID,Unique_ID,Name,Start_Date,Finish_Date,Deadline,Milestone,Outline_Level\n"
                                         "1,11,Cutover,Mon 3/9/26,Mon 3/9/26,Thu 3/5/26,Yes,1\n", encoding="utf-8")
    con, outcome = load(tmp_path, "*")
    assert outcome.ok, outcome.error
    due = dict(con.execute("SELECT source_key, due_date FROM staging.msproject__work_items").fetchall())
    assert due == {"plan.xml#1": dt.date(2026, 3, 6), "plan.xml#2": None, "wizard.csv#11": dt.date(2026, 3, 5)}
