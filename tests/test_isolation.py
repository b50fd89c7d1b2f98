"""Isolation: one bad record never stops the portfolio publishing.

Each pipeline test takes the synced sample, breaks one record of one source, also changes one
number of a healthy source (so a stale result would be caught), re-syncs and checks that the
publish happened, the healthy numbers are the new ones and the bad record is reported with where
it is. Expectations are computed from the input files here, not read back from the code.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import pytest

from connectors import values as v
from warehouse.quality import check_reference, check_unique

# --- helpers -----------------------------------------------------------------------------------------


def _sync(folder: Path):
    from pipelines.config import load_portfolio
    from pipelines.run import run_sync

    return run_sync(load_portfolio(folder / "portfolio.yaml"))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _edit_cell(path: Path, key_column: str, key: str, column: str, value: str) -> None:
    """Set one cell of a CSV (first column named ``column``) in the row whose ``key_column`` is ``key``."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    at, key_at = header.index(column), header.index(key_column)
    hits = [row for row in rows[1:] if row[key_at] == key]
    assert len(hits) == 1, f"{key} not in {path}"
    hits[0][at] = value
    _write_rows(path, rows)


def _refresh_healthy(folder: Path) -> float:
    """Change one estimate of the healthy CRM tracker; return its total hours as the file now says."""
    path = folder / "sheets" / "digital" / "crm_migration.csv"
    _edit_cell(path, "ID", "CRM-01", "Work", "31h")
    return sum(float(row["Work"].rstrip("h")) for row in _rows(path) if row["Work"])


def _published_and_healthy(folder: Path, report, crm_hours: float) -> duckdb.DuckDBPyConnection:
    assert report.published_this_run, report
    assert not report.failed_checks and not report.failed_steps and not report.failed_sources, report
    con = duckdb.connect(str(report.published), read_only=True)
    hours = con.execute("SELECT sum(work_hours) FROM core.work_items WHERE project_id = 'crm-migration'").fetchone()[0]
    assert hours == pytest.approx(crm_hours)
    return con


def _quarantined(con: duckdb.DuckDBPyConnection, source_id: str, key_pattern: str) -> list[tuple[str, str, str]]:
    return con.execute(
        "SELECT object_key, location, reason FROM core.quarantine WHERE source_id = ? AND object_key LIKE ? "
        "ORDER BY location", [source_id, key_pattern],
    ).fetchall()


# --- pipeline: each bad input in turn ----------------------------------------------------------------


def test_a_phone_number_in_an_hours_column_is_quarantined_and_the_rest_publishes(synced_copy: Path) -> None:
    crm_hours = _refresh_healthy(synced_copy)
    web = synced_copy / "sheets" / "digital" / "web_portal.csv"
    _edit_cell(web, "ID", "WEB-02", "Work", "07700900123")
    web_rows = _rows(web)

    con = _published_and_healthy(synced_copy, _sync(synced_copy), crm_hours)

    [(key, location, reason)] = _quarantined(con, "digital-tracker", "%web_portal%WEB-02")
    assert location == "web_portal.csv, sheet 'web_portal', row 3"  # the header is row 1, WEB-01 row 2
    assert "column 'Work'" in reason and "7.7009e+09 is out of range; expected 0 to 100000" in reason
    loaded = con.execute("SELECT count(*) FROM core.work_items WHERE project_id = 'web-portal'").fetchone()[0]
    assert loaded == len(web_rows) - 1  # every other row of the same sheet loaded
    finding = con.execute(
        "SELECT detail FROM marts.data_quality WHERE check_name = 'quarantined_row' AND object_key = ?", [key]
    ).fetchone()
    assert finding and "row 3" in finding[0]


def test_overlapping_jira_exports_keep_the_latest_copy_and_quarantine_the_other(synced_copy: Path) -> None:
    crm_hours = _refresh_healthy(synced_copy)
    first = synced_copy / "exports" / "customer_api.csv"
    second = synced_copy / "exports" / "customer_api_b.csv"  # a later file: wins ties on Updated
    second.write_bytes(first.read_bytes())
    # In the earlier file CAPI-2 is edited later than its copy: that copy wins, whatever the file order.
    _edit_cell(first, "Issue key", "CAPI-2", "Updated", "20/Nov/26 10:00 AM")
    _edit_cell(first, "Issue key", "CAPI-2", "Summary", "Customer API: Requirements 2 (revised)")
    issues = [row for row in _rows(second) if row["Issue key"]]

    con = _published_and_healthy(synced_copy, _sync(synced_copy), crm_hours)

    names = dict(con.execute(
        "SELECT source_key, name FROM core.work_items WHERE source_id = 'jira-export' AND source_key LIKE 'CAPI-%' "
        "AND source_key NOT LIKE '%/%'"
    ).fetchall())
    issue_keys = {row["Issue key"] for row in issues if row["Issue Type"] != "Risk"}
    assert set(names) == issue_keys  # one row per issue, none lost
    assert names["CAPI-2"] == "Customer API: Requirements 2 (revised)"
    dropped = {key: (location, reason) for key, location, reason in _quarantined(con, "jira-export", "CAPI-%")}
    assert len(dropped) == len(issues)  # one dropped copy per issue
    location, reason = dropped["CAPI-2"]
    assert location == "customer_api_b.csv, row 3" and "kept the copy at customer_api.csv, row 3" in reason
    location, reason = dropped["CAPI-1"]
    assert location == "customer_api.csv, row 2" and "kept the copy at customer_api_b.csv, row 2" in reason


