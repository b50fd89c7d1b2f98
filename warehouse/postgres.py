"""Publishing to PostgreSQL, for BI servers on other machines (``publish: {postgres: ...}``).

The published schemas of the build database are bulk-loaded with ADBC (Arrow batches through
PostgreSQL's binary ``COPY``, never row by row) into load schemas ``<prefix>_<schema>__load``, with
a ``COMMENT ON`` for every table and column, then swapped in: each live table is locked, the live
schema renamed away and dropped, the load schema renamed to live. Loading and swapping are one
transaction, so a reader sees the old tables or the new ones, never a half-built state, and a load
that fails anywhere rolls back whole, leaving the previous tables as they were.

A reader inside a transaction that already read a live table holds its lock: the swap waits for it
(at most ``lock_timeout_seconds``, then the publish fails and the old tables stay), so the reader
keeps seeing the rows it started with, in every table. The swap takes all the locks at once or
none, so it never deadlocks with such a reader.

The connection URI comes only from the environment variable the config names; every error text is
stripped of it and of its password.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import duckdb

from connectors.http import redact, secret_forms
from warehouse.db import quote, sql_literal
from warehouse.publish import PUBLISHED_SCHEMAS, comments, published_tables

BATCH_ROWS = 100_000
SWAP_MARK = "sightline_swap"  # in the lock statement's text, so an operator (or a test) sees a swap waiting
LOCK_RETRY_SECONDS = 0.1
_KEYWORD_PASSWORD = re.compile(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


class PostgresPublishError(Exception):
    """The Postgres copy was not published (the previous tables stay); the message says why and what to do."""


@dataclass(frozen=True)
class PostgresPublished:
    schemas: tuple[str, ...]  # the live schemas written, <prefix>_<schema>
    rows: dict[str, int]  # <prefix>_<schema>.<table> -> rows
    seconds: float

    @property
    def rows_total(self) -> int:
        return sum(self.rows.values())


def live_schema(prefix: str, schema: str) -> str:
    """The Postgres schema BI tools read for a published DuckDB schema: ``<prefix>_<schema>``."""
    return f"{prefix}_{schema}"


def publish_postgres(
    con: duckdb.DuckDBPyConnection, dsn_env: str, schema_prefix: str, *,
    lock_timeout_seconds: float = 60, environ: Mapping[str, str] = os.environ,
) -> PostgresPublished:
    """Load the published schemas of the build database ``con`` into PostgreSQL and swap them in.

    Raises PostgresPublishError (secrets removed) when anything fails; nothing is changed then.
    """
    dsn = (environ.get(dsn_env) or "").strip()
    if not dsn:
        raise PostgresPublishError(
            f"publish.postgres: the environment variable {dsn_env} is not set; set it to the connection URI "
            "of the PostgreSQL database BI tools read (postgresql://user:password@host:5432/dbname)")
    started = time.monotonic()
    try:
        rows = _load_and_swap(con, dsn, schema_prefix, lock_timeout_seconds)
    except Exception as exc:  # any failure: the transaction rolled back, the previous tables stand
        reason = " ".join(redact(f"{type(exc).__name__}: {exc}", dsn_secrets(dsn)).split())
        raise PostgresPublishError(
            f"publish.postgres ({dsn_env}, schemas {schema_prefix}_*): not published, the previous tables are kept: "
            f"{reason}; check the database named by {dsn_env} is reachable and the user may create schemas") from None
    schemas = tuple(live_schema(schema_prefix, s) for s in PUBLISHED_SCHEMAS)
    return PostgresPublished(schemas=schemas, rows=rows, seconds=time.monotonic() - started)


def dsn_secrets(dsn: str) -> list[str]:
    """What of a connection string must never be shown: the string itself and its password, in the
    forms a message may carry (URI or key=value style)."""
    values = [dsn]
    try:
        password = urlsplit(dsn).password
    except ValueError:
        password = None
    if password:
        values += [password, unquote(password)]
    values += [m.group(1).strip("'") for m in _KEYWORD_PASSWORD.finditer(dsn)]
    return secret_forms(*values)


def _load_and_swap(con: duckdb.DuckDBPyConnection, dsn: str, prefix: str, lock_timeout: float) -> dict[str, int]:
    import adbc_driver_postgresql.dbapi as pg  # imported only by portfolios that publish to Postgres

    tables = published_tables(con)
    with pg.connect(dsn) as pg_con, pg_con.cursor() as cur:  # autocommit off: everything is one transaction
        try:
            cur.execute("SET LOCAL standard_conforming_strings = on")  # the literals below rely on it
            cur.execute(f"SET LOCAL lock_timeout = {int(lock_timeout * 1000)}")
            for schema in PUBLISHED_SCHEMAS:
                load = quote(_load_schema(prefix, schema))
                cur.execute(f"DROP SCHEMA IF EXISTS {load} CASCADE")
                cur.execute(f"CREATE SCHEMA {load}")
            rows = {}
            for schema, table in tables:
                count = _ingest(con, cur, schema, table, _load_schema(prefix, schema))
                rows[f"{live_schema(prefix, schema)}.{table}"] = count
            _swap(cur, prefix, lock_timeout)
            pg_con.commit()
        except BaseException:
            pg_con.rollback()
            raise
    return rows


def _load_schema(prefix: str, schema: str) -> str:
    return f"{live_schema(prefix, schema)}__load"


def _ingest(con: duckdb.DuckDBPyConnection, cur, schema: str, table: str, load_schema: str) -> int:
    """One table, streamed as Arrow batches into binary COPY, then its comments."""
    reader = con.sql(f"SELECT * FROM {schema}.{quote(table)}").to_arrow_reader(BATCH_ROWS)
    count = cur.adbc_ingest(table, reader, mode="create", db_schema_name=load_schema)
    target = f"{quote(load_schema)}.{quote(table)}"
    table_text, column_texts = comments(f"{schema}.{table}", reader.schema.names)
    cur.execute(f"COMMENT ON TABLE {target} IS {sql_literal(table_text)}")
    for column, text in column_texts.items():
        cur.execute(f"COMMENT ON COLUMN {target}.{quote(column)} IS {sql_literal(text)}")
    return int(count) if count is not None and count >= 0 else _count(cur, target)


def _count(cur, target: str) -> int:
    cur.execute(f"SELECT count(*) FROM {target}")
    return int(cur.fetchone()[0])


def _swap(cur, prefix: str, lock_timeout: float) -> None:
    """Live tables locked first (waiting for readers mid-transaction), then load schemas renamed to live."""
    live = [live_schema(prefix, s) for s in PUBLISHED_SCHEMAS]
    cur.execute("SELECT schemaname, tablename FROM pg_catalog.pg_tables WHERE schemaname IN ("
                + ", ".join(f"${i}" for i in range(1, len(live) + 1)) + ") ORDER BY 1, 2", live)
    existing = cur.fetchall()
    if existing:
        _lock_all(cur, [f"{quote(s)}.{quote(t)}" for s, t in existing], lock_timeout)
    for schema in PUBLISHED_SCHEMAS:
        name, old = live_schema(prefix, schema), f"{live_schema(prefix, schema)}__old"
        cur.execute(f"DROP SCHEMA IF EXISTS {quote(old)} CASCADE")
        cur.execute("SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = $1", [name])
        if cur.fetchone()[0]:
            cur.execute(f"ALTER SCHEMA {quote(name)} RENAME TO {quote(old)}")
        cur.execute(f"ALTER SCHEMA {quote(_load_schema(prefix, schema))} RENAME TO {quote(name)}")
        cur.execute(f"DROP SCHEMA IF EXISTS {quote(old)} CASCADE")


def _lock_all(cur, tables: list[str], timeout: float) -> None:
    """Every live table, all at once or none: a publish that waited holding some tables' locks would
    deadlock with a reader that holds one and then reads another. So each attempt takes them all
    NOWAIT inside a PL/pgSQL exception block (a subtransaction: a failed attempt gives back what it
    got) and tries again shortly, in the server, until ``timeout``."""
    cur.execute(f"""DO $swap$
        DECLARE deadline timestamptz := clock_timestamp() + interval '{int(timeout * 1000)} milliseconds';
        BEGIN  -- {SWAP_MARK}
            LOOP
                BEGIN
                    LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE NOWAIT;
                    RETURN;
                EXCEPTION WHEN lock_not_available THEN
                    IF clock_timestamp() >= deadline THEN
                        RAISE EXCEPTION 'readers kept the live tables busy for more than {timeout:g} s, so they could '
                            'not be swapped; raise publish.postgres.lock_timeout_seconds or publish when readers are idle';
                    END IF;
                    PERFORM pg_sleep({LOCK_RETRY_SECONDS});
                END;
            END LOOP;
        END $swap$""")
