"""Issue #10 rules 3, 6 and 12, worked out by hand on a purpose-built portfolio: reported status and
watermelons, what counts as work, and traceable, deterministic tables.

Day 1 is Monday 2 March 2026, day 2 Tuesday 3 March (the same inputs, except project y's tracker)."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import build_directly

from pipelines.config import load_portfolio
from pipelines.run import run_sync
from warehouse.db import MACROS

pytestmark = pytest.mark.pipeline  # every test here runs the whole pipeline

HEADER = ["ID", "Task", "Status", "Start", "Finish", "Due", "% Complete", "Work", "Milestone", "Owner", "Team"]
TRACKERS = {
    # A milestone due Thu 12 Feb, not started: 12 working days late on 2 Mar, 13 on 3 Mar, both
    # past the 10-day red threshold -> red on both days, for the same rule.
    # Sam Lee is in team Platform here and Apps in z.csv: a tie, broken alphabetically (Apps).
    "w": [["W1", "Go-live", "Not started", "2026-02-12", "2026-02-12", "2026-02-12", "0%", "0", "yes", "Sam Lee",
           "Platform"]],
    # Day 1: one blocked item -> amber ("item(s) blocked"). Day 2: see Y_DAY2.
    "y": [["Y1", "Stuck", "Blocked", "2026-03-02", "2026-03-20", "", "0%", "8", ""]],
    # Nothing late or blocked -> green.
    "z": [["Z1", "Fine", "In progress", "2026-03-02", "2026-03-20", "", "10%", "8", "", "Sam Lee", "Apps"]],
}
# Day 2: Y1 unblocked, but a milestone due Fri 27 Feb is open -> amber for a *different* rule. Nine
# more items on time keep the overdue share at 1 of 11 open items (9% <= 10%), so only the late
# milestone fires.
Y_DAY2 = [["Y1", "Stuck", "In progress", "2026-03-02", "2026-03-20", "", "10%", "8", ""],
          ["Y2", "Sign-off", "Not started", "2026-02-27", "2026-02-27", "2026-02-27", "0%", "0", "yes"],
          *[[f"Y{i}", f"On time {i}", "In progress", "2026-03-02", "2026-03-20", "", "10%", "8", ""]
            for i in range(3, 12)]]
# The status register: Project + RAG + Date and no task-name column. For w the latest row on or
# before as_of is Green of 27 Feb; the Red of 13 Feb is history and the Amber of 9 Mar is in the future.
REGISTER = [["Project", "RAG", "Date", "Reported by", "Comment"],
            ["w", "Red", "2026-02-13", "Wes", "vendor late"],
            ["w", "Green", "2026-02-27", "Wes", "back on track"],
            ["w", "Amber", "2026-03-09", "Wes", "not yet"],
            ["y", "On track", "2026-02-26", "Yan", ""]]
RISKS = [["ID", "Risk", "Project", "Probability", "Impact", "Status", "Due"],
         # Three open risks on z at severity 4 x 4 = 16: the earliest due wins (R3, 20 Mar); R1 and
         # R2 tie on due date too and would be next by risk_id.
         ["R2", "Beta", "z", "4", "4", "Open", "2026-04-01"],
         ["R1", "Gamma", "z", "4", "4", "Open", "2026-04-01"],
         ["R3", "Alpha", "z", "4", "4", "Open", "2026-03-20"]]
JIRA_HEADER = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key", "Project name",
               "Created", "Updated", "Time Spent", "Remaining Estimate", "Parent", "Custom field (Project health)"]
JIRA_ROWS = [
    # FIN-1 is the parent of FIN-2 and FIN-3: a summary, not an item.
    ["Ledger epic", "FIN-1", "501", "Epic", "In Progress", "FIN", "Finance", "02/Jan/26 9:00 AM",
     "02/Jan/26 9:00 AM", "", "", "", ""],
    # Done with 1 h spent and 4 h remaining: 20% by time tracking, but done is 100%.
    ["Post journals", "FIN-2", "502", "Story", "Done", "FIN", "Finance", "03/Jan/26 9:00 AM",
     "03/Jan/26 9:00 AM", "3600", "14400", "501", ""],
    ["Close the month", "FIN-3", "503", "Story", "To Do", "FIN", "Finance", "04/Jan/26 9:00 AM",
     "04/Jan/26 9:00 AM", "", "", "501", ""],
    # A status report issue: what FIN reports (Green, 20 Feb); not a work item.
    ["Week 8 status", "FIN-4", "504", "Status report", "Done", "FIN", "Finance", "20/Feb/26 9:00 AM",
     "20/Feb/26 9:00 AM", "", "", "", "Green"],
]
NS = "http://schemas.microsoft.com/project"
HEALTH_FIELD = "188743731"  # Text1
PLAN = f"""<?xml version="1.0"?>
<Project xmlns="{NS}"><Name>Plan</Name><StatusDate>2026-02-27T17:00:00</StatusDate>
<ExtendedAttributes><ExtendedAttribute><FieldID>{HEALTH_FIELD}</FieldID><FieldName>Text1</FieldName>
<Alias>Health</Alias></ExtendedAttribute></ExtendedAttributes>
<Tasks>
<Task><UID>0</UID><ID>0</ID><Name>Plan</Name><OutlineLevel>0</OutlineLevel>
<ExtendedAttribute><FieldID>{HEALTH_FIELD}</FieldID><Value>Amber</Value></ExtendedAttribute></Task>
<Task><UID>1</UID><ID>1</ID><Name>Build</Name><OutlineLevel>1</OutlineLevel><Active>1</Active>
<Start>2026-03-02T08:00:00</Start><Finish>2026-03-13T17:00:00</Finish><Work>PT80H0M0S</Work>
<PercentComplete>50</PercentComplete></Task>
<Task><UID>2</UID><ID>2</ID><Name>Dropped</Name><OutlineLevel>1</OutlineLevel><Active>0</Active>
<Start>2026-03-02T08:00:00</Start><Finish>2026-03-06T17:00:00</Finish><Work>PT40H0M0S</Work>
<PercentComplete>0</PercentComplete></Task>
</Tasks></Project>
"""


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _portfolio(folder: Path, as_of: str) -> Path:
    config = folder / "portfolio.yaml"
    config.write_text(f"""
