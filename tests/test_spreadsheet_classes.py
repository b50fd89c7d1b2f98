"""Issue #11, spreadsheet classes 1-6 and 10: trackers as real PMOs keep them, generated here (xlsx
written with xlsxwriter, csv written as text), read through the connector, landing, raw and the
connector's staging SQL; the values asserted are the ones a person reads in the sheet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest
import xlsxwriter
from conftest import build_directly

from connectors.base import SourceSpec
from connectors.spreadsheet import SpreadsheetConnector
from connectors.spreadsheet.locales import decide_day_first, decide_decimal, normalise_number
from connectors.spreadsheet.predecessors import parse_link, split_predecessors
from connectors.spreadsheet.units import Calendar, money_scale, time_unit, to_hours
from connectors.values import CellError
from pipelines.config import load_portfolio
from pipelines.extract import load_source
from warehouse import db
from warehouse.models import build_kind_staging


def load(tmp_path: Path, **options: Any) -> tuple[duckdb.DuckDBPyConnection, Any]:
    spec = SourceSpec(id="s", kind="spreadsheet", options=options, base_dir=tmp_path)
    con = duckdb.connect(":memory:")
    db.prepare(con, {"spreadsheet": dict(SpreadsheetConnector.raw_schemas)})
    outcome = load_source(con, spec, tmp_path / "landing", retention_days=7)
    assert outcome.ok, outcome.error
    build_kind_staging(con, "spreadsheet", SpreadsheetConnector.staging_sql_dir())
    return con, outcome


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> xlsxwriter.Workbook:
    """A workbook with one sheet per entry, each row written as typed (numbers stay numbers)."""
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None and value != "":
                    sheet.write(r, c, value)
    return book


def items(con: duckdb.DuckDBPyConnection, *columns: str) -> dict[str, tuple]:
    select = ", ".join(("source_key", *columns))
    return {r[0]: r[1:] for r in con.execute(f"SELECT {select} FROM staging.spreadsheet__work_items").fetchall()}


def links(con: duckdb.DuckDBPyConnection) -> set[tuple]:
    return set(con.execute(
        "SELECT predecessor_key, successor_key, link_type, lag_hours FROM staging.spreadsheet__dependencies"
    ).fetchall())


def findings(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT object_key, location, level, column_name, cell_value, reason FROM raw.quarantine ORDER BY location"
    ).fetchall()


# --- 1. predecessors as people write them --------------------------------------------------------


def test_predecessor_cells_split_and_parse() -> None:
    cal = Calendar()
    assert split_predecessors(2.0) == ["2"]  # an Excel number, not '2.0'
    assert split_predecessors("2,3") == ["2", "3"] and split_predecessors("2; 3") == ["2", "3"]
    assert split_predecessors("2FS+1,5d; 4") == ["2FS+1,5d", "4"]  # a decimal comma in a lag is no separator
    assert parse_link("2FS+1d", cal) == {"predecessor_scope": None, "predecessor_id": "2", "link_type": "FS",
                                         "lag_hours": 8.0}
    assert parse_link("3SS-2 days", cal)["lag_hours"] == -16.0
    assert parse_link("4FF", cal)["link_type"] == "FF" and parse_link("4FF", cal)["lag_hours"] == 0.0
    assert parse_link("5SF+1w", cal)["lag_hours"] == 40.0
    assert parse_link("5FS+1w", Calendar(hours_per_day=7.5))["lag_hours"] == 37.5
    assert parse_link("1.2.3", cal)["predecessor_id"] == "1.2.3"
    assert parse_link("2FS+3 fortnights", cal) is None


def test_numeric_predecessors_in_xlsx_resolve_to_numeric_ids(tmp_path: Path) -> None:
    workbook(tmp_path / "plan.xlsx", {"Plan": [
        ["ID", "Task", "Predecessors"],
        [1, "Scope", None],
        [2, "Design", 1],  # the number 1, read by the reader as 1.0
        [3, "Build", "1,2"],
        [4, "Test", "2;3"],
        [5, "Pilot", "2FS+1d"],
        [6, "Train", "3SS-2 days"],
        [7, "Rollout", "4FF"],
        [8, "Close", "5SF+1w"],
    ]}).close()
    con, outcome = load(tmp_path, path="plan.xlsx")
    key = "plan.xlsx#Plan#{}".format
    assert links(con) == {
        (key(1), key(2), "FS", 0.0), (key(1), key(3), "FS", 0.0), (key(2), key(3), "FS", 0.0),
        (key(2), key(4), "FS", 0.0), (key(3), key(4), "FS", 0.0), (key(2), key(5), "FS", 8.0),
        (key(3), key(6), "SS", -16.0), (key(4), key(7), "FF", 0.0), (key(5), key(8), "SF", 40.0),
    }
    assert outcome.rows["quarantine"] == 0


def test_predecessors_by_row_number_or_outline_number_without_an_id_column(tmp_path: Path) -> None:
    # No ID column: a task is known by its Excel row number (the header is row 1, Scope row 2) ...
    workbook(tmp_path / "rows.xlsx", {"Plan": [
        ["Task", "Depends on"], ["Scope", None], ["Design", 2], ["Build", "3FS+2d"],
    ]}).close()
    con, _ = load(tmp_path, path="rows.xlsx")
    assert links(con) == {("rows.xlsx#Plan#2", "rows.xlsx#Plan#3", "FS", 0.0),
                          ("rows.xlsx#Plan#3", "rows.xlsx#Plan#4", "FS", 16.0)}
    # ... or by its outline number, beside an ID column that the links do not use.
    (tmp_path / "rows.xlsx").unlink()
    (tmp_path / "outline.csv").write_text(
        "ID,WBS,Task,Predecessors\nT-1,1,Phase one,\nT-2,1.1,Design,\nT-3,1.2,Build,1.1\nT-4,2,Go live,1.2FS+1w\n",
        encoding="utf-8")
    con, _ = load(tmp_path, path="outline.csv")
    assert links(con) == {("outline.csv#outline#T-2", "outline.csv#outline#T-3", "FS", 0.0),
                          ("outline.csv#outline#T-3", "outline.csv#outline#T-4", "FS", 40.0)}


# --- 2. header detection that finds the table -----------------------------------------------------


def test_title_summary_and_legend_lines_do_not_win_over_the_table(tmp_path: Path) -> None:
    workbook(tmp_path / "t.xlsx", {"Tracker": [
        ["Payroll replacement - weekly tracker"],
        ["Project:", "Payroll", "Owner:", "Ann Lee", "Status:", "Green", "Start:", "Finish:"],  # a summary line
        ["Legend:", "Done", "In progress", "Blocked"],
        [],
        ["ID", "Task", "Owner", "Status", "Start", "Finish"],
        ["P1", "Design", "Ann Lee", "Done", "2026-01-05", "2026-01-16"],
        ["P2", "Build", "Bo Chen", "In progress", "2026-01-19", "2026-02-27"],
    ]}).close()
    con, outcome = load(tmp_path, path="t.xlsx")
    assert items(con, "name", "status_default", "planned_finish") == {
        "t.xlsx#Tracker#P1": ("Design", "done", dt.date(2026, 1, 16)),
        "t.xlsx#Tracker#P2": ("Build", "in_progress", dt.date(2026, 2, 27)),
    }
    assert outcome.rows["quarantine"] == 0


def test_two_row_header_reads_the_group_row_above(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "g.xlsx"))
    sheet = book.add_worksheet("Plan")
    sheet.merge_range(0, 2, 0, 3, "Planned")  # group cells merged across their columns, as people do
    sheet.merge_range(0, 4, 0, 5, "Baseline")
    sheet.merge_range(0, 6, 0, 7, "Effort")
    sheet.write_row(1, 0, ["ID", "Task", "Start", "Finish", "Start", "Finish", "Planned", "Actual"])
    sheet.write_row(2, 0, ["A", "Design", "2026-02-02", "2026-02-13", "2026-01-05", "2026-01-16", 40, 44])
    book.close()
    con, _ = load(tmp_path, path="g.xlsx")
    assert items(con, "planned_start", "planned_finish", "baseline_start", "baseline_finish", "work_hours",
                 "actual_work_hours") == {
        "g.xlsx#Plan#A": (dt.date(2026, 2, 2), dt.date(2026, 2, 13), dt.date(2026, 1, 5), dt.date(2026, 1, 16),
                          40.0, 44.0)}


# --- 3. units in headers and values ---------------------------------------------------------------


def test_units_convert_with_the_stated_calendar() -> None:
    cal = Calendar()  # 8 h a day, 5 days a week, 20 days a month
    assert to_hours(2, "day", cal) == 16.0 and to_hours(1, "week", cal) == 40.0
    assert to_hours("8 wks", None, cal) == 320.0 and to_hours("3 mons", None, cal) == 480.0
    assert to_hours("2.5d", "hour", cal) == 20.0 and to_hours("4h", "day", cal) == 4.0
    assert to_hours("90 min", None, cal) == 1.5 and to_hours("12", None, cal) == 12.0
    assert to_hours("2d", None, Calendar(hours_per_day=7.5)) == 15.0
    assert time_unit("wks") == "week" and time_unit("person-days") == "day"
    assert money_scale("k€") == 1000.0 and money_scale("$m") == 1e6 and money_scale("EUR") == 1.0
    with pytest.raises(CellError, match="'FTE' is not a unit of time"):
        time_unit("FTE")
    with pytest.raises(CellError, match="unknown unit 'parsecs'"):
        to_hours("3 parsecs", None, cal)


def test_header_units_scale_their_columns_and_values_carry_their_own(tmp_path: Path) -> None:
    (tmp_path / "u.csv").write_text(
        "ID,Task,Effort (days),Duration (wks),Actual work [h],Cost (k€)\n"
        "1,Design,2,1,4h,1.5\n"
        "2,Build,8 wks,3 mons,90 min,\n"
        "3,Test,2.5d,,,\n",
        encoding="utf-8")
    con, outcome = load(tmp_path, path="u.csv", hours_per_day=7.5)
    got = items(con, "work_hours", "duration_hours", "actual_work_hours", "cost")
    assert got["u.csv#u#1"] == (15.0, 37.5, 4.0, 1500.0)  # 2 d x 7.5 h; 1 wk = 5 d x 7.5 h; 1.5 k€
    assert got["u.csv#u#2"] == (300.0, 450.0, 1.5, None)  # 8 x 37.5 h; 3 x 20 d x 7.5 h; 90 min
    assert got["u.csv#u#3"][0] == 18.75
    assert outcome.rows["quarantine"] == 0


def test_an_unknown_header_unit_is_refused_not_read_as_hours(tmp_path: Path) -> None:
    (tmp_path / "fte.csv").write_text("Task,Effort (FTE),Finish\nDesign,0.5,2026-01-16\n", encoding="utf-8")
    con, _ = load(tmp_path, path="fte.csv")
    assert items(con, "name", "work_hours", "planned_finish") == {
        "fte.csv#fte#2": ("Design", None, dt.date(2026, 1, 16))}
    [(key, location, level, column, _, reason)] = findings(con)
    assert (key, location, level, column) == ("fte.csv#fte", "fte.csv, sheet 'fte', column 'Effort (FTE)'",
                                              "column", "Effort (FTE)")
    assert "'FTE' is not a unit of time" in reason and "left unread" in reason


# --- 4. numbers and dates in the user's locale ----------------------------------------------------


def test_decimal_mark_is_decided_per_column() -> None:
    assert decide_decimal(["12,5", "3", "1.234,56"], "auto") == "comma"
    assert decide_decimal(["12.5", "1,234.56"], "auto") == "point"
    assert decide_decimal(["1,234", "7"], "auto") is None  # no evidence
    assert normalise_number("1.234,56", "comma") == "1234.56" and normalise_number("12,5 h", "comma") == "12.5 h"
    assert normalise_number("1,234", "point") == "1234" and normalise_number("1,234", "comma") == "1.234"
    with pytest.raises(CellError, match="'1,234' is ambiguous: 1234 with a thousands comma, or 1.234"):
        normalise_number("1,234", None)


def test_decimal_comma_columns_and_an_ambiguous_cell(tmp_path: Path) -> None:
    (tmp_path / "eu.csv").write_text(
        "ID;Task;Estimate (h);Cost;Story points\n"
        "1;Design;12,5;1.234,56;1,234\n"
        "2;Build;8;250;3\n",
        encoding="utf-8")
    con, outcome = load(tmp_path, path="eu.csv")
    assert items(con, "work_hours", "cost", "story_points") == {
        "eu.csv#eu#1": (12.5, 1234.56, None),  # the points cell shows no decimal mark: not guessed
        "eu.csv#eu#2": (8.0, 250.0, 3.0),
    }
    [(key, location, level, column, value, reason)] = findings(con)
    assert (key, location, level, column, value) == (
        "eu.csv#eu#1", "eu.csv, sheet 'eu', row 2, column 'Story points'", "cell", "Story points", "1,234")
    assert "ambiguous" in reason and "decimal: comma" in reason
    assert outcome.rows["tasks"] == 2
    # Told the source's decimal mark, the same cell reads.
    con, _ = load(tmp_path, path="eu.csv", decimal="comma")
    assert items(con, "story_points")["eu.csv#eu#1"] == (1.234,)


def test_date_order_is_decided_per_column_and_reported_when_unknown() -> None:
    assert decide_day_first(["13/04/2026", "03/04/2026"], None, "auto") == (True, None)
    assert decide_day_first(["04/13/2026", "03/04/2026"], None, "auto") == (False, None)
    assert decide_day_first(["05.01.2026"], None, "auto") == (True, None)  # dotted dates are day first
    assert decide_day_first(["03/04/2026"], False, "auto") == (False, None)  # the option wins
    day_first, why = decide_day_first(["03/04/2026", "05/06/2026"], None, "auto")
    assert day_first is False and "no date in the column shows its order" in why and "day_first" in why
    assert decide_day_first(["03/04/2026"], None, "comma")[0] is True  # a decimal-comma source: day first


def test_european_and_us_date_forms_follow_the_column(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(
        "ID,Task,Start,Finish,Due\n"
        "1,Design,05.01.2026,5 janv. 2026,03/04/2026\n"
        "2,Build,13/01/2026,Jan-05-2026,05/06/2026\n"
        "3,Test,03/02/2026,5 März 2026,\n",
        encoding="utf-8")
    con, _ = load(tmp_path, path="d.csv")
    got = items(con, "planned_start", "planned_finish", "due_date")
    assert got["d.csv#d#1"] == (dt.date(2026, 1, 5), dt.date(2026, 1, 5), dt.date(2026, 3, 4))
    assert got["d.csv#d#2"] == (dt.date(2026, 1, 13), dt.date(2026, 1, 5), dt.date(2026, 5, 6))
    assert got["d.csv#d#3"][:2] == (dt.date(2026, 2, 3), dt.date(2026, 3, 5))  # Start shows day first (13/01)
    # Due shows neither order: one finding for the column, none per cell.
    [(key, location, level, column, _, reason)] = findings(con)
    assert (key, level, column) == ("d.csv#d", "column", "Due") and "'03/04/2026'" in reason
    con, _ = load(tmp_path, path="d.csv", day_first=True)
    assert items(con, "due_date")["d.csv#d#1"] == (dt.date(2026, 4, 3),) and findings(con) == []
    (tmp_path / "us.csv").write_text("Task,Start\nA,5/1/26\n", encoding="utf-8")
    con, _ = load(tmp_path, path="us.csv", day_first=False)
    assert items(con, "planned_start") == {"us.csv#us#2": (dt.date(2026, 5, 1),)}


# --- 5. one bad cell does not drop a row ----------------------------------------------------------


def test_error_cells_and_unreadable_cells_are_cell_findings(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "e.xlsx"))
    sheet = book.add_worksheet("Plan")
    sheet.write_row(0, 0, ["ID", "Task", "Finish", "% Complete", "Owner", "Work"])
    sheet.write_row(1, 0, ["A1", "Design", "2026-01-16", 0.5, "Ann Lee", 8])
    sheet.write_row(2, 0, ["A2", "Build", None, None, "Bo Chen", "lots"])
    sheet.write_formula(2, 2, "=NA()", None, "#N/A")
    sheet.write_formula(2, 3, "=1/0", None, "#DIV/0!")
    sheet.write_row(3, 0, ["A3", None, "2026-02-01", 0, "Bo Chen", 4])
    sheet.write_formula(3, 1, "=Sheet9!A1", None, "#REF!")  # the name itself is broken: the row cannot load
    book.close()
    con, outcome = load(tmp_path, path="e.xlsx")
    assert items(con, "name", "planned_finish", "percent_complete", "assignee_key", "work_hours") == {
        "e.xlsx#Plan#A1": ("Design", dt.date(2026, 1, 16), 50.0, "Ann Lee", 8.0),
        "e.xlsx#Plan#A2": ("Build", None, None, "Bo Chen", None),
    }
    got = {(r[3], r[2]): r for r in findings(con)}
    assert got[("Finish", "cell")][:5] == ("e.xlsx#Plan#A2", "e.xlsx, sheet 'Plan', row 3, column 'Finish'", "cell",
                                          "Finish", "#N/A")
    assert "Excel shows the error #N/A" in got[("Finish", "cell")][5]
    assert got[("% Complete", "cell")][4] == "#DIV/0!"
    assert got[("Work", "cell")][4] == "lots" and "not a duration" in got[("Work", "cell")][5]
    row = got[(None, "row")]
    assert row[:3] == ("e.xlsx#Plan#A3", "e.xlsx, sheet 'Plan', row 4", "row") and "#REF!" in row[5]
    assert outcome.rows["tasks"] == 2 and outcome.rows["quarantine"] == 4


def test_error_words_in_a_csv_are_findings_too(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("Task,Start,Owner\nDesign,#VALUE!,Ann Lee\n", encoding="utf-8")
    con, _ = load(tmp_path, path="c.csv")
    assert items(con, "name", "planned_start", "assignee_key") == {"c.csv#c#2": ("Design", None, "Ann Lee")}
    [(_, _, level, column, value, _)] = findings(con)
    assert (level, column, value) == ("cell", "Start", "#VALUE!")


# --- 6. merged cells ------------------------------------------------------------------------------


def test_merged_project_and_phase_cells_apply_to_every_row_they_span(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "m.xlsx"))
    sheet = book.add_worksheet("Plan")
    sheet.write(0, 1, "Programme plan")  # the table starts in column B, below a title line
    sheet.write_row(2, 1, ["Project", "Phase", "ID", "Task"])
    sheet.merge_range(3, 1, 5, 1, "Payroll")
    sheet.merge_range(3, 2, 4, 2, "Design")
    sheet.write(5, 2, "Build")
    sheet.write(6, 1, "HR")
    for r, (task_id, name) in enumerate([("1", "Scope"), ("2", "Specs"), ("3", "Code"), ("4", "Hire")], start=3):
        sheet.write(r, 3, task_id)
        sheet.write(r, 4, name)
    book.close()
    con, outcome = load(tmp_path, path="m.xlsx")
    assert items(con, "project_source_key", "name") == {
        "m.xlsx#Plan#1": ("m.xlsx#Payroll", "Scope"), "m.xlsx#Plan#2": ("m.xlsx#Payroll", "Specs"),
        "m.xlsx#Plan#3": ("m.xlsx#Payroll", "Code"), "m.xlsx#Plan#4": ("m.xlsx#HR", "Hire"),
    }
    phases = dict(con.execute("SELECT task_id, phase FROM raw.spreadsheet__tasks").fetchall())
    assert phases == {"1": "Design", "2": "Design", "3": "Build", "4": None}
    rows = dict(con.execute("SELECT task_id, row_number FROM raw.spreadsheet__tasks").fetchall())
    assert rows == {"1": 4, "2": 5, "3": 6, "4": 7}  # Excel's row numbers, though column A is empty
    assert outcome.rows["quarantine"] == 0


# --- 10. header words -----------------------------------------------------------------------------


def test_header_words_people_use(tmp_path: Path) -> None:
    (tmp_path / "w.csv").write_text(
        "No.,Subject,Workstream,Resourcing,Baseline finish,Forecast finish,Milestone (Y/N),RAG,Epic\n"
        "1,Sign contract,Legal,Ann Lee,2026-01-16,2026-01-23,✓,Amber,Setup\n"
        "2,Kick-off,PMO,Bo Chen,2026-01-19,2026-01-19,N,Green,Setup\n",
        encoding="utf-8")
    (tmp_path / "x.csv").write_text(
        "#,Work item,Accountable,Original finish,Revised finish,Milestone,Health,Phase\n"
        "7,Go live,Cy Diaz,2026-03-02,2026-03-09,x,Red,Launch\n",
        encoding="utf-8")
    (tmp_path / "y.csv").write_text("WBS,Deliverable,Lead,Expected finish,Échéance\n1.1,Report,Di Eng,2026-04-01,\n",
                                    encoding="utf-8")
    con, outcome = load(tmp_path, path="*.csv")
    assert items(con, "name", "team", "assignee_key", "baseline_finish", "planned_finish", "is_milestone") == {
        "w.csv#w#1": ("Sign contract", "Legal", "Ann Lee", dt.date(2026, 1, 16), dt.date(2026, 1, 23), True),
        "w.csv#w#2": ("Kick-off", "PMO", "Bo Chen", dt.date(2026, 1, 19), dt.date(2026, 1, 19), False),
        "x.csv#x#7": ("Go live", None, "Cy Diaz", dt.date(2026, 3, 2), dt.date(2026, 3, 9), True),
        "y.csv#y#1.1": ("Report", None, "Di Eng", None, dt.date(2026, 4, 1), False),
    }
    raw = set(con.execute("SELECT task_id, rag, phase FROM raw.spreadsheet__tasks").fetchall())
    assert raw == {("1", "Amber", "Setup"), ("2", "Green", "Setup"), ("7", "Red", "Launch"), ("1.1", None, None)}
    assert outcome.rows["quarantine"] == 0


def test_case_punctuation_and_accents_are_ignored() -> None:
    from connectors.spreadsheet.headers import TASK_FIELDS, match_columns

    columns = match_columns(["  TASK-NAME ", "Ówner", "STATUS:", "Début"], TASK_FIELDS, {})
    assert columns == {"name": 0, "owner": 1, "status": 2}


# --- the whole pipeline: nothing above blocks the publish ------------------------------------------


@pytest.mark.pipeline
def test_a_messy_workbook_publishes_with_cell_findings_as_warnings(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "tracker.xlsx"))
    sheet = book.add_worksheet("Plan")
    sheet.write(0, 0, "Payroll tracker")  # a title line above the table
    sheet.write_row(2, 0, ["ID", "Task", "Start", "Finish", "Effort (days)", "Predecessors"])
    sheet.write_row(3, 0, [1, "Design", "2026-01-05", "2026-01-16", 2, None])
    sheet.write_row(4, 0, [2, "Build", "2026-01-19", None, 5, 1])
    sheet.write_formula(4, 3, "=NA()", None, "#N/A")
    book.close()
    config = tmp_path / "portfolio.yaml"
    config.write_text(
        "warehouse: var/w.duckdb\nas_of: 2026-01-20\nprograms:\n  - id: p\n    name: P\n    projects:\n"
        "      - {id: payroll, name: Payroll, source: sheets, key: tracker.xlsx#Plan}\n"
        "sources:\n  - {id: sheets, kind: spreadsheet, path: tracker.xlsx}\n", encoding="utf-8")
    build_directly(config)
    with duckdb.connect(str(load_portfolio(config).warehouse), read_only=True) as con:
        work = con.execute("SELECT name, work_hours, planned_finish FROM core.work_items ORDER BY name").fetchall()
        assert work == [("Build", 40.0, None), ("Design", 16.0, dt.date(2026, 1, 16))]
        assert con.execute("SELECT count(*) FROM core.dependencies").fetchone()[0] == 1
        quarantine = con.execute("SELECT object_key, level, column_name, cell_value FROM core.quarantine").fetchall()
        assert quarantine == [("tracker.xlsx#Plan#2", "cell", "Finish", "#N/A")]
        quality = con.execute(
            "SELECT check_name, severity FROM marts.data_quality WHERE object_key = 'tracker.xlsx#Plan#2'").fetchall()
        assert quality == [("unreadable_cell", "warning")]
