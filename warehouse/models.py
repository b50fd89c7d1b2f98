"""Run the SQL models: connector staging views, the canonical unions, core, intermediate, marts, history.

A model is one ``.sql`` file holding one SELECT; its file name is the table it builds and its
folder the schema. Dependencies between models are read from the SQL itself (every
``schema.table`` it names), so the Dagster graph and the build order cannot drift from the SQL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa

from transforms import TRANSFORMS_DIR
from warehouse.canonical import STAGING_STREAMS
from warehouse.db import MEMORY_LIMIT_ENV, build_memory_limit, duckdb_default_memory, quote, raw_table
from warehouse.docs import table_doc

TABLE_LAYERS = ("core", "intermediate", "marts")
HISTORY_LAYER = "history"
_OWN_RAW = re.compile(r"\braw\.this__([a-z_][a-z0-9_]*)\b")  # a kind's own raw table in its staging SQL
_REFERENCE = re.compile(r"\b(staging|core|intermediate|marts|config|meta|history)\.([a-z_][a-z0-9_]*)\b")
log = logging.getLogger("sightline.models")
# A model reading the previous days of a snapshot built downstream of it: yesterday's rows exist
# before today's run (warehouse.db creates the table empty on a new build file), so no edge.
LAGGED_READS = {"intermediate.project_reports": {"history.project_health_snapshots"}}


@dataclass(frozen=True)
class Model:
    schema: str
    name: str
    path: Path

    @property
    def table(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8").strip().rstrip(";")

    @property
    def references(self) -> set[str]:
        """Every schema.table the SQL reads, except itself and the earlier runs' snapshots it reads
        (LAGGED_READS), which are built after it."""
        found = {f"{s}.{t}" for s, t in _REFERENCE.findall(_strip_comments(self.sql))} - {self.table}
        return found - LAGGED_READS.get(self.table, set())


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


@cache
def discover_models() -> tuple[Model, ...]:
    """All transform models in build order (each after the models it reads)."""
    found = {
        f"{layer}.{path.stem}": Model(layer, path.stem, path)
        for layer in (*TABLE_LAYERS, HISTORY_LAYER)
        for path in sorted((TRANSFORMS_DIR / layer).glob("*.sql"))
    }
    ordered: list[Model] = []
    visiting: set[str] = set()

    def visit(table: str) -> None:
        model = found[table]
        if model in ordered:
            return
        if table in visiting:
            raise ValueError(f"transforms: cycle through {table}")
        visiting.add(table)
        for ref in sorted(model.references):
            if ref in found:
                visit(ref)
        visiting.discard(table)
        ordered.append(model)

    for table in found:
        visit(table)
    return tuple(ordered)


def build_model(con: duckdb.DuckDBPyConnection, model: Model) -> int:
    """(Re)build one table model; snapshot models (materialisation in their YAML) append today's instead.

    Returns the row count.
    """
    try:
        return _build(con, model)
    except duckdb.OutOfMemoryException as exc:
        bound = _memory_limit(con)
        if build_memory_limit() is not None:  # the user's own bound: theirs to raise
            raise ModelOutOfMemoryError(model, bound) from exc
    # The default bound is sized for the portfolios we measured; rather than fail a larger one's sync,
    # the model is rebuilt under DuckDB's own default (80% of the machine).
    log.warning("%s ran out of memory under the default DuckDB bound %s; rebuilding it under DuckDB's own "
                "default. Set %s (e.g. 4GB) to choose the bound.", model.table, bound, MEMORY_LIMIT_ENV)
    with duckdb_default_memory(con):
        try:
            return _build(con, model)
        except duckdb.OutOfMemoryException as exc:
            raise ModelOutOfMemoryError(model, _memory_limit(con)) from exc


def _build(con: duckdb.DuckDBPyConnection, model: Model) -> int:
    if (doc := table_doc(model.table)) is not None and doc.materialisation == "snapshot":
        return _snapshot(con, model)
    con.execute(f"CREATE OR REPLACE TABLE {model.schema}.{quote(model.name)} AS {model.sql}")
    return con.execute(f"SELECT count(*) FROM {model.schema}.{quote(model.name)}").fetchone()[0]


def _memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


class ModelOutOfMemoryError(RuntimeError):
    """A model that needed more memory than DuckDB's bound allowed (an operator that cannot spill to disk)."""

    def __init__(self, model: Model, bound: str) -> None:
        self.model = model
        super().__init__(
            f"model {model.table} ({model.path}) ran out of memory under the DuckDB bound {bound}; raise "
            f"{MEMORY_LIMIT_ENV} (a DuckDB size, e.g. 4GB)")