def test_a_repeated_sheet_id_keeps_the_most_recently_updated_row(synced_copy: Path) -> None:
    crm_hours = _refresh_healthy(synced_copy)
    web = synced_copy / "sheets" / "digital" / "web_portal.csv"
    with web.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[0].append("Updated")
    for row in rows[1:]:
        row.append("2026-11-01")
    rows[1][-1] = "2026-11-10"  # WEB-01, row 2: edited after its copy below
    rows.append([*rows[1][:1], "Web portal: Discovery 1 (stale copy)", *rows[1][2:-1], "2026-11-02"])
    _write_rows(web, rows)

    con = _published_and_healthy(synced_copy, _sync(synced_copy), crm_hours)

    name = con.execute("SELECT name FROM core.work_items WHERE source_key LIKE 'web_portal.csv#%#WEB-01'").fetchall()
    assert name == [(rows[1][1],)]  # the row updated 2026-11-10, though it comes first
    [(_, location, reason)] = _quarantined(con, "digital-tracker", "%web_portal%WEB-01")
    assert location == f"web_portal.csv, sheet 'web_portal', row {len(rows)}"
    assert "kept the copy at web_portal.csv, sheet 'web_portal', row 2 (updated 2026-11-10 00:00)" in reason


def test_a_plan_with_a_duplicate_task_uid_keeps_one_task_and_quarantines_the_other(synced_copy: Path) -> None:
    crm_hours = _refresh_healthy(synced_copy)
    plan = synced_copy / "plans" / "expenses.xml"
    text = plan.read_text(encoding="utf-8")
    task = re.search(r"<Task><UID>9</UID>.*?</Task>", text).group(0)
    copy = (task.replace("<ID>9</ID>", "<ID>16</ID>").replace("Expenses: Build 8", "Expenses: Build 8 (copy)")
            .replace("<Work>PT120H0M0S</Work>", "<Work>PT10H0M0S</Work>", 1))
    last_task = list(re.finditer(r"<Task>.*?</Task>", text))[-1]
    plan.write_text(text[:last_task.end()] + "\n" + copy + text[last_task.end():], encoding="utf-8")

    con = _published_and_healthy(synced_copy, _sync(synced_copy), crm_hours)

    rows = con.execute(
        "SELECT name, work_hours FROM core.work_items WHERE work_item_id = 'hr-plans:expenses.xml#9'"
    ).fetchall()
    assert rows == [("Expenses: Build 8 (copy)", 10.0)]  # the later row (ID 16) of the same UID
    [(_, location, reason)] = _quarantined(con, "hr-plans", "expenses.xml#9")
    assert location == "expenses.xml, task UID 9 (ID 9)"
    assert "kept the copy at expenses.xml, task UID 9 (ID 16)" in reason


def test_a_story_whose_parent_is_out_of_scope_counts_at_the_top_and_is_reported(synced_copy: Path) -> None:
    crm_hours = _refresh_healthy(synced_copy)
    export = synced_copy / "exports" / "customer_api.csv"
    _edit_cell(export, "Issue key", "CAPI-3", "Parent", "CAPI-999")  # an epic the export does not hold
    issues = [row for row in _rows(export) if row["Issue key"] and row["Issue Type"] != "Risk"]

    con = _published_and_healthy(synced_copy, _sync(synced_copy), crm_hours)

    row = con.execute(
        "SELECT parent_id, parent_source_key FROM core.work_items WHERE work_item_id = 'jira-export:CAPI-3'"
    ).fetchone()
    assert row == (None, "CAPI-999")
    counted = con.execute(
        "SELECT count(*) FROM core.work_items WHERE project_id = 'customer-api' AND source_key LIKE 'CAPI-%' "
        "AND source_key NOT LIKE '%/%'"
    ).fetchone()[0]
    assert counted == len(issues)  # the story still counts
    [(source_id, detail)] = con.execute(
        "SELECT source_id, detail FROM marts.data_quality WHERE check_name = 'unresolved_parent' "
        "AND object_key = 'jira-export:CAPI-3'"
    ).fetchall()
    assert source_id == "jira-export" and "parent CAPI-999 of CAPI-3 is not loaded" in detail


# --- units: bounds and the safety-net checks' wording ------------------------------------------------


@pytest.mark.parametrize(
    ("value", "bounds", "ok"),
    [(0.0, v.HOURS, True), (100_000.0, v.HOURS, True), (100_000.5, v.HOURS, False), (-1.0, v.COST, False),
     (float("nan"), v.STORY_POINTS, False), (float("inf"), v.COST, False), (None, v.PERCENT, True)],
)
def test_in_range_accepts_only_finite_values_within_bounds(value, bounds, ok) -> None:
    if ok:
        assert v.in_range(value, bounds) == value
    else:
        with pytest.raises(v.CellError, match="out of range"):
            v.in_range(value, bounds)


def test_a_failing_safety_net_check_names_keys_and_sources() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core")
    con.execute("""CREATE TABLE core.work_items AS SELECT * FROM (VALUES
        ('a:1', 'a', '1', NULL), ('a:1', 'a', '1', NULL), ('b:2', 'b', '2', 'b:9')
    ) AS t(work_item_id, source_id, source_key, parent_id)""")

    unique = check_unique(con, "core.work_items", ("work_item_id",))
    assert not unique.passed and unique.failures == 1
    assert "unique_key core.work_items" in unique.description
    assert "a:1 (2x: source id a, source key 1)" in unique.description

    reference = check_reference(con, "core.work_items", "parent_id", "core.work_items", "work_item_id")
    assert not reference.passed and reference.examples == ["b:9 (from source id b, source key 2)"]
    assert "references_parent_id" in reference.description and "b:9" in reference.description
