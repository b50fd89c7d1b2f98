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
from warehouse.docs import table_doc
from warehouse.landing import fsync_directory

PUBLISHED_SCHEMAS = ("core", "marts", "history", "meta")
UNDOCUMENTED = "(undocumented)"
# The oldest DuckDB storage format (DuckDB asks for v1.0.0 even when told v0.9 or v0.10) that keeps
# everything the warehouse holds - lists, comments: DuckDB 1.0 and every later client, and the Node,
# ODBC and JDBC drivers BI tools bundle, open it. 'publish: {storage_version: ...}' overrides it.
DEFAULT_STORAGE_VERSION = "v1.0.0"


def publish(con: duckdb.DuckDBPyConnection, published: Path,
            storage_version: str = DEFAULT_STORAGE_VERSION) -> dict[str, int]:
    """Write the published schemas of the build database ``con`` to ``published`` atomically, in the
    DuckDB storage format of ``storage_version`` (older clients cannot open a newer format).

    Returns rows per published table.
    """
    published.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(published)
    temporary = published.with_name(f".{published.name}.{uuid.uuid4().hex}.tmp")
    counts: dict[str, int] = {}
    # The build connection drops insertion order for speed; published tables keep their ORDER BY.
    preserve = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = true")
    con.execute(f"ATTACH {sql_literal(str(temporary))} AS pub (STORAGE_VERSION {sql_literal(storage_version)})")
    try:
        for schema, table in published_tables(con):
            target = f"pub.{schema}.{quote(table)}"
            con.execute(f"CREATE SCHEMA IF NOT EXISTS pub.{schema}")
            con.execute(f"CREATE TABLE {target} AS SELECT * FROM {schema}.{quote(table)} {_order_by(schema, table)}")
            counts[f"{schema}.{table}"] = con.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
            _comment(con, target, f"{schema}.{table}")
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
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if preserve else 'false'}")
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


def published_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema, table) of every table the publish copies, from the build database ``con``."""
    return con.execute(
        f"""SELECT schema_name, table_name FROM duckdb_tables()
            WHERE database_name = current_database()
              AND schema_name IN ({", ".join("?" for _ in PUBLISHED_SCHEMAS)})
            ORDER BY schema_name, table_name""",
        list(PUBLISHED_SCHEMAS),
    ).fetchall()


def _order_by(schema: str, table: str) -> str:
    """Written in a stable order: by the (unique) keys the model YAML declares, else by every column."""
    doc = table_doc(f"{schema}.{table}")
    keys = list(doc.keys) if doc and doc.keys else []
    return f"ORDER BY {', '.join(quote(k) for k in keys)}" if keys else "ORDER BY ALL"


def comments(table: str, columns: list[str]) -> tuple[str, dict[str, str]]:
    """The COMMENT ON texts of schema.table and of each of its columns, from its model YAML
    (transforms/<schema>/<table>.yml); every publish target writes these."""
    doc = table_doc(table)
    documented = doc.columns if doc else {}
    return (doc.description if doc else UNDOCUMENTED), {c: documented.get(c) or UNDOCUMENTED for c in columns}


def _comment(con: duckdb.DuckDBPyConnection, target: str, table: str) -> None:
    columns = [c for (c,) in con.execute(f"SELECT column_name FROM (DESCRIBE {target})").fetchall()]
    table_text, column_texts = comments(table, columns)
    con.execute(f"COMMENT ON TABLE {target} IS {sql_literal(table_text)}")
    for column, text in column_texts.items():
        con.execute(f"COMMENT ON COLUMN {target}.{quote(column)} IS {sql_literal(text)}")


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
