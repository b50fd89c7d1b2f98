"""The BI-friendly marts (issue #12 part 3), each model's SQL run on a few hand-made rows: the RAG
rank and colour, marts.calendar, marts.portfolio_summary and slip_days in marts.milestone_trend.
Expected values are worked out by hand in each test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pytest

from warehouse.db import prepare
from warehouse.models import build_model, discover_models

MODELS = {m.table: m for m in discover_models()}


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(":memory:") as connection:
        prepare(connection, {})
        yield connection


def as_of(con: duckdb.DuckDBPyConnection, day: dt.date) -> None:
    con.execute("INSERT INTO meta.run VALUES (?, 'UTC', now(), 'portfolio.yaml')", [day])


def build(con: duckdb.DuckDBPyConnection, table: str) -> list[dict]:
    build_model(con, MODELS[table])
    result = con.execute(f"SELECT * FROM {table}")
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def work_items(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    """core.work_items with only the columns the models under test read."""
    con.execute("""CREATE TABLE core.work_items (work_item_id VARCHAR, project_id VARCHAR, name VARCHAR,
        planned_start DATE, planned_finish DATE, baseline_start DATE, baseline_finish DATE, actual_start DATE,
        actual_finish DATE, due_date DATE)""")
    con.executemany("INSERT INTO core.work_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def projects(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""CREATE TABLE core.programs AS SELECT * FROM (VALUES ('fin', 'Finance'), ('ops', 'Operations'))
                   AS t(program_id, name)""")
    con.execute("""CREATE TABLE core.projects (project_id VARCHAR, program_id VARCHAR, name VARCHAR,
                   planned_start DATE, planned_finish DATE, baseline_finish DATE)""")
    con.execute("INSERT INTO core.projects VALUES ('payroll', 'fin', 'Payroll', NULL, NULL, NULL), "
                "('depot', 'ops', 'Depot move', NULL, NULL, NULL)")


def test_rag_rank_and_colour_are_as_stated(con) -> None:
    rows = con.execute("SELECT rag, rag_rank(rag), rag_colour(rag) FROM (VALUES ('red'), ('amber'), ('green'), "
                       "('unknown'), (NULL)) AS t(rag) ORDER BY rag_rank(rag) DESC").fetchall()
    assert rows == [("red", 3, "#D32F2F"), ("amber", 2, "#F9A825"), ("green", 1, "#388E3C"),
                    ("unknown", 0, "#9E9E9E"), (None, 0, "#9E9E9E")]
    assert con.execute("SELECT list_text(['a', 'b']), list_text([]::VARCHAR[]), list_text(NULL)").fetchone() == (
        "a, b", "", "")


def test_calendar_spans_the_portfolio_with_iso_weeks_and_working_days(con) -> None:
    as_of(con, dt.date(2026, 12, 30))
    projects(con)
    # One item from Monday 28 December 2026 to Monday 4 January 2027: 8 days, across a year end.
    work_items(con, [("a", "payroll", "Cut-over", dt.date(2026, 12, 28), dt.date(2027, 1, 4),
                      None, None, None, None, None)])
    days = {r["date"]: r for r in build(con, "marts.calendar")}
    assert sorted(days) == [dt.date(2026, 12, 28) + dt.timedelta(days=n) for n in range(8)]
    new_year = days[dt.date(2027, 1, 1)]  # a Friday in ISO week 53 of 2026
    assert (new_year["iso_year"], new_year["iso_week"], new_year["iso_week_label"]) == (2026, 53, "2026-W53")
    assert new_year["week_start"] == dt.date(2026, 12, 28)
    assert (new_year["month"], new_year["month_start"], new_year["quarter"]) == ("2027-01", dt.date(2027, 1, 1), "2027-Q1")
    assert new_year["is_working_day"] is True
    assert days[dt.date(2027, 1, 2)]["is_working_day"] is False  # Saturday
    monday = days[dt.date(2027, 1, 4)]
    assert (monday["iso_week_label"], monday["week_start"], monday["is_working_day"]) == ("2027-W01", dt.date(2027, 1, 4), True)
    assert days[dt.date(2026, 12, 31)]["quarter"] == "2026-Q4"


def test_calendar_is_bounded_to_ten_years_around_as_of(con) -> None:
    as_of(con, dt.date(2026, 12, 30))
    projects(con)
    # A mistyped year 2926: the calendar stops ten years after as_of, on 30 December 2036.
    work_items(con, [("a", "payroll", "Typo", dt.date(2026, 12, 29), dt.date(2926, 1, 1), None, None, None, None, None)])
    rows = sorted(build(con, "marts.calendar"), key=lambda r: r["date"])
    assert (rows[0]["date"], rows[-1]["date"]) == (dt.date(2026, 12, 29), dt.date(2036, 12, 30))
    assert len(rows) == (dt.date(2036, 12, 30) - dt.date(2026, 12, 29)).days + 1