warehouse: var/w.duckdb
as_of: {as_of}
programs:
  - id: rest
    name: Everything
    projects:
      - {{id: w, name: Project W, source: sheets, key: w.csv}}
      - {{id: y, name: Project Y, source: sheets, key: y.csv}}
      - {{id: z, name: Project Z, source: sheets, key: z.csv, reported_status: On track,
          reported_at: 2026-02-10, reported_by: Zoe}}
      - {{id: fin, name: Finance, source: jira, key: FIN}}
      - {{id: plan, name: Plan, source: plans, key: plan.xml}}
sources:
  - {{id: sheets, kind: spreadsheet, path: sheets/*.csv}}
  - {{id: register, kind: spreadsheet, path: register.csv}}
  - {{id: risk-log, kind: spreadsheet, path: risks.csv}}
  - {{id: jira, kind: jira_csv, path: jira.csv, timezone: Europe/London, fields: {{reported_status: Project health}}}}
  - {{id: plans, kind: msproject, path: plan.xml, attributes: {{reported_status: Health}}}}
""")
    return config


@pytest.fixture(scope="module")
def days(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection]:
    """The portfolio synced on day 1, then on day 2; a read-only copy of each published file."""
    folder = tmp_path_factory.mktemp("reported")
    (folder / "sheets").mkdir()
    for name, rows in TRACKERS.items():
        _write_csv(folder / "sheets" / f"{name}.csv", [HEADER, *rows])
    _write_csv(folder / "register.csv", REGISTER)
    _write_csv(folder / "risks.csv", RISKS)
    _write_csv(folder / "jira.csv", [JIRA_HEADER, *JIRA_ROWS])
    (folder / "plan.xml").write_text(PLAN)
    # The rules' SQL numbers are under test, not Dagster: build directly (extract + models + publish).
    build_directly(_portfolio(folder, "2026-03-02"))
    published = load_portfolio(folder / "portfolio.yaml").warehouse
    day1 = shutil.copy(published, folder / "day1.duckdb")
    _write_csv(folder / "sheets" / "y.csv", [HEADER, *Y_DAY2])
    build_directly(_portfolio(folder, "2026-03-03"))
    return duckdb.connect(str(day1), read_only=True), duckdb.connect(str(published), read_only=True)


def _health(con: duckdb.DuckDBPyConnection, project: str) -> dict:
    return con.execute("SELECT * FROM marts.project_health WHERE project_id = ?", [project]).df().iloc[0].to_dict()


def test_reported_green_computed_red_two_snapshots_running_is_a_watermelon(days) -> None:
    day1, day2 = days
    w1, w2 = _health(day1, "w"), _health(day2, "w")
    # The register's latest row on or before as_of: Green of 27 Feb (not the future Amber of 9 Mar).
    assert (w2["reported_status"], str(w2["reported_at"])[:10], w2["reported_by"]) == ("Green", "2026-02-27", "Wes")
    assert w1["rag"] == w2["rag"] == "red"  # 12, then 13 working days late: past the 10-day threshold
    assert w1["status_mismatch"] and w2["status_mismatch"]
    assert not w1["watermelon"]  # no earlier snapshot to confirm it yet
    assert w2["watermelon"]  # green reported, red computed for the same rule on 2 and 3 March


def test_the_same_colour_for_a_different_rule_is_no_watermelon(days) -> None:
    day1, day2 = days
    y1, y2 = _health(day1, "y"), _health(day2, "y")
    assert y1["reported_status"] == y2["reported_status"] == "On track"
    assert y1["rag"] == y2["rag"] == "amber"  # blocked item on day 1, late milestone on day 2
    assert "blocked" in y1["rag_reasons"] and "milestone" in y2["rag_reasons"]
    assert not y2["watermelon"]


def test_earlier_register_rows_are_history_and_later_ones_wait(days) -> None:
    _, day2 = days
    rows = day2.execute("SELECT reported_status, is_latest FROM core.status_reports WHERE project_id = 'w' "
                        "ORDER BY reported_at").fetchall()
    assert rows == [("Red", False), ("Green", True), ("Amber", False)]


def test_a_report_older_than_14_days_is_a_data_quality_warning(days) -> None:
    _, day2 = days
    z = _health(day2, "z")
    # Reported 10 Feb, checked 3 Mar: 21 days old > 14 -> stale; on track = green = computed green.
    assert (z["reported_status"], z["is_report_stale"], z["status_mismatch"]) == ("On track", True, False)
    stale = day2.execute("SELECT object_key, severity FROM marts.data_quality "
                         "WHERE check_name = 'stale_status_report'").fetchall()
    assert stale == [("z", "warning")]  # w (27 Feb, 4 days) and y (26 Feb, 5 days) are recent


def test_an_ms_project_custom_field_alias_is_the_reported_status(days) -> None:
    _, day2 = days
    plan = _health(day2, "plan")
    assert (plan["reported_status"], str(plan["reported_at"])[:10]) == ("Amber", "2026-02-27")  # the status date


def test_an_inactive_ms_project_task_is_cancelled(days) -> None:
    _, day2 = days
    plan = _health(day2, "plan")
    # Only Build counts: 80 h at 50%. Counting Dropped would give 120 h and 80 x 50% / 120 = 33.3%.
    assert (plan["items_total"], plan["items_cancelled"]) == (2, 1)
    assert plan["work_hours_total"] == pytest.approx(80)
    assert plan["pct_complete_work"] == pytest.approx(50)
    status = day2.execute("SELECT status FROM core.work_items WHERE work_item_id = 'plans:plan.xml#2'").fetchone()
    assert status == ("cancelled",)


def test_a_jira_epic_with_children_is_a_summary_and_done_is_100_percent(days) -> None:
    _, day2 = days
    items = {key: rest for key, *rest in day2.execute(
        "SELECT source_key, is_summary, percent_complete FROM core.work_items WHERE project_id = 'fin'").fetchall()}
    assert items["FIN-1"][0] is True
    assert items["FIN-2"] == [False, 100.0]  # done, though 1 h of 1 + 4 h was spent (20% by time)
    fin = _health(day2, "fin")
    # The epic is not an item: 2 items, 1 done -> 50% by count.
    assert (fin["items_total"], fin["items_done"], fin["pct_complete_count"]) == (2, 1, 50)


def test_a_jira_status_report_issue_is_the_reported_status_and_not_work(days) -> None:
    _, day2 = days
    fin = _health(day2, "fin")
    assert (fin["reported_status"], str(fin["reported_at"])[:10]) == ("Green", "2026-02-20")
    keys = {k for (k,) in day2.execute("SELECT source_key FROM core.work_items WHERE project_id = 'fin'").fetchall()}
    assert keys == {"FIN-1", "FIN-2", "FIN-3"}  # FIN-4, the report, is not an item


def test_a_tie_on_top_risk_goes_to_the_earliest_due(days) -> None:
    _, day2 = days
    assert (_health(day2, "z")["top_risk"], _health(day2, "z")["top_risk_severity"]) == ("Alpha", 16)


def test_a_tie_on_a_persons_team_goes_to_the_first_in_order(days) -> None:
    _, day2 = days
    assert day2.execute("SELECT team FROM core.resources WHERE name = 'Sam Lee'").fetchall() == [("Apps",)]


def test_every_work_item_and_project_has_a_locator(days) -> None:
    _, day2 = days
    urls = dict(day2.execute("SELECT work_item_id, source_url FROM core.work_items").fetchall())
    assert urls["sheets:w.csv#w#W1"] == "w.csv!w!2"  # a CSV's sheet is its file stem; the header is row 1
    assert urls["plans:plan.xml#1"] == "plan.xml#1"
    assert urls["jira:FIN-2"] is None  # a CSV export has no site to browse
    assert _health(day2, "plan")["detail_url"] == "plan.xml"
    report = day2.execute("SELECT source_url FROM core.status_reports WHERE is_latest AND project_id = 'w'").fetchone()
    assert report == ("register.csv!register!3",)  # Green of 27 Feb is the register's third row


def test_published_tables_are_written_in_key_order(days) -> None:
    _, day2 = days
    for table, key in (("marts.project_health", "project_id"), ("core.work_items", "work_item_id"),
                       ("core.status_reports", "report_id")):
        written = [k for (k,) in day2.execute(f"SELECT {key} FROM {table}").fetchall()]  # no ORDER BY: as stored
        assert written == sorted(written), table


RUN_COLUMNS = re.compile(r"^(source_refreshed_at|started_at|last_attempt_at|last_success_at|load_id|last_load_id)$")


def _contents(path: Path) -> dict[str, list[tuple]]:
    """Every published table (meta aside: run bookkeeping), rows in the order written, run timestamps
    dropped; floats as stored, to the bit (sums of fractional hours are exact_sum, macros/stable.sql)."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                             "WHERE schema_name <> 'meta' ORDER BY 1, 2").fetchall()
        out = {}
        for schema, table in tables:
            columns = [c for (c,) in con.execute(f'SELECT column_name FROM (DESCRIBE "{schema}"."{table}")').fetchall()
                       if not RUN_COLUMNS.match(c)]
            select = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f'SELECT {select} FROM "{schema}"."{table}"').fetchall()
            out[f"{schema}.{table}"] = rows
        return out


def test_two_syncs_of_the_sample_are_identical(sample_dir: Path, tmp_path: Path) -> None:
    published = []
    for name in ("one", "two"):
        folder = shutil.copytree(sample_dir, tmp_path / name)
        report = run_sync(load_portfolio(folder / "portfolio.yaml"))
        assert report.success, report
        published.append(report.published)
    first, second = (_contents(p) for p in published)
    assert first.keys() == second.keys()
    for table in first:
        assert first[table] == second[table], table


def test_exact_sum_gives_the_same_bits_in_any_order() -> None:
    """Rule 12: a float sum depends on the order rows are added in (0.1 + 0.2 + 0.3 is 0.6000000000000001
    left to right, 0.6 right to left), which DuckDB's threads do not fix; exact_sum does not."""
    con = duckdb.connect()
    con.execute(next(m for m in MACROS if "MACRO exact_sum(" in m))
    orders = ["(0.1), (0.2), (0.3)", "(0.3), (0.2), (0.1)"]
    assert 0.1 + 0.2 + 0.3 != 0.3 + 0.2 + 0.1  # plain float addition: the order matters
    exact = {con.execute(f"SELECT exact_sum(x::DOUBLE) FROM (VALUES {o}) t(x)").fetchone()[0] for o in orders}
    assert exact == {0.6}


def test_the_demo_shows_a_watermelon_an_unknown_and_a_stale_report(sample_dir: Path, monkeypatch, capsys) -> None:
    """Issue #10 "Done when": `sightline demo` on the sample (a copy: the demo never writes into
    examples/ here) syncs the day before, then as_of, and shows each case. The sample generator's
    register: crm-migration reports Green while an item is blocked (the same rules fire both days),
    Onboarding's latest report (23 Oct) is 24 days old on 16 Nov; loyalty-programme's tracker is not in."""
    from pipelines import cli

    monkeypatch.setattr(cli, "DEMO_CONFIG", sample_dir / "portfolio.yaml")
    assert cli.demo() == 0
    shown = capsys.readouterr().out
    assert "watermelon" in shown and "unknown" in shown
    warehouse = load_portfolio(sample_dir / "portfolio.yaml").warehouse
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = {r[0]: r[1:] for r in con.execute(
            "SELECT project_id, reported_status, rag, watermelon, is_report_stale, rag_reasons "
            "FROM marts.project_health").fetchall()}
        days = con.execute("SELECT count(DISTINCT snapshot_date) FROM history.project_health_snapshots").fetchone()[0]
    assert days == 2
    # Computed red (its one open item is also overdue) or amber: either makes a green report a watermelon.
    assert rows["crm-migration"][0] == "Green" and rows["crm-migration"][1] in ("red", "amber")
    assert rows["crm-migration"][2] is True and "1 item(s) blocked" in rows["crm-migration"][4]
    # Onboarding's (stale) Green stands against an amber for its forecast past baseline on both days.
    assert sorted(p for p, r in rows.items() if r[2]) == ["crm-migration", "onboarding"]
    assert rows["loyalty-programme"][1] == "unknown" and rows["loyalty-programme"][4] == "no work items loaded"
    assert rows["onboarding"][0] == "Green" and rows["onboarding"][3] is True
