"""Issue #11 classes 7-9 on files generated here: risk scales, RAID logs, stacked risk tables, sheets
that are not plans (skipped with a note) and weekly grids (refused); then the warehouse side - issues
in the RAG, RAID dependencies linked or reported - worked out by hand on a purpose-built portfolio."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import xlsxwriter
from conftest import build_directly, write_csv
from test_spreadsheet import load, source

from connectors import values as v
from connectors.spreadsheet.risk_scales import column_scale
from pipelines.config import load_portfolio

# --- class 7: risk scales, cell by cell -------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "level"),
    [
        ("Rare", 1), ("Unlikely", 2), ("Possible", 3), ("likely", 4), ("Almost certain", 5),
        ("Negligible", 1), ("Minor", 2), ("Moderate", 3), ("Major", 4), ("Severe", 5), ("Catastrophic", 5),
        ("VL", 1), ("L", 2), ("M", 3), ("H", 4), ("VH", 5), ("Very low", 1), ("High", 4), ("Very high", 5),
        ("40%", 2), ("100%", 5), (0.85, 5),  # percentages in fifths: 20-40% is the second
    ],
)
def test_words_and_percentages_on_every_scale(cell: object, level: int) -> None:
    assert column_scale("Likelihood", [cell], None).read(cell)[0] == level


def test_low_to_critical_is_its_own_five_word_scale_when_a_column_uses_it() -> None:
    column = ["Low", "Medium", "High", "Very high", "Critical"]
    scale = column_scale("Impact", column, None)
    assert [scale.read(c)[0] for c in column] == [1, 2, 3, 4, 5]
    # With Very low in the column, Low is the second of five and Critical the top (= Very high).
    mixed = column_scale("Impact", ["Very low", "Low", "Critical"], None)
    assert [mixed.read(c)[0] for c in ("Very low", "Low", "Critical")] == [1, 2, 5]


@pytest.mark.parametrize(
    ("header", "column", "declared", "cell", "level"),
    [
        # declared by the source option: 1 + (x - 1) x 4 / (n - 1)
        ("Probability", [7], 10, 7, 1 + 6 * 4 / 9),
        ("Probability", [10], 10, 10, 5),
        ("Probability", [1], 10, 1, 1),
        ("Impact", [2], 3, 2, 3),
        ("Impact", [3], 4, 3, 1 + 2 * 4 / 3),
        # declared in the header
        ("Impact (1-4)", [4], None, 4, 5),
        ("Likelihood 1-10", [5], None, 5, 1 + 4 * 4 / 9),
        # inferred from the column: a number above 5 makes it 1-10
        ("Impact", [2, 8, 3], None, 8, 1 + 7 * 4 / 9),
        # five numbers topping out at 3: a 1-3 column; three numbers are too few to leave 1-5
        ("Impact", [1, 2, 3, 3, 2], None, 3, 5),
        ("Impact", [1, 3, 2], None, 3, 3),
    ],
)
def test_numeric_scales_declared_named_or_inferred(
    header: str, column: list, declared: int | None, cell: object, level: float
) -> None:
    assert column_scale(header, column, declared).read(cell)[0] == pytest.approx(level)


def test_a_rejected_value_lists_the_accepted_scales() -> None:
    with pytest.raises(v.CellError) as caught:
        column_scale("Probability", ["sometimes"], None).read("sometimes")
    message = str(caught.value)
    assert "'sometimes'" in message
    for scale in ("Rare/Unlikely/Possible/Likely/Almost certain", "Negligible/Minor", "L/M/H", "1-10", "percentage"):
        assert scale in message, scale
    with pytest.raises(v.CellError, match="numbers 1-10"):
        column_scale("Probability", [11], 10).read(11)


# --- class 8: RAID logs and stacked risk registers, through the connector ----------------------------


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None and value != "":
                    sheet.write(r, c, value)
    book.close()
    return path


RAID_HEADER = ["ID", "Type", "Description", "Project", "Probability", "Impact", "Owner", "Status", "Due",
               "Depends on", "Affects"]


def test_raid_log_is_split_by_type(tmp_path: Path) -> None:
    _workbook(tmp_path / "pmo.xlsx", {"Log": [
        RAID_HEADER,
        ["R1", "Risk", "Vendor exits", "Alpha", "Likely", "Major", "Ann", "Open", "2026-04-01"],
        ["A1", "A", "Budget holds", "Alpha", "", "", "Bo", "Open"],
        ["I1", "Issue", "Test rig broken", "Alpha", "", "High", "Ann", "Open", "2026-03-01"],
        ["D1", "D", "Waits for the GL", "Alpha", "", "", "Bo", "Open", "", "Finance!GL-1", "3"],
        ["DC1", "Decision", "Go with vendor B", "Alpha", "", "", "Cy", "Closed"],
        ["X1", "Blocker", "Not a RAID word", "Alpha"],
    ]})
    con, outcome = load(tmp_path, source(tmp_path, path="pmo.xlsx"))
    assert outcome.ok, outcome.error
    risks = con.execute("SELECT source_key, probability, impact, probability_original, impact_original, "
                        "probability_scale, impact_scale FROM staging.spreadsheet__risks").fetchall()
    assert risks == [("pmo.xlsx#Log#R1", 4.0, 4.0, "Likely", "Major", "Rare/Unlikely/Possible/Likely/Almost certain",
                      "Negligible/Minor/Moderate/Major/Severe or Catastrophic")]
    issues = con.execute("SELECT source_key, title, priority, impact, due_date FROM staging.spreadsheet__issues").fetchall()
    assert issues == [("pmo.xlsx#Log#I1", "Test rig broken", "High", 4.0, dt.date(2026, 3, 1))]
    log = con.execute("SELECT source_key, entry_type, predecessor_ref, successor_ref FROM staging.spreadsheet__raid_log "
                      "ORDER BY source_key").fetchall()
    assert log == [("pmo.xlsx#Log#A1", "assumption", None, None), ("pmo.xlsx#Log#D1", "dependency", "Finance!GL-1", "3"),
                   ("pmo.xlsx#Log#DC1", "decision", None, None)]
    (key, reason), = con.execute("SELECT object_key, reason FROM raw.quarantine").fetchall()
    assert key == "pmo.xlsx#Log#X1" and "'Blocker' is not a RAID type" in reason and "Dependency" in reason
    # Nothing was read as tasks of invented projects.
    assert con.execute("SELECT count(*) FROM raw.spreadsheet__tasks").fetchone()[0] == 0


def test_stacked_risk_tables_and_renumbered_ids_load_without_duplicates(tmp_path: Path) -> None:
    header = ["Ref", "Risk", "Likelihood", "Impact", "Status"]
    _workbook(tmp_path / "register.xlsx", {"Risks": [
        header,
        ["R1", "Supplier late", "High", "High", "Open"],        # row 2
        ["R2", "Key person leaves", "Low", "Medium", "Open"],   # row 3
        [],
        ["Closed risks"],                                       # row 5: a section line, not a risk
        header,                                                 # row 6: the second table's header
        ["R1", "Supplier late", "High", "High", "Closed"],      # row 7: the same risk, now closed
        ["R2", "Scope creep", "Medium", "Low", "Closed"],       # row 8: renumbered, another risk
    ]})
    con, outcome = load(tmp_path, source(tmp_path, path="register.xlsx"))
    assert outcome.ok and outcome.rows["quarantine"] == 0
    rows = con.execute("SELECT source_key, title, status, location FROM staging.spreadsheet__risks "
                       "ORDER BY source_key").fetchall()
    assert rows == [
        ("register.xlsx#Risks#R1", "Supplier late", "Closed", "register.xlsx, sheet 'Risks', row 7"),
        ("register.xlsx#Risks#R2", "Key person leaves", "Open", "register.xlsx, sheet 'Risks', row 3"),
        ("register.xlsx#Risks#R2 (2)", "Scope creep", "Closed", "register.xlsx, sheet 'Risks', row 8"),
    ]


# --- class 9: sheets that are not plans ----------------------------------------------------------------


def test_stakeholder_contact_and_legend_sheets_are_skipped_with_the_rule_named(tmp_path: Path) -> None:
    _workbook(tmp_path / "book.xlsx", {
        "Plan": [["Task", "Start", "Finish"], ["Build", "2026-03-02", "2026-03-20"]],
        "People": [["Name", "Role", "Influence", "Interest"], ["Dana", "Sponsor", "High", "High"]],
        "Team": [["Name", "Email", "Phone"], ["Ann", "ann@example.com", "+44 20 7946 0001"]],
        "Legend": [["Colour", "Meaning"], ["Red", "Late"], ["Green", "On track"]],
        "Scorecard": [["KPI", "Target", "Actual", "Trend"], ["Uptime", 0.99, 0.98, "down"]],
    })
    con, outcome = load(tmp_path, source(tmp_path, path="book.xlsx"))
    assert outcome.ok and outcome.rows["quarantine"] == 0 and outcome.rows["tasks"] == 1
    notes = con.execute("SELECT location, rule FROM staging.spreadsheet__source_notes ORDER BY location").fetchall()
    assert notes == [("book.xlsx, sheet 'Legend'", "lookup or legend sheet"),
                     ("book.xlsx, sheet 'People'", "stakeholder list"),
                     ("book.xlsx, sheet 'Scorecard'", "scorecard"),
                     ("book.xlsx, sheet 'Team'", "contact sheet")]
    assert con.execute("SELECT count(*) FROM staging.spreadsheet__projects").fetchone()[0] == 1  # Plan only


@pytest.mark.parametrize("weeks", [
    ["W1", "W2", "W3", "W4", "W5"],
    ["Wk 10", "Wk 11", "Wk 12", "Wk 13"],
    ["2026-W05", "2026-W06", "2026-W07", "2026-W08"],
    ["w/c 05/01", "w/c 12/01", "w/c 19/01", "w/c 26/01"],
])
def test_a_weekly_grid_is_refused_with_a_clear_message(tmp_path: Path, weeks: list[str]) -> None:
    _workbook(tmp_path / "grid.xlsx", {"Resourcing": [["Person", "Task", *weeks], ["Ann", "Build", *[1] * len(weeks)]]})
    con, outcome = load(tmp_path, source(tmp_path, path="grid.xlsx"))
    assert outcome.ok and outcome.rows["tasks"] == 0
    (location, reason), = con.execute("SELECT location, reason FROM raw.quarantine").fetchall()
    assert location == "grid.xlsx, sheet 'Resourcing'"
    assert reason.startswith(f"weekly grid: a weekly grid ({len(weeks)} columns headed by weeks, {weeks[0]!r} to")
    assert "one row per task with Start and Finish" in reason


def test_a_tracker_with_week_columns_beside_its_dates_is_still_read(tmp_path: Path) -> None:
    _workbook(tmp_path / "gantt.xlsx", {"Plan": [["Task", "Start", "Finish", "W1", "W2", "W3", "W4"],
                                                 ["Build", "2026-03-02", "2026-03-20", "x", "x", "x", ""]]})
    con, outcome = load(tmp_path, source(tmp_path, path="gantt.xlsx"))
    assert outcome.ok and outcome.rows["tasks"] == 1 and outcome.rows["quarantine"] == 0


# --- the warehouse: issues in the RAG, RAID dependencies, findings; nothing blocks the publish ---------

TRACKER = ["ID", "Task", "Status", "Start", "Finish", "% Complete"]
RAID_ROWS = [
    ["ID", "Type", "Description", "Project", "Impact", "Status", "Due", "Depends on", "Affects"],
    # Alpha: a High issue (impact 4, severity 5 x 4 = 20 >= 15) open and due before 2 March -> red.
    ["I1", "Issue", "Test rig broken", "alpha", "High", "Open", "2026-02-27"],
    # Beta: a Low issue (2 -> severity 10) open past due -> amber; a High one closed -> nothing.
    ["I2", "Issue", "Laptops short", "beta", "Low", "Open", "2026-02-20"],
    ["I3", "Issue", "Server down", "beta", "High", "Closed", "2026-02-20"],
    # Beta: a High issue not yet due -> nothing.
    ["I4", "Issue", "Licence audit", "beta", "High", "Open", "2026-03-30"],
    ["A1", "Assumption", "Budget holds", "alpha", "", "Open"],
    ["D1", "Dependency", "Design before build", "alpha", "", "Open", "", "1", "2"],
    ["D2", "Dependency", "Chart of accounts", "alpha", "", "Open", "", "Finance!GL-1", "2"],
]


@pytest.fixture(scope="module")
def raid_warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    folder = tmp_path_factory.mktemp("raid")
    # Every item in progress and dated in the future on 2 March: no other rule fires.
    for name in ("alpha", "beta"):
        write_csv(folder / "sheets" / f"{name}.csv", TRACKER, [
            ["1", "Design", "In progress", "2026-03-02", "2026-03-06", "50%"],
            ["2", "Build", "In progress", "2026-03-09", "2026-03-20", "10%"],
        ])
    write_csv(folder / "raid.csv", RAID_ROWS[0], RAID_ROWS[1:])
    config = folder / "portfolio.yaml"
    config.write_text("""
