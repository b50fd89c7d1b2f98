"""Warehouse pieces: documented schemas, landing loads, raw replacement, model order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.build import build_definitions
from pipelines.config import load_portfolio
from warehouse import db
from warehouse.landing import LandingWriter, new_load_id, prune
from warehouse.models import build_canonical_unions, discover_models
from warehouse.publish import UNDOCUMENTED
from warehouse.raw import Load, apply_load, record_failure


def test_every_published_table_and_column_is_documented(sample_published: Path) -> None:
    with duckdb.connect(str(sample_published), read_only=True) as con:
        tables = con.execute("SELECT schema_name || '.' || table_name, comment FROM duckdb_tables() WHERE NOT internal").fetchall()
        columns = con.execute(
            "SELECT schema_name || '.' || table_name || '.' || column_name, comment FROM duckdb_columns() WHERE NOT internal").fetchall()
    assert {t for t, _ in tables} >= {"marts.project_health", "marts.program_rollup", "core.work_items"}
    undocumented = [name for name, comment in tables + columns if not comment or comment == UNDOCUMENTED]
    assert undocumented == []
    # Only the curated schemas reach BI tools; raw, staging and build internals stay private.
    assert {t.split(".")[0] for t, _ in tables} == {"core", "marts", "history", "meta"}


def test_landing_writes_a_complete_load_or_nothing(tmp_path: Path) -> None:
    schema = pa.schema([("a", pa.int64())])
    writer = LandingWriter(tmp_path, "src", "20260101T000000000000Z")
    writer.write("tasks", pa.table({"a": [1, 2]}, schema=schema))
    writer.write("tasks", pa.RecordBatch.from_pydict({"a": [3]}, schema=schema))
    folder = writer.commit()
    assert pq.read_table(folder / "tasks.parquet").column("a").to_pylist() == [1, 2, 3]

    failed = LandingWriter(tmp_path, "src", "20260102T000000000000Z")
    failed.write("tasks", pa.table({"a": [9]}, schema=schema))
    failed.abort()
    assert sorted(p.name for p in (tmp_path / "src").iterdir()) == ["20260101T000000000000Z"]


def test_prune_keeps_recent_loads_and_always_the_newest(tmp_path: Path) -> None:
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    ids = [new_load_id(now - dt.timedelta(days=d)) for d in (40, 20, 5, 1)]
    for load_id in ids:
        (tmp_path / "src" / load_id).mkdir(parents=True)
    removed = prune(tmp_path, "src", keep_days=14, now=now)
    assert sorted(p.name for p in removed) == sorted(ids[:2])
    # A source whose only loads are old keeps the newest one: it is the last good data.
    assert [p.name for p in prune(tmp_path, "src", keep_days=0, now=now + dt.timedelta(days=30))] == [ids[2]]
    assert [p.name for p in (tmp_path / "src").iterdir()] == [ids[3]]


def test_raw_rows_are_replaced_per_source_and_kept_on_failure(tmp_path: Path) -> None:
    schema = pa.schema([("item", pa.string())])
    con = duckdb.connect(str(tmp_path / "b.duckdb"))
    db.prepare(con, {"kind": {"items": schema}})

    def land(source: str, load_id: str, items: list[str]) -> Path:
        writer = LandingWriter(tmp_path / "landing", source, load_id)
        writer.write("items", pa.table({"item": items}, schema=schema))
        return writer.commit()

    for source, load_id, items in (("one", "L1", ["a", "b"]), ("two", "L1", ["x"]), ("one", "L2", ["c"])):
        apply_load(con, Load("kind", source, load_id, land(source, load_id, items), ("items",)))
    record_failure(con, "two", "kind", "server said no")
    rows = con.execute('SELECT source_id, load_id, item FROM raw."kind__items" ORDER BY 1, 3').fetchall()
    assert rows == [("one", "L2", "c"), ("two", "L1", "x")]
    state = con.execute("SELECT source_id, last_status, last_error, last_load_id FROM meta.source_state ORDER BY 1").fetchall()
    assert state == [("one", "ok", None, "L2"), ("two", "failed", "server said no", "L1")]


def test_a_new_connector_column_is_added_to_an_existing_raw_table(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "b.duckdb"))
    db.prepare(con, {"kind": {"items": pa.schema([("a", pa.string())])}})
    db.prepare(con, {"kind": {"items": pa.schema([("a", pa.string()), ("b", pa.float64())])}})
    assert [r[0] for r in con.execute('DESCRIBE raw."kind__items"').fetchall()] == ["source_id", "load_id", "a", "b"]


def test_canonical_union_fills_missing_columns_and_empty_streams(tmp_path: Path) -> None:
    con = duckdb.connect()
    for schema in db.SCHEMAS:
        con.execute(f"CREATE SCHEMA {schema}")
    con.execute("CREATE VIEW staging.fake__risks AS SELECT 's' AS source_id, 'R1' AS source_key, 'Late' AS title, "
                "'extra' AS ignored")
    build_canonical_unions(con, ["fake"])
    assert con.execute("SELECT source_key, title, probability FROM staging.risks").fetchall() == [("R1", "Late", None)]
    assert "ignored" not in [r[0] for r in con.execute("DESCRIBE staging.risks").fetchall()]
    assert con.execute("SELECT count(*) FROM staging.work_items").fetchone()[0] == 0


def test_models_are_ordered_after_what_they_read() -> None:
    order = [m.table for m in discover_models()]
    for model in discover_models():
        for ref in model.references:
            if ref in order:
                assert order.index(ref) < order.index(model.table), (model.table, ref)
    assert order.index("core.work_items") < order.index("marts.project_health")


@pytest.mark.parametrize("a,b,expected", [("2026-01-05", "2026-01-09", 4), ("2026-01-09", "2026-01-12", 1),
                                          ("2026-01-12", "2026-01-09", -1), ("2026-01-10", "2026-01-11", 0)])
def test_working_days_between(a: str, b: str, expected: int) -> None:
    con = duckdb.connect()
    db.prepare(con, {})
    assert con.execute("SELECT working_days_between(?::DATE, ?::DATE)", [a, b]).fetchone()[0] == expected


def test_definitions_build_for_the_sample(sample_dir: Path) -> None:
    defs = build_definitions(load_portfolio(sample_dir / "portfolio.yaml"))
    assert defs.resolve_job_def("sightline_sync") is not None


def test_working_day_macros_match_counting_day_by_day() -> None:
    con = duckdb.connect()
    db.prepare(con, {})

    def weekdays(a: dt.date, b: dt.date) -> int:  # inclusive, by walking the calendar
        return sum(1 for n in range((b - a).days + 1) if (a + dt.timedelta(days=n)).weekday() < 5)

    pairs = [(dt.date(2026, 1, 1) + dt.timedelta(days=i), j) for i in range(14) for j in range(0, 45, 3)]
    for a, span in pairs:
        b = a + dt.timedelta(days=span)
        got = con.execute("SELECT working_days(?::DATE, ?::DATE), working_days_between(?::DATE, ?::DATE), "
                          "working_days_between(?::DATE, ?::DATE)", [a, b, a, b, b, a]).fetchone()
        after = weekdays(a + dt.timedelta(days=1), b) if span else 0
        assert got == (weekdays(a, b), after, -after), (a, b)
