"""A synthetic portfolio in the staging shape, generated inside DuckDB: P projects and N work items
with dependencies, assignments, risks and objectives, plus the config tables the models read."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from pipelines.config import Rules
from warehouse.canonical import STAGING_STREAMS
from warehouse.db import quote
from warehouse.models import write_tables


def fill(con: duckdb.DuckDBPyConnection, items: int, projects: int = 2000) -> None:
    people = max(50, items // 200)
    params = {"items": items, "projects": projects, "people": people}
    statements = [
        "CREATE OR REPLACE TABLE config.programs AS SELECT 'prog-' || (i % 50) AS program_id, 'Program ' || (i % 50) "
        "AS name, NULL::VARCHAR AS owner, NULL::VARCHAR AS pct_complete_basis FROM range(50) t(i)",
        "CREATE OR REPLACE TABLE config.projects AS SELECT 'proj-' || i AS project_id, 'prog-' || (i % 50) AS program_id,"
        " 'Project ' || i AS name, 'bench' AS source_id, 'P' || i AS key, NULL::VARCHAR AS manager, "
        "NULL::VARCHAR AS reported_status, NULL::DATE AS reported_at, NULL::VARCHAR AS reported_by, "
        "NULL::VARCHAR AS comment FROM range($projects) t(i)",
        "CREATE OR REPLACE TABLE config.project_systems AS SELECT 'proj-' || i AS project_id, "
        "'System ' || (i % 40) AS system FROM range($projects) t(i)",
        "CREATE OR REPLACE TABLE config.objectives AS SELECT 'obj-' || i AS objective_id, 'Objective ' || i AS name, "
        "0.2 AS target_share FROM range(4) t(i)",
        "CREATE OR REPLACE TABLE config.project_objectives AS SELECT 'proj-' || i AS project_id, 'obj-' || (i % 4) "
        "AS objective_id, 0.8 AS weight FROM range($projects) t(i)",
        "CREATE OR REPLACE TABLE config.sources AS SELECT 'bench' AS source_id, 'bench' AS kind",
        "CREATE OR REPLACE TABLE config.status_map (source_id VARCHAR, status_word VARCHAR, is_pattern BOOLEAN, "
        "position BIGINT, status VARCHAR)",
        "CREATE OR REPLACE TABLE config.capacity (person VARCHAR, hours_per_week DOUBLE)",
        "CREATE OR REPLACE TABLE config.resource_aliases (alias VARCHAR, person VARCHAR)",
        "CREATE OR REPLACE TABLE meta.run AS SELECT DATE '2026-06-01' AS as_of, 'UTC' AS timezone, "
        "now()::TIMESTAMP AS started_at, 'bench' AS config_path",
        "INSERT OR REPLACE INTO meta.source_state (source_id, kind, last_attempt_at, last_success_at, last_status) "
        "VALUES ('bench', 'bench', now()::TIMESTAMP, now()::TIMESTAMP, 'ok')",
        "CREATE OR REPLACE TABLE staging.projects AS SELECT 'bench' AS source_id, 'P' || i AS source_key, "
        "['Project ' || i] AS aliases, 'Project ' || i AS name, NULL AS manager, DATE '2026-01-05' AS planned_start, "
        "DATE '2026-12-18' AS planned_finish, DATE '2026-11-30' AS baseline_finish, NULL::DOUBLE AS budget, "
        "NULL AS reported_status FROM range($projects) t(i)",
        # Items: day offsets spread over a year; every 25th a milestone; every 3rd depends on the one before.
        "CREATE OR REPLACE TABLE staging.work_items AS SELECT 'bench' AS source_id, 'I' || i AS source_key, "
        "'P' || (i % $projects) AS project_source_key, NULL AS parent_source_key, 'Item ' || i AS name, 'task' AS item_type,"
        " i % 25 = 0 AS is_milestone, false AS is_summary, ['To Do','In Progress','Done','Blocked'][1 + i % 4] AS status_raw,"
        " ['not_started','in_progress','done','blocked'][1 + i % 4] AS status_default, 'U' || (i % $people) AS assignee_key,"
        " DATE '2026-01-05' + CAST(i % 300 AS INTEGER) AS planned_start,"
        " DATE '2026-01-05' + CAST(i % 300 + 1 + i % 14 AS INTEGER) AS planned_finish, 8.0 * (1 + i % 14) AS duration_hours,"
        " DATE '2026-01-05' + CAST(i % 300 AS INTEGER) AS baseline_start,"
        " DATE '2026-01-05' + CAST(i % 300 + i % 14 AS INTEGER) AS baseline_finish, NULL::DATE AS actual_start,"
        " NULL::DATE AS actual_finish, NULL::DATE AS due_date, CAST((i * 37) % 101 AS DOUBLE) AS percent_complete,"
        " 4.0 * (1 + i % 10) AS work_hours, NULL::DOUBLE AS actual_work_hours, CAST(1 + i % 8 AS DOUBLE) AS story_points,"
        " NULL::DOUBLE AS cost, 100.0 * (1 + i % 10) AS baseline_cost, 90.0 * (1 + i % 10) AS actual_cost,"
        " ['System ' || (i % 40)] AS systems, []::VARCHAR[] AS objectives, NULL::TIMESTAMP AS updated_at,"
        " NULL AS location, i AS position FROM range($items) t(i)",
        "CREATE OR REPLACE TABLE staging.dependencies AS SELECT 'bench' AS source_id, 'I' || (i - 1) AS predecessor_key,"
        " 'I' || i AS successor_key, 'I' || (i - 1) AS predecessor_ref, 'FS' AS link_type, 0.0 AS lag_hours,"
        " NULL AS predecessor_project_ref, NULL AS predecessor_item_ref FROM range(1, $items) t(i) WHERE i % 3 = 0",
        "CREATE OR REPLACE TABLE staging.resources AS SELECT 'bench' AS source_id, 'U' || i AS source_key,"
        " 'Person ' || i AS name, 'person' || i || '@example.com' AS email, 'Team ' || (i % 20) AS team,"
        " NULL::DOUBLE AS capacity_hours_per_week, NULL::TIMESTAMP AS updated_at, NULL AS location, i AS position"
        " FROM range($people) t(i)",
        "CREATE OR REPLACE TABLE staging.assignments AS SELECT source_id, source_key AS work_item_key,"
        " assignee_key AS resource_key, 1.0 AS units, work_hours, planned_start AS start, planned_finish AS finish"
        " FROM staging.work_items",
        "CREATE OR REPLACE TABLE staging.risks AS SELECT 'bench' AS source_id, 'R' || i AS source_key,"
        " 'P' || (i % $projects) AS project_ref, 'Risk ' || i AS title, CAST(1 + i % 5 AS DOUBLE) AS probability,"
        " CAST(1 + (i * 7) % 5 AS DOUBLE) AS impact, 'Open' AS status, NULL AS owner, DATE '2026-05-01' AS due_date,"
        " NULL AS mitigation, NULL::TIMESTAMP AS updated_at, NULL AS location, i AS position"
        " FROM range($projects * 5) t(i)",
        # Calendars: every other project is an MS Project plan with 12 weekday holidays in the year (every
        # 4th Monday from 5 Jan) and one worked Saturday; every 10th person has a holiday of their own.
        "CREATE OR REPLACE TABLE staging.calendar_days AS SELECT 'bench' AS source_id, 'P' || p AS project_source_key,"
        " NULL AS resource_key, DATE '2026-01-05' + CAST(28 * h AS INTEGER) AS date, false AS is_working,"
        " 'bench' AS location FROM range(0, $projects, 2) t(p), range(12) s(h)"
        " UNION ALL SELECT 'bench', 'P' || p, NULL, DATE '2026-03-07', true, 'bench' FROM range(0, $projects, 2) t(p)"
        " UNION ALL SELECT 'bench', 'P' || (i % $projects), 'U' || i, DATE '2026-04-10', false, 'bench'"
        " FROM range(0, $people, 10) t(i)",
        "CREATE OR REPLACE TABLE staging.status_changes AS SELECT 'bench' AS source_id, NULL AS work_item_key,"
        " NULL::TIMESTAMP AS changed_at, NULL AS from_status, NULL AS to_status WHERE false",
    ]
    write_tables(con, "config", {"rules": pa.Table.from_pylist([Rules().model_dump()])})
    for statement in statements:
        con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
    # The canonical shape grows: a stream the synthetic portfolio does not fill (status reports) is an
    # empty table of its shape, and a column it does not fill (source_url) is NULL.
    for stream, columns in STAGING_STREAMS.items():
        typed = ", ".join(f"{quote(c)} {t}" for c, t in columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS staging.{quote(stream)} ({typed})")
        present = {row[0] for row in con.execute(f"DESCRIBE staging.{quote(stream)}").fetchall()}
        for column, column_type in columns:
            if column not in present:
                con.execute(f"ALTER TABLE staging.{quote(stream)} ADD COLUMN {quote(column)} {column_type}")
    con.execute("CREATE OR REPLACE TABLE raw.quarantine AS SELECT * FROM raw.quarantine WHERE false")


def chain(con: duckdb.DuckDBPyConnection, items: int, shape: str) -> None:
    """Reshape a filled portfolio for the slip-through-chains model: every item open, one working day
    long, on consecutive working days from Monday 4 May 2026 (so the first ones are overdue on the
    as_of, 1 June). shape 'chain': item i waits (FS) for item i-1, so the slip runs all the way down;
    'overlap': the same chain with items three working days long, so each link adds to the push
    (the case that was quadratic); 'fanout': every item waits for item 0."""
    con.execute("UPDATE staging.work_items SET status_raw = 'To Do', status_default = 'not_started', "
                "percent_complete = 0, planned_start = wd_date(wd_index(DATE '2026-05-04') + position), "
                "planned_finish = wd_date(wd_index(DATE '2026-05-04') + position + $extra)",
                {"extra": 2 if shape == "overlap" else 0})
    predecessor = "'I0'" if shape == "fanout" else "'I' || (i - 1)"
    con.execute("CREATE OR REPLACE TABLE staging.dependencies AS "
                f"SELECT 'bench' AS source_id, {predecessor} AS predecessor_key, 'I' || i AS successor_key, "
                f"{predecessor} AS predecessor_ref, NULL::VARCHAR AS predecessor_project_ref, "
                "NULL::VARCHAR AS predecessor_item_ref, 'FS' AS link_type, 0.0::DOUBLE AS lag_hours "
                "FROM range(1, $items) t(i)", {"items": items})
