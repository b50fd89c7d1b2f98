"""Raw tables: each source's current rows, changed only by a load that has fully landed.

A full load replaces the source's rows in every raw table. An incremental load merges: rows of
the records it carries are replaced, and when it lists the keys still present at the source,
rows of records that disappeared are deleted. Either way the change and the source's new sync
state commit in one transaction, so a cursor never moves past data that did not land.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from connectors.base import PRESENT_KEYS_TABLE, QUARANTINE_TABLE
from warehouse.db import MERGE_MEMORY_LIMITS, merge_memory, quote, raw_table, sql_literal
from warehouse.memory import release_memory

log = logging.getLogger("sightline.raw")


@dataclass(frozen=True)
class Load:
    kind: str
    source_id: str
    load_id: str
    directory: Path
    tables: tuple[str, ...]
    incremental: bool = False
    merge_key: str | None = None
    primary_table: str | None = None
    state: Mapping[str, Any] | None = None

    def parquet(self, table: str) -> Path | None:
        path = self.directory / f"{table}.parquet"
        return path if path.exists() else None


def _qualified(kind: str, table: str) -> str:
    return "raw.quarantine" if table == QUARANTINE_TABLE else raw_table(kind, table)


def apply_load(con: duckdb.DuckDBPyConnection, load: Load) -> dict[str, int]:
    """Bring the landed load into the raw tables and record it, atomically. Returns rows per table
    for this source afterwards (and ``deleted``: records removed because they left the source)."""
    # The extract that landed this load has just ended: what its allocators kept is handed back
    # first, so the merge's memory does not come on top of it (warehouse/memory.py).
    release_memory()
    for limit in MERGE_MEMORY_LIMITS:
        try:
            with merge_memory(con, limit):  # a merge streams: DuckDB need not cache the source's blocks
                return _apply_load(con, load)
        except duckdb.OutOfMemoryException:
            # Wide rows (many or long text columns) need more for a row group; the failed merge
            # rolled back, so it runs again under the next bound.
            log.info("%s: the raw merge of load %s needed more than %s; merging it again under a higher bound",
                     load.source_id, load.load_id, limit)
    log.warning("%s: the raw merge of load %s needed more than DuckDB's merge bound; merging it again "
                "under the build's bound", load.source_id, load.load_id)
    return _apply_load(con, load)


def _apply_load(con: duckdb.DuckDBPyConnection, load: Load) -> dict[str, int]:
    con.execute("BEGIN TRANSACTION")
    try:
        deleted = _merge(con, load) if load.incremental else _replace(con, load)
        counts = {
            table: con.execute(f"SELECT count(*) FROM {_qualified(load.kind, table)} WHERE source_id = ?",
                               [load.source_id]).fetchone()[0]
            for table in (*load.tables, QUARANTINE_TABLE)
        }
        record_success(con, load, counts)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return {**counts, "deleted": deleted}


def _insert(con: duckdb.DuckDBPyConnection, name: str, load: Load, parquet: Path, where: str | None = None) -> None:
    con.execute(
        f"INSERT INTO {name} BY NAME "
        "SELECT ?::VARCHAR AS source_id, ?::VARCHAR AS load_id, * FROM read_parquet(?)"
        + (f" WHERE {where}" if where else ""),
        [load.source_id, load.load_id, str(parquet)],
    )


def _replace(con: duckdb.DuckDBPyConnection, load: Load) -> int:
    for table in (*load.tables, QUARANTINE_TABLE):
        name = _qualified(load.kind, table)
        con.execute(f"DELETE FROM {name} WHERE source_id = ?", [load.source_id])
        if parquet := load.parquet(table):
            _insert(con, name, load, parquet)
    return 0


def _columns(con: duckdb.DuckDBPyConnection, name: str) -> set[str]:
    return {row[0] for row in con.execute(f"DESCRIBE {name}").fetchall()}


def _merge(con: duckdb.DuckDBPyConnection, load: Load) -> int:
    """Replace the rows of the records this load carries; delete records no longer present."""
    key = quote(load.merge_key or "")
    primary = load.parquet(load.primary_table or "")
    present = load.parquet(PRESENT_KEYS_TABLE)
    deleted = 0
    if present:
        deleted = con.execute(
            f"SELECT count(DISTINCT {key}) FROM {_qualified(load.kind, load.primary_table)} "
            f"WHERE source_id = ? AND {key} NOT IN (SELECT key FROM read_parquet(?))",
            [load.source_id, str(present)],
        ).fetchone()[0]
    for table in load.tables:
        name = _qualified(load.kind, table)
        parquet = load.parquet(table)
        if load.merge_key not in _columns(con, name):  # a table of the whole source: replaced
            con.execute(f"DELETE FROM {name} WHERE source_id = ?", [load.source_id])
        else:
            if primary:
                con.execute(
                    f"DELETE FROM {name} WHERE source_id = ? AND {key} IN (SELECT {key} FROM read_parquet(?))",
                    [load.source_id, str(primary)],
                )
            if present:
                con.execute(
                    f"DELETE FROM {name} WHERE source_id = ? AND {key} NOT IN (SELECT key FROM read_parquet(?))",
                    [load.source_id, str(present)],
                )
        if parquet and primary and table != load.primary_table and load.merge_key in _columns(con, name):
            # Only records the primary table confirms complete count: rows of a record whose read
            # failed halfway (a truncated file) stay in the landing file, out of the warehouse.
            _insert(con, name, load, parquet,
                    where=f"{key} IN (SELECT {key} FROM read_parquet({sql_literal(str(primary))}))")
        elif parquet:
            _insert(con, name, load, parquet)
    # Quarantined rows are re-judged when their record comes again: a record this load carries
    # (its key, or a key under it such as file#row) or one it quarantines anew.
    if primary:
        con.execute(
            f"DELETE FROM raw.quarantine WHERE source_id = ? AND split_part(object_key, '#', 1) IN "
            f"(SELECT CAST({key} AS VARCHAR) FROM read_parquet(?))",
            [load.source_id, str(primary)],
        )
    if quarantine := load.parquet(QUARANTINE_TABLE):
        con.execute(
            "DELETE FROM raw.quarantine WHERE source_id = ? AND object_key IN "
            "(SELECT object_key FROM read_parquet(?))",
            [load.source_id, str(quarantine)],
        )
        _insert(con, "raw.quarantine", load, quarantine)
    return deleted


def record_success(con: duckdb.DuckDBPyConnection, load: Load, counts: Mapping[str, int]) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    loaded = sum(n for t, n in counts.items() if t != QUARANTINE_TABLE)
    con.execute(
        """INSERT OR REPLACE INTO meta.source_state
           VALUES (?, ?, ?, ?, 'ok', NULL, ?, ?, ?, ?)""",
        [load.source_id, load.kind, now, now, load.load_id, loaded, counts.get(QUARANTINE_TABLE, 0),
         json.dumps(load.state) if load.state is not None else None],
    )


def record_failure(con: duckdb.DuckDBPyConnection, source_id: str, kind: str, error: str) -> None:
    """Mark the attempt failed; the source's rows, state and last success time stay as they were."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute(
        """INSERT INTO meta.source_state (source_id, kind, last_attempt_at, last_status, last_error)
           VALUES (?, ?, ?, 'failed', ?)
           ON CONFLICT (source_id) DO UPDATE SET
             last_attempt_at = excluded.last_attempt_at, last_status = 'failed', last_error = excluded.last_error""",
        [source_id, kind, now, error],
    )


def previous_state(con: duckdb.DuckDBPyConnection, source_id: str) -> dict[str, Any] | None:
    row = con.execute("SELECT sync_state FROM meta.source_state WHERE source_id = ?", [source_id]).fetchone()
    return json.loads(row[0]) if row and row[0] else None
