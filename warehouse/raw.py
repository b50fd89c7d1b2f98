"""Raw tables: a source's last good load, replaced whole in one transaction per successful load."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import duckdb

from connectors.base import QUARANTINE_TABLE
from warehouse.db import raw_table


def _qualified(kind: str, table: str) -> str:
    return "raw.quarantine" if table == QUARANTINE_TABLE else raw_table(kind, table)


def replace_source_rows(
    con: duckdb.DuckDBPyConnection, kind: str, source_id: str, load_id: str, load_dir: Path,
    tables: list[str],
) -> dict[str, int]:
    """Swap the source's rows in every raw table (and the quarantine) for this load, atomically.

    Reads the landed Parquet files in bulk; a table the load has no file for becomes empty for
    this source (the source really holds none of it now).
    """
    counts: dict[str, int] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for table in [*tables, QUARANTINE_TABLE]:
            name = _qualified(kind, table)
            con.execute(f"DELETE FROM {name} WHERE source_id = ?", [source_id])
            parquet = load_dir / f"{table}.parquet"
            if parquet.exists():
                con.execute(
                    f"INSERT INTO {name} BY NAME "
                    "SELECT ?::VARCHAR AS source_id, ?::VARCHAR AS load_id, * FROM read_parquet(?)",
                    [source_id, load_id, str(parquet)],
                )
            counts[table] = con.execute(f"SELECT count(*) FROM {name} WHERE source_id = ?", [source_id]).fetchone()[0]
        record_success(con, source_id, kind, load_id, counts)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return counts


def record_success(
    con: duckdb.DuckDBPyConnection, source_id: str, kind: str, load_id: str, counts: Mapping[str, int]
) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    loaded = sum(n for t, n in counts.items() if t != QUARANTINE_TABLE)
    con.execute(
        """INSERT OR REPLACE INTO meta.source_state
           VALUES (?, ?, ?, ?, 'ok', NULL, ?, ?, ?)""",
        [source_id, kind, now, now, load_id, loaded, counts.get(QUARANTINE_TABLE, 0)],
    )


def record_failure(con: duckdb.DuckDBPyConnection, source_id: str, kind: str, error: str) -> None:
    """Mark the attempt failed; the source's rows and its last success time stay as they were."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute(
        """INSERT INTO meta.source_state (source_id, kind, last_attempt_at, last_status, last_error)
           VALUES (?, ?, ?, 'failed', ?)
           ON CONFLICT (source_id) DO UPDATE SET
             last_attempt_at = excluded.last_attempt_at, last_status = 'failed', last_error = excluded.last_error""",
        [source_id, kind, now, error],
    )