def _snapshot(con: duckdb.DuckDBPyConnection, model: Model) -> int:
    """One snapshot per day: a second run on the same day replaces that day's rows."""
    target = f"{model.schema}.{quote(model.name)}"
    if _is_empty_placeholder(con, model):  # created by warehouse.db so earlier models can read it: take the model's shape
        con.execute(f"DROP TABLE {target}")
    con.execute(f"CREATE TABLE IF NOT EXISTS {target} AS {model.sql} LIMIT 0")
    existing = {row[0] for row in con.execute(f"DESCRIBE {target}").fetchall()}
    for column, column_type, *_ in con.execute(f"DESCRIBE {model.sql}").fetchall():
        if column not in existing:
            con.execute(f"ALTER TABLE {target} ADD COLUMN {quote(column)} {column_type}")
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {target} WHERE snapshot_date = (SELECT as_of FROM meta.run)")
        con.execute(f"INSERT INTO {target} BY NAME {model.sql}")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return con.execute(f"SELECT count(*) FROM {target} WHERE snapshot_date = (SELECT as_of FROM meta.run)").fetchone()[0]


def _is_empty_placeholder(con: duckdb.DuckDBPyConnection, model: Model) -> bool:
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = ? "
        "AND table_name = ?", [model.schema, model.name]).fetchone()[0]
    return bool(exists) and con.execute(f"SELECT count(*) FROM {model.schema}.{quote(model.name)}").fetchone()[0] == 0


def build_kind_staging(con: duckdb.DuckDBPyConnection, kind: str, staging_dir: Path) -> list[str]:
    """Create the kind's staging views, staging."<kind>__<stream>", from its own SQL files."""
    views = []
    for path in sorted(staging_dir.glob("*.sql")):
        if path.stem not in STAGING_STREAMS:
            raise ValueError(f"{path}: staging model for unknown stream {path.stem!r}; expected one of {list(STAGING_STREAMS)}")
        view = f"staging.{quote(f'{kind}__{path.stem}')}"
        sql = _OWN_RAW.sub(lambda m: raw_table(kind, m.group(1)), path.read_text(encoding="utf-8").strip().rstrip(";"))
        con.execute(f"CREATE OR REPLACE VIEW {view} AS {sql}")
        views.append(view)
    return views


def build_canonical_unions(con: duckdb.DuckDBPyConnection, kinds: Iterable[str]) -> None:
    """staging.<stream> = every kind's view of that stream, cast to the canonical shape.

    A column a kind does not provide is NULL; a stream no kind provides is an empty, typed view.
    """
    kinds = sorted(set(kinds))
    for stream, columns in STAGING_STREAMS.items():
        parts = []
        for kind in kinds:
            view = f"{kind}__{stream}"
            exists = con.execute(
                "SELECT count(*) FROM duckdb_views() WHERE schema_name = 'staging' AND view_name = ?", [view]
            ).fetchone()[0]
            if not exists:
                continue
            present = {row[0] for row in con.execute(f"DESCRIBE staging.{quote(view)}").fetchall()}
            select = ", ".join(
                f"CAST({quote(c) if c in present else 'NULL'} AS {t}) AS {quote(c)}" for c, t in columns
            )
            parts.append(f"SELECT {select} FROM staging.{quote(view)}")
        if not parts:
            select = ", ".join(f"CAST(NULL AS {t}) AS {quote(c)}" for c, t in columns)
            parts.append(f"SELECT {select} WHERE false")
        con.execute(f"CREATE OR REPLACE VIEW staging.{quote(stream)} AS " + " UNION ALL ".join(parts))


def write_tables(con: duckdb.DuckDBPyConnection, schema: str, frames: Mapping[str, pa.Table]) -> None:
    """Replace whole tables from Arrow tables (or anything DuckDB can register), in bulk. Pandas is not
    imported here: a sync does not need its ~45 MB."""
    for name, frame in frames.items():
        con.register("incoming_frame", frame)
        try:
            con.execute(f"CREATE OR REPLACE TABLE {schema}.{quote(name)} AS SELECT * FROM incoming_frame")
        finally:
            con.unregister("incoming_frame")