def summary_inputs(con: duckdb.DuckDBPyConnection, rags: list[str]) -> None:
    as_of(con, dt.date(2026, 11, 18))  # a Wednesday; its ISO week starts Monday 16 November
    projects(con)
    con.execute("""CREATE TABLE marts.project_health (project_id VARCHAR, rag VARCHAR, watermelon BOOLEAN,
        items_total BIGINT, items_done BIGINT, items_cancelled BIGINT, items_open BIGINT, overdue_items BIGINT,
        milestones_total BIGINT, milestones_late BIGINT, open_risks BIGINT, open_risks_high BIGINT)""")
    for n, rag in enumerate(rags):  # project n: 10 items, n + 1 done, 1 cancelled, the rest open
        con.execute("INSERT INTO marts.project_health VALUES (?, ?, ?, 10, ?, 1, ?, 1, 2, ?, 3, ?)",
                    [f"p{n}", rag, rag == "red", n + 1, 10 - (n + 1) - 1, n % 2, n])
    con.execute("CREATE TABLE core.resources AS SELECT * FROM (VALUES ('ann'), ('bob'), ('cy')) AS t(resource_id)")
    con.execute("""CREATE TABLE marts.resource_deployment AS SELECT * FROM (VALUES
        ('ann', DATE '2026-11-16', true), ('ann', DATE '2026-11-23', true), ('bob', DATE '2026-11-09', true),
        ('cy', DATE '2026-11-16', false)) AS t(resource_id, week_start, is_overallocated)""")
    con.execute("INSERT INTO meta.source_state (source_id, last_status) VALUES ('a', 'ok'), ('b', 'failed')")
    con.execute("""CREATE TABLE marts.data_quality AS SELECT * FROM (VALUES ('x', 'error'), ('y', 'warning'),
        ('z', 'warning')) AS t(check_name, severity)""")


def test_portfolio_summary_is_one_row_of_sums(con) -> None:
    summary_inputs(con, ["red", "green", "amber"])
    [row] = build(con, "marts.portfolio_summary")
    assert row["as_of"] == dt.date(2026, 11, 18)
    assert (row["programs_total"], row["projects_total"]) == (2, 3)
    assert (row["projects_red"], row["projects_amber"], row["projects_green"], row["projects_unknown"]) == (1, 1, 1, 0)
    assert row["projects_watermelon"] == 1
    # done 1 + 2 + 3 = 6 of 30 items, 3 cancelled: 6 / 27 as a percent
    assert (row["items_total"], row["items_done"], row["items_open"]) == (30, 6, 8 + 7 + 6)
    assert row["pct_complete_count"] == pytest.approx(100 * 6 / 27)
    assert (row["milestones_total"], row["milestones_late"], row["open_risks"], row["open_risks_high"]) == (6, 1, 9, 3)
    assert (row["resources_total"], row["resources_overallocated_this_week"]) == (3, 1)  # ann only, in week 16 Nov
    assert (row["sources_total"], row["sources_failed"]) == (2, 1)
    assert (row["data_quality_errors"], row["data_quality_warnings"]) == (1, 2)
    assert (row["rag"], row["rag_rank"], row["rag_colour"]) == ("red", 3, "#D32F2F")


def test_portfolio_rag_is_never_green_over_a_project_that_cannot_be_judged(con) -> None:
    summary_inputs(con, ["green", "unknown"])
    [row] = build(con, "marts.portfolio_summary")
    assert (row["rag"], row["rag_rank"]) == ("unknown", 0)


def test_milestone_trend_slip_days_against_baseline_else_first_plan(con) -> None:
    projects(con)
    work_items(con, [("m1", "payroll", "Go-live", None, None, None, None, None, None, None)])
    con.execute("DROP TABLE IF EXISTS history.work_item_snapshots")
    con.execute("""CREATE TABLE history.work_item_snapshots (snapshot_date DATE, work_item_id VARCHAR,
        project_id VARCHAR, status VARCHAR, is_milestone BOOLEAN, planned_finish DATE, baseline_finish DATE,
        due_date DATE, actual_finish DATE)""")
    con.execute("""INSERT INTO history.work_item_snapshots VALUES
        ('2026-11-01', 'm1', 'payroll', 'in_progress', true, '2026-11-20', NULL, NULL, NULL),
        ('2026-11-08', 'm1', 'payroll', 'in_progress', true, '2026-11-27', NULL, NULL, NULL),
        ('2026-11-15', 'm1', 'payroll', 'in_progress', true, '2026-11-27', '2026-11-18', NULL, NULL),
        ('2026-11-22', 'm1', 'payroll', 'done', true, '2026-11-27', '2026-11-18', NULL, '2026-11-16')""")
    rows = sorted(build(con, "marts.milestone_trend"), key=lambda r: r["snapshot_date"])
    # no baseline: against the first plan (20 Nov) - 0, then 7 days; with a baseline of 18 Nov: 27 - 18 = 9;
    # done on 16 Nov: 2 days early
    assert [r["slip_days"] for r in rows] == [0, 7, 9, -2]
    assert {(r["milestone_name"], r["project_name"], r["program_id"], r["program_name"]) for r in rows} == {
        ("Go-live", "Payroll", "fin", "Finance")}
