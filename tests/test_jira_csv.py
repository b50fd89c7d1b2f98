"""Jira CSV exports: repeated headers read by position, custom fields, Jira dates in a time zone."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from connectors.base import ExtractContext, SourceError, SourceSpec
from connectors.jira import JiraCsvConnector
from connectors.jira.options import JiraCsvOptions
from pipelines.extract import load_source
from warehouse import db
from warehouse.models import build_kind_staging

HEADER = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key", "Project name", "Assignee",
          "Created", "Updated", "Resolved", "Due Date", "Original Estimate", "Time Spent", "Remaining Estimate",
          "Labels", "Labels", "Labels", "Sprint", "Sprint", "Component/s", "Component/s", "Watchers", "Watchers",
          "Fix Version/s", "Custom field (Story Points)", "Custom field (Epic Link)", "Parent",
          "Outward issue link (Blocks)", "Inward issue link (Blocks)", "Outward issue link (Blocks)"]
ROWS = [
    ["Ledger epic", "FIN-1", "501", "Epic", "In Progress", "FIN", "Finance", "Ann Lee", "02/Jan/24 9:00 AM",
     "12/Jan/24 3:04 PM", "", "", "", "", "", "gl", "", "", "", "", "General Ledger", "", "ann", "bo", "",
     "", "", "", "", "", ""],
    ["Post journals", "FIN-2", "502", "Story", "Done", "FIN", "Finance", "Bo Chen", "03/Jan/24 10:00 AM",
     "12/Jul/24 3:04 PM", "12/Jul/24 3:04 PM", "15/Jul/24", "28800", "28800", "0", "gl", "backend", "urgent",
     "Sprint 1", "Sprint 2", "General Ledger", "Payroll Engine", "ann", "", "R1", "5", "FIN-1", "",
     "FIN-3", "", "FIN-4"],
    ["Close the month", "FIN-3", "503", "Sub-task", "To Do", "FIN", "Finance", "", "04/Jan/24 11:00 AM",
     "05/Jan/24 11:00 AM", "", "", "14400", "", "14400", "", "", "", "", "", "", "", "", "", "", "", "",
     "502", "", "FIN-2", ""],
    ["Broken row", "FIN-4", "504", "Task", "To Do", "FIN", "Finance", "", "not a date", "05/Jan/24 11:00 AM",
     "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
]


def write_export(path: Path, rows: list[list[str]] = ROWS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def spec(folder: Path, **extra: object) -> SourceSpec:
    options = {"path": "*.csv", "timezone": "Europe/London", "fields": {"story_points": "Story Points"}, **extra}
    return SourceSpec(id="jira-export", kind="jira_csv", options=JiraCsvOptions.model_validate(options), base_dir=folder)


def test_export_with_repeated_headers_custom_fields_and_local_times(tmp_path: Path) -> None:
    write_export(tmp_path / "finance.csv")
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    db.prepare(con, {"jira_csv": dict(JiraCsvConnector.raw_schemas)})
    outcome = load_source(con, spec(tmp_path), tmp_path / "landing", retention_days=3)
    assert outcome.ok, outcome.error
    build_kind_staging(con, "jira_csv", JiraCsvConnector.staging_sql_dir())

    issues = {r[0]: r for r in con.execute(
        'SELECT issue_key, labels, components, sprint_name, story_points, updated_at, original_estimate_hours, '
        'status_category FROM raw."jira_csv__issues"').fetchall()}
    assert sorted(issues) == ["FIN-1", "FIN-2", "FIN-3"]  # FIN-4 is quarantined
    story = issues["FIN-2"]
    assert story[1] == ["gl", "backend", "urgent"]  # three Labels columns, grouped by position
    assert story[2] == ["General Ledger", "Payroll Engine"]
    assert story[3] == "Sprint 2"  # the latest of the Sprint columns
    assert story[4] == 5.0 and story[6] == 8.0
    # 3:04 PM in London is 14:04 UTC in July (BST) and 15:04 UTC in January (GMT).
    assert story[5] == dt.datetime(2024, 7, 12, 14, 4)
    assert issues["FIN-1"][5] == dt.datetime(2024, 1, 12, 15, 4)

    items = {r[0]: r[1:] for r in con.execute(
        "SELECT source_key, parent_source_key, item_type, status_default, systems, percent_complete "
        "FROM staging.jira_csv__work_items").fetchall()}
    assert items["FIN-2"][0] == "FIN-1"  # Epic Link
    assert items["FIN-3"][0] == "FIN-2"  # Parent given as an issue id, resolved to its key
    assert items["FIN-3"][1] == "sub-task"
    # No Status Category column: the usual words decide.
    assert [items[k][2] for k in ("FIN-1", "FIN-2", "FIN-3")] == ["in_progress", "done", "not_started"]
    assert items["FIN-2"][3] == sorted(["General Ledger", "Payroll Engine", "gl", "backend", "urgent"])
    assert items["FIN-2"][4] == 100.0  # 8h spent, nothing remaining
    assert items["FIN/versions/R1"][1:3] == ("release", "not_started")  # fix version as a milestone

    deps = sorted(con.execute("SELECT predecessor_key, successor_key, link_type FROM staging.jira_csv__dependencies"
                              ).fetchall())
    assert deps == [("FIN-2", "FIN-3", "blocks"), ("FIN-2", "FIN-3", "blocks"), ("FIN-2", "FIN-4", "blocks")]
    (location, reason), = con.execute("SELECT location, reason FROM raw.quarantine").fetchall()
    assert location == "finance.csv, row 5" and "'not a date' is not a Jira date" in reason


def test_not_an_export_is_a_clear_source_error(tmp_path: Path) -> None:
    (tmp_path / "tasks.csv").write_text("Task,Status\nA,Done\n")
    with pytest.raises(SourceError, match="tasks.csv: not a Jira CSV export"):
        list(JiraCsvConnector(spec(tmp_path)).extract(ExtractContext()))


def test_a_configured_custom_field_that_is_not_exported_is_named(tmp_path: Path) -> None:
    write_export(tmp_path / "finance.csv")
    with pytest.raises(SourceError, match=r"no column 'Custom field \(Theme\)' \(fields.objectives\)"):
        list(JiraCsvConnector(spec(tmp_path, fields={"objectives": "Theme"})).extract(ExtractContext()))


def test_rows_with_unreadable_or_unbelievable_values_are_quarantined_by_key(tmp_path: Path) -> None:
    story_points, estimate = HEADER.index("Custom field (Story Points)"), HEADER.index("Original Estimate")

    def variant(key: str, column: int, value: str) -> list[str]:
        row = [*ROWS[1]]
        row[HEADER.index("Issue key")], row[HEADER.index("Issue id")], row[column] = key, key.split("-")[1], value
        return row

    write_export(tmp_path / "finance.csv", [ROWS[0], ROWS[1], variant("FIN-7", story_points, "13 points"),
                                            variant("FIN-8", estimate, str(3600 * 150_000)),
                                            variant("FIN-9", story_points, "20000")])
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    db.prepare(con, {"jira_csv": dict(JiraCsvConnector.raw_schemas)})
    outcome = load_source(con, spec(tmp_path), tmp_path / "landing", retention_days=3)
    assert outcome.ok, outcome.error
    loaded = {r[0] for r in con.execute('SELECT issue_key FROM raw."jira_csv__issues"').fetchall()}
    assert loaded == {"FIN-1", "FIN-2"}
    quarantined = sorted(con.execute("SELECT object_key, location, reason FROM raw.quarantine").fetchall())
    assert quarantined == [
        ("FIN-7", "finance.csv, row 4", 'FIN-7: story points "13 points" is not a number'),
        ("FIN-8", "finance.csv, row 5",
         "FIN-8: original estimate (hours) 150000 is out of range; expected 0 to 100000"),
        ("FIN-9", "finance.csv, row 6", "FIN-9: story points 20000 is out of range; expected 0 to 10000"),
    ]
