"""The private build database: connections, schemas, macros and bookkeeping tables.

Only one process writes the build file (the Dagster run, or ``sightline sync``). BI tools never
open it: they read the published copy (see ``warehouse.publish``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

SCHEMAS = ("raw", "config", "meta", "staging", "core", "intermediate", "marts", "history")

# Macros used by staging and transforms, arithmetic (no row expansion), so they stay cheap on
# millions of rows. weekdays_in counts Monday-Friday dates in [a, b] for a <= b: whole weeks give
# five each; the remaining days are a run starting at weekday e (0 = Monday) that may wrap once.
MACROS = (
    """CREATE OR REPLACE MACRO weekdays_in(a, b) AS (
        ((b - a + 1) // 7) * 5
        + greatest(0, least(5, (isodow(a) - 1) + (b - a + 1) % 7) - least(5, isodow(a) - 1))
        + greatest(0, least(12, (isodow(a) - 1) + (b - a + 1) % 7) - 7))""",
    # Monday-Friday dates in [a, b]; negative, counting [b, a), when b is before a.
    """CREATE OR REPLACE MACRO working_days(a, b) AS (
        CASE WHEN a IS NULL OR b IS NULL THEN NULL
             WHEN b < a THEN -weekdays_in(b, a - 1)
             ELSE weekdays_in(a, b)
        END)""",
    # Signed working days from a to b, not counting a itself: 0 when equal.
    """CREATE OR REPLACE MACRO working_days_between(a, b) AS (
        CASE WHEN a IS NULL OR b IS NULL THEN NULL
             WHEN b > a THEN weekdays_in(a + 1, b)
             WHEN b < a THEN -weekdays_in(b + 1, a)
             ELSE 0
        END)""",
)

BOOKKEEPING = (
    """CREATE TABLE IF NOT EXISTS meta.source_state (
        source_id VARCHAR PRIMARY KEY,
        kind VARCHAR,
        last_attempt_at TIMESTAMP,
        last_success_at TIMESTAMP,
        last_status VARCHAR,
        last_error VARCHAR,
        last_load_id VARCHAR,
        rows_loaded BIGINT,
        rows_quarantined BIGINT,
        sync_state VARCHAR
    )""",
    # Build files from before sync_state existed get the column.
    "ALTER TABLE meta.source_state ADD COLUMN IF NOT EXISTS sync_state VARCHAR",
    """CREATE TABLE IF NOT EXISTS raw.quarantine (
        source_id VARCHAR, load_id VARCHAR, object_key VARCHAR, location VARCHAR, reason VARCHAR, record VARCHAR
    )""",
)


def quote(identifier: str) -> str:
    """Quote an identifier for DuckDB (identifiers cannot be bound as parameters)."""
    return '"' + identifier.replace('"', '""') + '"'


def raw_table(kind: str, table: str) -> str:
    """Qualified name of a connector's raw table: raw."<kind>__<table>"."""
    return f"raw.{quote(f'{kind}__{table}')}"


def open_connection(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    if not read_only:
        # Raw and model tables have no meaningful row order; not keeping it lets bulk inserts stream.
        con.execute("SET preserve_insertion_order = false")
    return con


@contextlib.contextmanager
def connect(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = open_connection(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def prepare(con: duckdb.DuckDBPyConnection, raw_schemas: dict[str, dict[str, pa.Schema]]) -> None:
    """Create schemas, macros, bookkeeping tables and every connector's raw tables (idempotent).

    ``raw_schemas`` is kind -> table -> Arrow schema. Raw tables exist even before a source's first
    successful load, so staging views always bind.
    """
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for statement in MACROS + BOOKKEEPING:
        con.execute(statement)
    for kind, tables in raw_schemas.items():
        for table, schema in tables.items():
            ensure_raw_table(con, kind, table, schema)


def ensure_raw_table(con: duckdb.DuckDBPyConnection, kind: str, table: str, schema: pa.Schema) -> None:
    """Create the raw table, or add the columns a newer connector version brought."""
    name = raw_table(kind, table)
    con.register("incoming_schema", pa.Table.from_batches([], schema=schema))
    try:
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {name} AS "
            "SELECT NULL::VARCHAR AS source_id, NULL::VARCHAR AS load_id, * FROM incoming_schema LIMIT 0"
        )
        existing = {row[0] for row in con.execute(f"DESCRIBE {name}").fetchall()}
        for column, column_type, *_ in con.execute("DESCRIBE SELECT * FROM incoming_schema").fetchall():
            if column not in existing:
                con.execute(f"ALTER TABLE {name} ADD COLUMN {quote(column)} {column_type}")
    finally:
        con.unregister("incoming_schema")


def sql_literal(text: str) -> str:
    """A quoted SQL string literal, for the few statements DuckDB cannot bind parameters in
    (ATTACH paths, COMMENT ON texts). Everything else binds its values."""
    return "'" + text.replace("'", "''") + "'"
