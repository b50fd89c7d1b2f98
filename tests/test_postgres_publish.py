"""Postgres as a publish target (issue #12 part 4), against a real PostgreSQL server started for the
session (tests/support/postgres_server.py): every table and comment arrives, a reader keeps its
snapshot while a publish swaps the schemas, a failed load keeps the previous tables, and the
connection URI never shows in an error."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from support.postgres_server import postgres_server, server_binaries

import warehouse.postgres as pg_publish
from warehouse.postgres import PostgresPublishError, publish_postgres

adbc = pytest.importorskip("adbc_driver_postgresql.dbapi")


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    binaries = server_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binary (initdb, pg_ctl) on this machine; .ci/run installs the postgresql package")
    with postgres_server(binaries) as dsn:
        yield dsn


def query(dsn: str, sql: str, params: list | None = None) -> list[tuple]:
    with adbc.connect(dsn, autocommit=True) as con, con.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def build_db(version: str, rows: int = 2) -> duckdb.DuckDBPyConnection:
    """A build database holding every published schema, marts.project_health tagged with ``version``."""
    con = duckdb.connect(":memory:")
    for schema in ("core", "marts", "history", "meta"):
        con.execute(f"CREATE SCHEMA {schema}")
    con.execute("CREATE TABLE core.programs AS SELECT 'fin' AS program_id, 'Finance' AS name")
    con.execute("CREATE TABLE marts.project_health AS SELECT 'p' || i AS project_id, ? AS rag FROM range(?) AS t(i)",
                [version, rows])
    con.execute("CREATE TABLE history.work_item_removals AS SELECT DATE '2026-11-16' AS snapshot_date")
    con.execute("CREATE TABLE meta.run AS SELECT DATE '2026-11-16' AS as_of")
    return con


def live_rags(dsn: str, prefix: str) -> list[str]:
    return [r[0] for r in query(dsn, f'SELECT rag FROM "{prefix}_marts".project_health ORDER BY project_id')]


def test_every_published_table_and_comment_arrives(postgres_dsn, sample_published: Path) -> None:
    with duckdb.connect(str(sample_published), read_only=True) as con:
        done = publish_postgres(con, "PG_DSN", "bi", environ={"PG_DSN": postgres_dsn})
        tables = {f"bi_{s}.{t}": (n, c) for s, t, n, c in con.execute(
            "SELECT schema_name, table_name, estimated_size, comment FROM duckdb_tables()").fetchall()}
        counts = {name: con.execute(f'SELECT count(*) FROM {name.removeprefix("bi_")}').fetchone()[0] for name in tables}
        columns = {(f"bi_{s}.{t}", c): x for s, t, c, x in con.execute(
            "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() "
            "WHERE schema_name IN ('core', 'marts', 'history', 'meta')").fetchall()}
    assert done.schemas == ("bi_core", "bi_marts", "bi_history", "bi_meta")
    assert done.rows == counts and done.rows_total == sum(counts.values()) > 0
    arrived = {f"{s}.{t}": c for s, t, c in query(postgres_dsn, """
        SELECT n.nspname, c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname LIKE 'bi\\_%'""")}
    assert arrived == {name: comment for name, (_, comment) in tables.items()}
    arrived_columns = {(f"{s}.{t}", c): x for s, t, c, x in query(postgres_dsn, """
        SELECT table_schema, table_name, column_name,
               col_description(format('%I.%I', table_schema, table_name)::regclass, ordinal_position)
        FROM information_schema.columns WHERE table_schema LIKE 'bi\\_%'""")}
    assert arrived_columns == columns
    for name, rows in counts.items():
        schema, table = name.split(".")
        assert query(postgres_dsn, f'SELECT count(*) FROM "{schema}"."{table}"')[0][0] == rows, name
    # A list column arrives as an array, beside its comma-joined text
    pairs = query(postgres_dsn, "SELECT array_to_string(project_ids, ', '), project_ids_text FROM bi_marts.resource_deployment")
    assert pairs and all(a == b for a, b in pairs)
    assert not query(postgres_dsn, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bi\\_%\\_\\_%'")  # no load/old left


def swapping(dsn: str) -> bool:
    """A publish has loaded and is trying to take the live tables (its session runs the swap's lock)."""
    return bool(query(dsn, "SELECT 1 FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()",
                      [f"%{pg_publish.SWAP_MARK}%"]))


def test_a_reader_keeps_its_snapshot_while_a_publish_swaps(postgres_dsn) -> None:
    publish_postgres(build_db("before"), "PG_DSN", "snap", environ={"PG_DSN": postgres_dsn})
    failures: list[BaseException] = []

    def publish_after() -> None:
        try:
            publish_postgres(build_db("after", rows=3), "PG_DSN", "snap", environ={"PG_DSN": postgres_dsn})
        except BaseException as exc:  # reported to the test below
            failures.append(exc)

    with adbc.connect(postgres_dsn, autocommit=True) as reader, reader.cursor() as cur:
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        cur.execute("SELECT rag FROM snap_marts.project_health ORDER BY project_id")
        assert [r[0] for r in cur.fetchall()] == ["before", "before"]
        publisher = threading.Thread(target=publish_after)
        publisher.start()
        deadline = time.monotonic() + 60
        while not swapping(postgres_dsn) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(5 * pg_publish.LOCK_RETRY_SECONDS)  # it has loaded and keeps trying to take the tables
        assert publisher.is_alive() and swapping(postgres_dsn)
        cur.execute("SELECT rag FROM snap_marts.project_health ORDER BY project_id")
        assert [r[0] for r in cur.fetchall()] == ["before", "before"]
        cur.execute("SELECT count(*) FROM snap_core.programs")  # a table it had not read yet: the old one still
        assert cur.fetchone()[0] == 1
        cur.execute("COMMIT")
    publisher.join(60)
    assert not publisher.is_alive() and failures == []
    assert live_rags(postgres_dsn, "snap") == ["after", "after", "after"]


def test_a_failed_load_keeps_the_previous_tables(postgres_dsn, monkeypatch) -> None:
    publish_postgres(build_db("before"), "PG_DSN", "fail", environ={"PG_DSN": postgres_dsn})
    loaded = []
    real_ingest = pg_publish._ingest

    def ingest_then_fail(con, cur, schema, table, load_schema):
        if len(loaded) == 2:  # two tables are in their load schema when the third one breaks
            raise RuntimeError("injected failure mid-load")
        loaded.append(table)
        return real_ingest(con, cur, schema, table, load_schema)

    monkeypatch.setattr(pg_publish, "_ingest", ingest_then_fail)
    with pytest.raises(PostgresPublishError, match="not published, the previous tables are kept: .*injected failure"):
        publish_postgres(build_db("after", rows=3), "PG_DSN", "fail", environ={"PG_DSN": postgres_dsn})
    assert len(loaded) == 2
    assert live_rags(postgres_dsn, "fail") == ["before", "before"]
    assert query(postgres_dsn, "SELECT count(*) FROM fail_core.programs")[0][0] == 1
    assert not query(postgres_dsn, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'fail\\_%\\_\\_%'")


def test_a_reader_holding_a_lock_past_the_timeout_fails_the_publish_not_the_tables(postgres_dsn) -> None:
    publish_postgres(build_db("before"), "PG_DSN", "held", environ={"PG_DSN": postgres_dsn})
    with adbc.connect(postgres_dsn, autocommit=True) as reader, reader.cursor() as cur:
        cur.execute("BEGIN")
        cur.execute("SELECT count(*) FROM held_marts.project_health")
        cur.fetchall()
        with pytest.raises(PostgresPublishError, match="readers kept the live tables busy for more than 0.5 s"):
            publish_postgres(build_db("after"), "PG_DSN", "held", lock_timeout_seconds=0.5,
                             environ={"PG_DSN": postgres_dsn})
        cur.execute("COMMIT")
    assert live_rags(postgres_dsn, "held") == ["before", "before"]


def test_the_connection_uri_never_shows_in_an_error() -> None:
    secret = "s3cret-Pa55"
    dsn = f"postgresql://sightline:{secret}@127.0.0.1:1/warehouse"  # port 1: nothing listens
    with pytest.raises(PostgresPublishError) as failed:
        publish_postgres(build_db("x"), "PG_DSN", "x", environ={"PG_DSN": dsn})
    assert "PG_DSN" in str(failed.value) and secret not in str(failed.value) and dsn not in str(failed.value)
    with pytest.raises(PostgresPublishError, match="the environment variable PG_DSN is not set"):
        publish_postgres(build_db("x"), "PG_DSN", "x", environ={})


def test_keyword_style_passwords_are_redacted_too() -> None:
    forms = pg_publish.dsn_secrets("host=db user=bi password='p w%1' dbname=x")
    assert "p w%1" in forms and "host=db user=bi password='p w%1' dbname=x" in forms


def test_a_sync_publishes_to_postgres_and_a_failed_postgres_load_leaves_the_duckdb_file_published(
    postgres_dsn, synced_copy: Path, monkeypatch, capfd,
) -> None:
    from pipelines.config import load_portfolio
    from pipelines.run import run_sync

    config = synced_copy / "portfolio.yaml"
    config.write_text(config.read_text() + "publish:\n  postgres: {dsn_env: SIGHTLINE_TEST_PG_DSN, schema_prefix: sync}\n")
    monkeypatch.setenv("SIGHTLINE_TEST_PG_DSN", postgres_dsn)
    first = run_sync(load_portfolio(config))
    assert first.published_this_run and not first.failed_steps
    projects = first.table_rows["marts.project_health"]
    assert query(postgres_dsn, "SELECT count(*) FROM sync_marts.project_health")[0][0] == projects > 0

    secret = "s3cret-Pa55"
    monkeypatch.setenv("SIGHTLINE_TEST_PG_DSN", f"postgresql://bi:{secret}@127.0.0.1:1/warehouse")
    published = synced_copy / "var" / "sightline.duckdb"
    before = published.stat().st_mtime_ns
    second = run_sync(load_portfolio(config))
    # The DuckDB file is published all the same; the run is failed at its publish step, not hidden
    assert second.published_this_run and published.stat().st_mtime_ns > before
    assert second.failed_steps == ["published__warehouse"] and second.exit_code() == 1
    assert query(postgres_dsn, "SELECT count(*) FROM sync_marts.project_health")[0][0] == projects  # kept
    printed = capfd.readouterr()
    assert "publish.postgres (SIGHTLINE_TEST_PG_DSN, schemas sync_*): not published" in printed.err
    assert secret not in printed.err + printed.out
