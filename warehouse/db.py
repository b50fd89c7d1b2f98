"""The private build database: connections, schemas, macros and bookkeeping tables.

Only one process writes the build file (the Dagster run, or ``sightline sync``). BI tools never
open it: they read the published copy (see ``warehouse.publish``).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from transforms import TRANSFORMS_DIR

SCHEMAS = ("raw", "config", "meta", "staging", "core", "intermediate", "marts", "history")

# Macros used by staging and transforms live as SQL in transforms/macros/*.sql, each statement
# ending with ";" at the end of a line. Files load in name order.
MACROS_DIR = TRANSFORMS_DIR / "macros"


def load_macros(folder: Path = MACROS_DIR) -> tuple[str, ...]:
    """Every CREATE MACRO statement of the folder's .sql files, in file order."""
    statements = []
    for path in sorted(folder.glob("*.sql")):
        text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("--"))
        statements += [s.strip() for s in re.split(r";\s*$", text, flags=re.MULTILINE) if s.strip()]
    return tuple(statements)


MACROS = load_macros()

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
    # The run's facts, replaced by the config asset; it exists from the start so the as_of() macro binds.
    """CREATE TABLE IF NOT EXISTS meta.run (as_of DATE, timezone VARCHAR, started_at TIMESTAMP, config_path VARCHAR)""",
    # marts.project_health reads the previous day's snapshot (the watermelon check) before the history
    # model first runs; the snapshot model replaces this empty placeholder with its own shape.
    """CREATE TABLE IF NOT EXISTS history.project_health_snapshots (
        snapshot_date DATE, project_id VARCHAR, rag VARCHAR, rag_reasons VARCHAR, reported_status VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS raw.quarantine (
        source_id VARCHAR, load_id VARCHAR, object_key VARCHAR, location VARCHAR, reason VARCHAR, record VARCHAR,
        level VARCHAR, column_name VARCHAR, cell_value VARCHAR
    )""",
    # Build files from before cell-level findings get their columns.
    "ALTER TABLE raw.quarantine ADD COLUMN IF NOT EXISTS level VARCHAR",
    "ALTER TABLE raw.quarantine ADD COLUMN IF NOT EXISTS column_name VARCHAR",
    "ALTER TABLE raw.quarantine ADD COLUMN IF NOT EXISTS cell_value VARCHAR",
)


def quote(identifier: str) -> str:
    """Quote an identifier for DuckDB (identifiers cannot be bound as parameters)."""
    return '"' + identifier.replace('"', '""') + '"'


def raw_table(kind: str, table: str) -> str:
    """Qualified name of a connector's raw table: raw."<kind>__<table>"."""
    return f"raw.{quote(f'{kind}__{table}')}"


#: DuckDB's own memory (its buffer pool, joins, sorts) in the build: ``SIGHTLINE_DUCKDB_MEMORY_LIMIT``
#: (a DuckDB size, e.g. ``2GB``) bounds it, and DuckDB spills beyond it to ``<build file>.tmp``. Unset,
#: the build is bounded at DEFAULT_MEMORY_LIMIT (DuckDB's own default, 80% of the machine, if that is
#: lower): every model of the 3M-item benchmark fits it, and a model that does not is rebuilt under
#: DuckDB's default instead of failing the sync (warehouse.models.build_model).
MEMORY_LIMIT_ENV = "SIGHTLINE_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "1GB"
#: A raw merge streams Parquet into tables and needs little; bounding it keeps DuckDB from caching
#: every block it writes, so a large source's load does not grow the process by the source's size.
#: The bounds are tried in turn, lowest first; a merge that runs out of memory under one rolls back
#: and runs again under the next, then under the build's bound (warehouse.raw.apply_load). On one
#: thread (MERGE_THREADS) a Jira issues load grew the process 39 MB at 200,000 issues under 32 MB
#: (37 MB at 50,000: flat), 76 MB under 128 MB; rows of 36 text columns of 50 characters need
#: 128 MB (fail at 32 MB within 0.1 s, so trying it first costs them little).
MERGE_MEMORY_LIMITS = ("32MB", "128MB")
#: DuckDB threads during a raw merge: each inserting thread fills its own DuckDB row group in memory
#: before writing it out, so two threads need twice the memory; the merge is ~1 s of a 200,000-issue
#: sync (1.5 s on one thread against 1.0 s on two).
MERGE_THREADS = 1
_UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50}


def build_memory_limit() -> str | None:
    """The configured bound (``SIGHTLINE_DUCKDB_MEMORY_LIMIT``), None when unset."""
    return os.environ.get(MEMORY_LIMIT_ENV, "").strip() or None


def _set_memory_limit(con: duckdb.DuckDBPyConnection, limit: str | None) -> float:
    """Set the bound (None: DuckDB's default) and return it in bytes, as DuckDB read it."""
    if limit is None:
        con.execute("RESET memory_limit")
    else:
        con.execute("SET memory_limit = ?", [limit])
    number, unit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0].split()
    return float(number) * _UNITS[unit]


def set_build_memory(con: duckdb.DuckDBPyConnection) -> float:
    """Bound DuckDB as the build runs (the configured bound, else the lower of DEFAULT_MEMORY_LIMIT and
    DuckDB's default); the bound in bytes. Set by name, not read back, so it never drifts."""
    configured = build_memory_limit()
    if configured is not None:
        return _set_memory_limit(con, configured)
    machine = _set_memory_limit(con, None)
    default = _set_memory_limit(con, DEFAULT_MEMORY_LIMIT)
    return default if default <= machine else _set_memory_limit(con, None)


@contextlib.contextmanager
def duckdb_default_memory(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB's own default bound (80% of the machine) for the block, then back to the build's."""
    _set_memory_limit(con, None)
    try:
        yield
    finally:
        set_build_memory(con)


@contextlib.contextmanager
def merge_memory(con: duckdb.DuckDBPyConnection, limit: str) -> Iterator[None]:
    """DuckDB bounded by ``limit`` (or the build's bound, if lower) and on MERGE_THREADS threads for
    the block, then back to the build's bound and the connection's threads."""
    build_bytes = set_build_memory(con)
    if _set_memory_limit(con, limit) > build_bytes:
        set_build_memory(con)
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    con.execute("SET threads = ?", [MERGE_THREADS])
    try:
        yield
    finally:
        con.execute("SET threads = ?", [threads])
        set_build_memory(con)


def open_connection(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    if not read_only:
        # Raw and model tables have no meaningful row order; not keeping it lets bulk inserts stream.
        # Published tables are written ORDER BY their key (warehouse/publish.py), which this does not change.
        con.execute("SET preserve_insertion_order = false")
        set_build_memory(con)
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
    for statement in BOOKKEEPING + MACROS:
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
