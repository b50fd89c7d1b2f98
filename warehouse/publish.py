"""Publishing: copy the finished schemas into a new file, then rename it over the published one.

A BI tool holding the old file open keeps reading its consistent snapshot (the old inode); the
next connection opens the new file. A run that fails before publishing leaves the published file
untouched, byte for byte.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb

from warehouse.db import quote, sql_literal
from warehouse.docs import TableDoc, table_doc
from warehouse.landing import fsync_directory

PUBLISHED_SCHEMAS = ("core", "marts", "history", "meta")
UNDOCUMENTED = "(undocumented)"


def publish(con: duckdb.DuckDBPyConnection, published: Path) -> dict[str, int]:
    """Write the published schemas of the build database ``con`` to ``published`` atomically.

    Returns rows per published table.
    """
    published.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(published)
    temporary = published.with_name(f".{published.name}.{uuid.uuid4().hex}.tmp")
    counts: dict[str, int] = {}
    con.execute(f"ATTACH {sql_literal(str(temporary))} AS pub")
    try:
        for schema, table in _tables(con):
            target = f"pub.{schema}.{quote(table)}"
            con.execute(f"CREATE SCHEMA IF NOT EXISTS pub.{schema}")
            con.execute(f"CREATE TABLE {target} AS SELECT * FROM {schema}.{quote(table)}")
            counts[f"{schema}.{table}"] = con.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
            _comment(con, target, table_doc(f"{schema}.{table}"))
        con.execute("DETACH pub")
        _fsync(temporary)
        os.replace(temporary, published)
        fsync_directory(published.parent)
    except BaseException:
        try:
            con.execute("DETACH pub")
        except duckdb.Error:
            pass
        temporary.unlink(missing_ok=True)
        temporary.with_name(f"{temporary.name}.wal").unlink(missing_ok=True)
        raise
    return counts


def remove_leftovers(published: Path) -> list[Path]:
    """Delete the temporary files (``.<name>.<hex>.tmp`` and its ``.wal``) of a publish that was killed.

    One writer publishes at a time (the ``sightline_duckdb`` pool), so any such file is debris.
    """
    leftovers = [p for pattern in (f".{published.name}.*.tmp", f".{published.name}.*.tmp.wal")
                 for p in published.parent.glob(pattern) if p.is_file()]
    for path in leftovers:
        path.unlink(missing_ok=True)
    return leftovers


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return con.execute(
        f"""SELECT schema_name, table_name FROM duckdb_tables()
            WHERE database_name = current_database()
              AND schema_name IN ({", ".join("?" for _ in PUBLISHED_SCHEMAS)})
            ORDER BY schema_name, table_name""",
        list(PUBLISHED_SCHEMAS),
    ).fetchall()


def _comment(con: duckdb.DuckDBPyConnection, target: str, doc: TableDoc | None) -> None:
    """COMMENT ON the table and each column from its model YAML (transforms/<schema>/<table>.yml)."""
    con.execute(f"COMMENT ON TABLE {target} IS {sql_literal(doc.description if doc else UNDOCUMENTED)}")
    columns = doc.columns if doc else {}
    for (column,) in con.execute(f"SELECT column_name FROM (DESCRIBE {target})").fetchall():
        text = columns.get(column) or UNDOCUMENTED
        con.execute(f"COMMENT ON COLUMN {target}.{quote(column)} IS {sql_literal(text)}")


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
