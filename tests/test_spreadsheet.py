"""Spreadsheet connector on files the tests generate: header variants, date and percent formats,
bad rows quarantined with their row numbers while the rest loads."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from connectors import values as v
from connectors.base import SourceError, SourceSpec
from connectors.spreadsheet import SpreadsheetConnector
from pipelines.extract import load_source
from warehouse import db
from warehouse.models import build_kind_staging

# --- cell values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "day_first", "expected"),
    [
        ("2026-01-15", False, dt.date(2026, 1, 15)),
        ("2026-01-15T08:30:00Z", False, dt.date(2026, 1, 15)),
        ("15/01/2026", True, dt.date(2026, 1, 15)),
        ("1/15/2026", False, dt.date(2026, 1, 15)),
        ("03/04/2026", True, dt.date(2026, 4, 3)),
        ("03/04/2026", False, dt.date(2026, 3, 4)),
        ("15-Jan-2026", False, dt.date(2026, 1, 15)),
        ("Jan 15, 2026", True, dt.date(2026, 1, 15)),
        ("15.01.26", True, dt.date(2026, 1, 15)),
        (45658, False, dt.date(2025, 1, 1)),  # Excel's serial for 1 Jan 2025
        ("45292", False, dt.date(2024, 1, 1)),  # ... and for 1 Jan 2024, as text in a CSV
        (dt.datetime(2026, 2, 1, 9, 0), False, dt.date(2026, 2, 1)),
        ("", False, None),
    ],
)
def test_dates(cell: object, day_first: bool, expected: dt.date | None) -> None:
    assert v.parse_date(cell, day_first=day_first) == expected


def test_date_in_the_wrong_order_says_which_flag_to_set() -> None:
    with pytest.raises(v.CellError, match="day_first: false"):
        v.parse_date("1/15/2026", day_first=True)
    with pytest.raises(v.CellError, match="not a date"):
        v.parse_date("next week", day_first=True)
    with pytest.raises(v.CellError, match="not a date"):
        v.parse_date(12, day_first=True)  # a small number is not a plausible serial


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("50%", (50.0, True)), ("50", (50.0, False)), (0.5, (0.5, False)), (" 12.5 % ", (12.5, True)), ("", (None, False))],
)
def test_percentages(cell: object, expected: tuple) -> None:
    assert v.parse_percent(cell) == expected


@pytest.mark.parametrize("cell", ["150%", "-5", "half"])
def test_bad_percentages(cell: str) -> None:
    with pytest.raises(v.CellError):
        v.parse_percent(cell)


def test_hours_levels_and_flags() -> None:
    assert v.parse_hours("12h") == 12.0
    assert v.parse_hours("1.5d") == 12.0
    assert v.parse_level("High") == 4.0
    assert v.parse_level("40%") == 2.0  # 20-40% is the second fifth
    assert v.parse_bool("x") is True and v.parse_bool("No") is False
    assert v.parse_list("General Ledger; Payroll, HRIS") == ["General Ledger", "Payroll", "HRIS"]


# --- whole files through the connector, landing, raw and the connector's staging SQL ------------


def source(tmp_path: Path, **options: object) -> SourceSpec:
    return SourceSpec(id="s", kind="spreadsheet", options=options, base_dir=tmp_path)


def load(tmp_path: Path, spec: SourceSpec) -> tuple[duckdb.DuckDBPyConnection, object]:
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    db.prepare(con, {"spreadsheet": dict(SpreadsheetConnector.raw_schemas)})
    outcome = load_source(con, spec, tmp_path / "landing", retention_days=7)
    build_kind_staging(con, "spreadsheet", SpreadsheetConnector.staging_sql_dir())
    return con, outcome


def write_tracker_xlsx(path: Path) -> None:
    """A workbook as people make them: a title line, odd header words, real Excel dates,
    percent-formatted cells, a blank row, bad rows, and a risk log sheet."""
    workbook = xlsxwriter.Workbook(str(path))
    date = workbook.add_format({"num_format": "dd/mm/yyyy"})
    pct = workbook.add_format({"num_format": "0%"})
    plan = workbook.add_worksheet("Plan")
    plan.write(0, 0, "Finance tracker - exported weekly")  # row 1: a title, not the header
    plan.write_row(2, 0, ["Ref", "Activity", "State", "Begin", "End Date", "Progress", "Assigned To",
                          "Work (h)", "Milestone?", "Applications", "Predecessors"])  # row 3
    rows = [
        ["A1", "Scope", "Completed", dt.datetime(2026, 1, 5), dt.datetime(2026, 1, 9), 1.0, "Ann Lee", 16, "",
         "GL", ""],
        ["A2", "Build", "WIP", dt.datetime(2026, 1, 12), dt.datetime(2026, 2, 6), 0.25, "Bo Chen", 120, "",
         "GL; AP", "A1"],
        None,  # row 6 left blank: skipped, not quarantined
        ["A3", "Review", "On hold", dt.datetime(2026, 2, 9), "32/02/2026", 0, "Ann Lee", 8, "", "", "A2"],
        ["A4", "", "Not started", dt.datetime(2026, 2, 9), dt.datetime(2026, 2, 10), 0, "", 4, "", "", ""],
        ["A5", "Go-live", "Not started", dt.datetime(2026, 2, 20), dt.datetime(2026, 2, 20), 0, "Bo Chen", 0, "Yes",
         "GL", "A2FS+2d, Z9"],
    ]
    for offset, row in enumerate(rows):
        if row is None:
            continue
        r = 3 + offset
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                plan.write_datetime(r, c, value, date)
            elif c == 5:
                plan.write_number(r, c, value, pct)
            elif value != "":
                plan.write(r, c, value)
    risks = workbook.add_worksheet("Risk log")
    risks.write_row(0, 0, ["ID", "Risk Description", "Likelihood", "Impact", "Owner", "Status", "Response"])
    risks.write_row(1, 0, ["R1", "Vendor late", "High", 4, "Ann Lee", "Open", "Weekly calls"])
    risks.write_row(2, 0, ["R2", "Budget cut", "sometimes", 3, "Bo Chen", "Open", ""])
    workbook.close()


def test_xlsx_tracker_with_title_row_and_risk_log(tmp_path: Path) -> None:
    write_tracker_xlsx(tmp_path / "finance.xlsx")
    con, outcome = load(tmp_path, source(tmp_path, path="finance.xlsx"))
    assert outcome.ok, outcome.error

    items = {r[0]: r for r in con.execute(
        "SELECT source_key, name, status_raw, status_default, planned_start, planned_finish, percent_complete, "
        "work_hours, is_milestone, systems, assignee_key FROM staging.spreadsheet__work_items").fetchall()}
    # A4 (no name) is quarantined; A3 loads without its unreadable End Date; the blank row is no row at all.
    assert sorted(items) == ["finance.xlsx#Plan#A1", "finance.xlsx#Plan#A2", "finance.xlsx#Plan#A3",
                             "finance.xlsx#Plan#A5"]
    assert items["finance.xlsx#Plan#A3"][1] == "Review" and items["finance.xlsx#Plan#A3"][5] is None
    scope = items["finance.xlsx#Plan#A1"]
    assert scope[1:6] == ("Scope", "Completed", "done", dt.date(2026, 1, 5), dt.date(2026, 1, 9))
    assert scope[6] == pytest.approx(100.0)  # a 100%-formatted cell arrives as 1.0: the sheet holds fractions
    build = items["finance.xlsx#Plan#A2"]
    assert build[3] == "in_progress" and build[6] == pytest.approx(25.0) and build[7] == 120.0
    assert build[9] == ["GL", "AP"] and build[10] == "Bo Chen"
    assert items["finance.xlsx#Plan#A5"][8] is True

    quarantine = {r[0]: r for r in con.execute(
        "SELECT object_key, location, reason, record, level, column_name, cell_value FROM raw.quarantine "
        "ORDER BY object_key").fetchall()}
    assert quarantine["finance.xlsx#Plan#A3"][1] == "finance.xlsx, sheet 'Plan', row 7, column 'End Date'"
    assert "'End Date'" in quarantine["finance.xlsx#Plan#A3"][2] and "32/02/2026" in quarantine["finance.xlsx#Plan#A3"][2]
    assert quarantine["finance.xlsx#Plan#A3"][4:] == ("cell", "End Date", "32/02/2026")
    assert json.loads(quarantine["finance.xlsx#Plan#A3"][3])["Activity"] == "Review"
    assert quarantine["finance.xlsx#Plan#A4"][1] == "finance.xlsx, sheet 'Plan', row 8"
    assert "needs a name" in quarantine["finance.xlsx#Plan#A4"][2]
    assert quarantine["finance.xlsx#Risk log#R2"][1] == "finance.xlsx, sheet 'Risk log', row 3"
    # The dangling link Z9 is reported, while its task and its good link A2 still load.
    deps = con.execute(
        "SELECT predecessor_key, successor_key, link_type, lag_hours, predecessor_ref "
        "FROM staging.spreadsheet__dependencies ORDER BY predecessor_ref").fetchall()
    assert ("finance.xlsx#Plan#A2", "finance.xlsx#Plan#A5", "FS", 16.0, "A2FS+2d") in deps
    assert (None, "finance.xlsx#Plan#A5", "FS", 0.0, "Z9") in deps
    assert ("finance.xlsx#Plan#A1", "finance.xlsx#Plan#A2", "FS", 0.0, "A1") in deps
    assert ("finance.xlsx#Plan#A2", "finance.xlsx#Plan#A3", "FS", 0.0, "A2") in deps  # A3 loaded, so its link did

    risks = con.execute("SELECT source_key, title, probability, impact, status FROM staging.spreadsheet__risks").fetchall()
    assert risks == [("finance.xlsx#Risk log#R1", "Vendor late", 4.0, 4.0, "Open")]
    assert outcome.rows == {"tasks": 4, "dependencies": 4, "risks": 1, "status_reports": 0, "raid": 0, "sheet_notes": 0,
                            "quarantine": 3, "deleted": 0}


def test_csv_variants_dates_percents_and_column_mapping(tmp_path: Path) -> None:
    folder = tmp_path / "trackers"
    folder.mkdir()
    # Semicolon-separated, day-first dates, bare percentages, a project column with two projects.
    (folder / "eu.csv").write_text(
        "Project;Task Name;Status;Start;Finish;% Complete;Owner;Email;Estimate (h);Story points\n"
        "Alpha;Design;Done;05/01/2026;16/01/2026;100;Ann Lee;ANN@x.org;40;5\n"
        "Alpha;Build;In Progress;19/01/2026;27/02/2026;50;ann lee;;80;8\n"
        "Beta;Plan;Parked;02/03/2026;06/03/2026;0;Bo Chen;;8;\n"
        "Beta;Bad;Done;2026-13-01;06/03/2026;100;Bo Chen;;8;\n",
        encoding="utf-8",
    )
    # A US file with its own words, mapped in config; fractions for percent; an Excel serial date.
    (folder / "us.csv").write_text(
        "Deliverable,Go-live,Kickoff,Pct\n"
        "Report,1/30/2026,45658,0.5\n"
        "Dashboard,2/27/2026,1/5/2026,0.25\n",
        encoding="utf-8",
    )
    eu = source(tmp_path, path="trackers/eu.csv", day_first=True)
    con, outcome = load(tmp_path, eu)
    assert outcome.ok and outcome.rows["tasks"] == 4 and outcome.rows["quarantine"] == 1
    rows = con.execute(
        "SELECT source_key, project_source_key, planned_start, percent_complete, status_default, assignee_key, "
        "story_points FROM staging.spreadsheet__work_items ORDER BY source_key").fetchall()
    assert rows == [
        ("eu.csv#eu#2", "eu.csv#Alpha", dt.date(2026, 1, 5), 100.0, "done", "ann@x.org", 5.0),
        ("eu.csv#eu#3", "eu.csv#Alpha", dt.date(2026, 1, 19), 50.0, "in_progress", "ann lee", 8.0),
        ("eu.csv#eu#4", "eu.csv#Beta", dt.date(2026, 3, 2), 0.0, None, "Bo Chen", None),  # 'Parked' is unmapped
        ("eu.csv#eu#5", "eu.csv#Beta", None, 100.0, "done", "Bo Chen", None),  # its Start cannot be read
    ]
    projects = con.execute("SELECT source_key, name FROM staging.spreadsheet__projects ORDER BY 1").fetchall()
    assert projects == [("eu.csv#Alpha", "Alpha"), ("eu.csv#Beta", "Beta")]
    (location, reason, level), = con.execute("SELECT location, reason, level FROM raw.quarantine").fetchall()
    assert location == "eu.csv, sheet 'eu', row 5, column 'Start'" and "2026-13-01" in reason and level == "cell"
    con.close()

    us = source(tmp_path, path="trackers/us.csv", columns={"name": "Deliverable", "finish": "Go-live",
                                                          "start": "Kickoff", "percent_complete": "Pct"})
    (tmp_path / "build.duckdb").unlink()
    con, outcome = load(tmp_path, us)
    assert outcome.ok, outcome.error
    rows = con.execute("SELECT name, planned_start, planned_finish, percent_complete FROM staging.spreadsheet__work_items "
                       "ORDER BY name").fetchall()
    assert rows == [("Dashboard", dt.date(2026, 1, 5), dt.date(2026, 2, 27), 25.0),
                    ("Report", dt.date(2025, 1, 1), dt.date(2026, 1, 30), 50.0)]


def test_sheet_without_a_name_column_is_reported_not_guessed(tmp_path: Path) -> None:
    (tmp_path / "odd.csv").write_text("Status,Start,Finish\nDone,2026-01-01,2026-01-02\n", encoding="utf-8")
    con, outcome = load(tmp_path, source(tmp_path, path="odd.csv"))
    assert outcome.ok and outcome.rows["tasks"] == 0
    (reason,) = con.execute("SELECT reason FROM raw.quarantine").fetchone()
    assert "no task-name column" in reason and "columns: {name:" in reason


def test_unreadable_files_fail_the_source_with_the_file_named(tmp_path: Path) -> None:
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(SourceError, match="broken.xlsx: cannot be opened as a workbook"):
        list(SpreadsheetConnector(source(tmp_path, path="*.xlsx")).extract(_context()))
    with pytest.raises(SourceError, match="no file matches 'missing/\\*.csv'"):
        list(SpreadsheetConnector(source(tmp_path, path="missing/*.csv")).extract(_context()))
    (tmp_path / "latin1.csv").write_bytes("Task,Owner\nCaf\xe9,J\xfcrgen\n".encode("latin-1"))
    with pytest.raises(SourceError, match="latin1.csv: not UTF-8"):
        list(SpreadsheetConnector(source(tmp_path, path="latin1.csv")).extract(_context()))


def _context():
    from connectors.base import ExtractContext

    return ExtractContext()