warehouse: var/w.duckdb
as_of: 2026-03-02
programs:
  - id: all
    name: All
    projects:
      - {id: alpha, name: Alpha, source: sheets, key: alpha.csv}
      - {id: beta, name: Beta, source: sheets, key: beta.csv}
sources:
  - {id: sheets, kind: spreadsheet, path: sheets/*.csv}
  - {id: log, kind: spreadsheet, path: raid.csv}
""")
    build_directly(config)
    return duckdb.connect(str(load_portfolio(config).warehouse), read_only=True)


def test_open_issues_past_due_count_towards_rag(raid_warehouse: duckdb.DuckDBPyConnection) -> None:
    health = {r[0]: r[1:] for r in raid_warehouse.execute(
        "SELECT project_id, rag, rag_reasons, open_issues FROM marts.project_health").fetchall()}
    assert health["alpha"] == ("red", "1 high issue(s) open past due", 1)
    assert health["beta"] == ("amber", "1 issue(s) open past due", 2)  # I2 and I4 open; I3 closed
    severities = dict(raid_warehouse.execute("SELECT source_key, severity FROM core.issues").fetchall())
    assert severities == {"raid.csv#raid#I1": 20.0, "raid.csv#raid#I2": 10.0, "raid.csv#raid#I3": 20.0,
                          "raid.csv#raid#I4": 20.0}


def test_raid_dependencies_link_or_are_reported(raid_warehouse: duckdb.DuckDBPyConnection) -> None:
    links = raid_warehouse.execute(
        "SELECT predecessor_id, successor_id, link_type, predecessor_refs FROM core.dependencies").fetchall()
    assert links == [("sheets:alpha.csv#alpha#1", "sheets:alpha.csv#alpha#2", "FS", ["1"])]
    log = raid_warehouse.execute(
        "SELECT source_key, entry_type, project_id, predecessor_id, successor_id FROM core.raid_log ORDER BY 1").fetchall()
    assert log == [
        ("raid.csv#raid#A1", "assumption", "alpha", None, None),
        ("raid.csv#raid#D1", "dependency", "alpha", "sheets:alpha.csv#alpha#1", "sheets:alpha.csv#alpha#2"),
        ("raid.csv#raid#D2", "dependency", "alpha", None, "sheets:alpha.csv#alpha#2"),
    ]
    findings = raid_warehouse.execute(
        "SELECT check_name, severity, object_key, detail FROM marts.data_quality "
        "WHERE check_name = 'cross_team_dependency'").fetchall()
    assert len(findings) == 1 and findings[0][:3] == ("cross_team_dependency", "warning", "log:raid.csv#raid#D2")
    assert "'Finance!GL-1', not a loaded work item" in findings[0][3]
    # Published despite it all: nothing in the log blocks the run.
    assert raid_warehouse.execute("SELECT count(*) FROM core.quarantine").fetchone()[0] == 0
