"""Memory that stays flat as sources grow: DuckDB's bound in the build, no heavy import a sync does not use."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from warehouse import db, raw
from warehouse.landing import LandingWriter
from warehouse.models import Model, ModelOutOfMemoryError, build_model
from warehouse.raw import Load, apply_load


def shown_mib(con) -> float:
    """DuckDB's memory bound as it shows it ('953.6 MiB', '19.3 GiB'), in MiB."""
    number, unit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0].split()
    return float(number) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024, "TiB": 2**20}[unit]


def test_the_build_is_bounded_at_1gb_unless_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIGHTLINE_DUCKDB_MEMORY_LIMIT", raising=False)
    with db.connect(tmp_path / "a.duckdb") as build:
        assert shown_mib(build) == pytest.approx(1e9 / 2**20, abs=0.1)  # DuckDB's GB is 10^9 bytes
    monkeypatch.setenv("SIGHTLINE_DUCKDB_MEMORY_LIMIT", "512MB")
    with db.connect(tmp_path / "b.duckdb") as build:
        assert shown_mib(build) == pytest.approx(512e6 / 2**20, abs=0.1)  # DuckDB's MB is 10^6 bytes


def test_a_machine_smaller_than_the_default_bound_keeps_duckdbs_own(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIGHTLINE_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(db, "DEFAULT_MEMORY_LIMIT", "100000GB")  # more than this machine has
    with duckdb.connect() as plain, db.connect(tmp_path / "a.duckdb") as build:
        assert shown_mib(build) == shown_mib(plain)


def test_the_build_connection_does_not_keep_insertion_order(tmp_path: Path) -> None:
    with db.connect(tmp_path / "c.duckdb") as con:
        assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0] is False


def test_a_sync_does_not_import_pandas() -> None:
    code = "import sys, pipelines.run, pipelines.assets, pipelines.extract; print('pandas' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "False"


def test_a_raw_merge_runs_under_a_lower_bound_and_puts_the_build_bound_back(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIGHTLINE_DUCKDB_MEMORY_LIMIT", raising=False)
    with db.connect(tmp_path / "d.duckdb") as con:
        default = shown_mib(con)
        with db.merge_memory(con, "32MB"):
            assert shown_mib(con) == pytest.approx(32e6 / 2**20, abs=0.1)
        assert shown_mib(con) == default
    monkeypatch.setenv("SIGHTLINE_DUCKDB_MEMORY_LIMIT", "10MB")  # lower than the merge's: kept, not raised
    with db.connect(tmp_path / "e.duckdb") as con:
        for _ in range(5):  # and never drifts, merge after merge
            with db.merge_memory(con, "32MB"):
                assert shown_mib(con) == pytest.approx(10e6 / 2**20, abs=0.1)
            assert shown_mib(con) == pytest.approx(10e6 / 2**20, abs=0.1)


def threads(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT current_setting('threads')").fetchone()[0]


def test_a_raw_merge_runs_on_one_thread_and_gives_the_connections_threads_back(tmp_path: Path) -> None:
    with db.connect(tmp_path / "t.duckdb") as con:
        con.execute("SET threads = 3")  # whatever the connection had, not the machine's count
        with db.merge_memory(con, "32MB"):
            assert threads(con) == 1
        assert threads(con) == 3
        with pytest.raises(duckdb.OutOfMemoryException), db.merge_memory(con, "32MB"):
            raise duckdb.OutOfMemoryException("a merge that failed")
        assert threads(con) == 3  # given back when the merge fails too


def wide_load(tmp_path: Path, rows: int = 5000) -> tuple[pa.Schema, Path]:
    """A Jira-shaped load whose rows carry a 2 KB description each: about 10 MB of text."""
    schema = pa.schema([("issue", pa.string()), ("description", pa.string())])
    writer = LandingWriter(tmp_path / "landing", "jira-x", "L1")
    writer.write("issues", pa.table({"issue": [f"X-{i}" for i in range(rows)],
                                     "description": [f"{i} " + "long text " * 200 for i in range(rows)]}, schema=schema))
    return schema, writer.commit()


def test_a_raw_merge_too_wide_for_the_first_bound_runs_under_the_next(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("SIGHTLINE_DUCKDB_MEMORY_LIMIT", raising=False)
    # 1 MB is far less than a row group of these rows needs; 500 MB is 50 times the whole load.
    monkeypatch.setattr(raw, "MERGE_MEMORY_LIMITS", ("1MB", "500MB"))
    schema, directory = wide_load(tmp_path)
    caplog.set_level(logging.INFO, logger="sightline.raw")
    with db.connect(tmp_path / "w.duckdb") as con:
        db.prepare(con, {"jira": {"issues": schema}})
        counts = apply_load(con, Load("jira", "jira-x", "L1", directory, ("issues",)))
        assert counts["issues"] == 5000
        assert con.execute('SELECT count(DISTINCT issue), count(*) FROM raw."jira__issues"').fetchone() == (5000, 5000)
        assert shown_mib(con) == pytest.approx(1e9 / 2**20, abs=0.1)  # the build's bound afterwards
    assert "jira-x: the raw merge of load L1 needed more than 1MB; merging it again under a higher bound" in caplog.text
    assert "under the build's bound" not in caplog.text  # the second bound was enough


def test_a_model_out_of_memory_is_named_with_the_bound_and_the_setting(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # A list over a million numbers in one group cannot spill: under a 4 MB bound DuckDB gives up.
    sql = tmp_path / "huge_list.sql"
    sql.write_text("SELECT list(i) AS numbers FROM range(1000000) AS t(i)", encoding="utf-8")
    model = Model("intermediate", "huge_list", sql)
    monkeypatch.setenv("SIGHTLINE_DUCKDB_MEMORY_LIMIT", "4MB")
    with db.connect(tmp_path / "f.duckdb") as con:
        db.prepare(con, {})
        with pytest.raises(ModelOutOfMemoryError) as raised:
            build_model(con, model)
        message = str(raised.value)
        assert "model intermediate.huge_list" in message and str(sql) in message
        assert "3.8 MiB" in message  # 4 MB = 4,000,000 bytes as DuckDB shows it
        assert "raise SIGHTLINE_DUCKDB_MEMORY_LIMIT" in message
        assert raised.value.model is model
        assert isinstance(raised.value.__cause__, duckdb.OutOfMemoryException)
        # The connection still works for the models after it.
        assert con.execute("SELECT count(*) FROM range(10)").fetchone()[0] == 10


def test_a_model_out_of_memory_under_the_default_bound_is_rebuilt_under_duckdbs_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    sql = tmp_path / "huge_list.sql"
    sql.write_text("SELECT list(i) AS numbers FROM range(1000000) AS t(i)", encoding="utf-8")
    monkeypatch.delenv("SIGHTLINE_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(db, "DEFAULT_MEMORY_LIMIT", "4MB")  # the default, made small enough to fail
    with db.connect(tmp_path / "g.duckdb") as con, duckdb.connect() as plain:
        db.prepare(con, {})
        assert build_model(con, Model("intermediate", "huge_list", sql)) == 1
        with db.duckdb_default_memory(con):  # reading the list back needs more than 4 MB too
            assert con.execute("SELECT len(numbers) FROM intermediate.huge_list").fetchone()[0] == 1_000_000
        assert shown_mib(con) == pytest.approx(4e6 / 2**20, abs=0.1)  # back to the default bound after it
        assert shown_mib(plain) > 4  # so the rebuild ran under more than the bound that failed
    assert "intermediate.huge_list ran out of memory under the default DuckDB bound 3.8 MiB" in caplog.text


def test_a_raw_merge_too_wide_for_its_bound_is_rolled_back_and_run_under_the_builds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("SIGHTLINE_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(raw, "MERGE_MEMORY_LIMITS", ("1MB", "2MB"))  # far less than a row group of these rows needs
    schema, directory = wide_load(tmp_path)
    with db.connect(tmp_path / "h.duckdb") as con:
        db.prepare(con, {"jira": {"issues": schema}})
        counts = apply_load(con, Load("jira", "jira-x", "L1", directory, ("issues",)))
        assert counts["issues"] == 5000  # once each: the failed attempt left nothing behind
        rows = con.execute('SELECT count(DISTINCT issue), count(*), min(length(description)) FROM raw."jira__issues"').fetchone()
        assert rows == (5000, 5000, len("0 " + "long text " * 200))
        assert con.execute("SELECT last_status FROM meta.source_state WHERE source_id = 'jira-x'").fetchone() == ("ok",)
        assert shown_mib(con) == pytest.approx(1e9 / 2**20, abs=0.1)  # the build's bound afterwards
    assert "jira-x: the raw merge of load L1 needed more than DuckDB's merge bound" in caplog.text


def test_releasing_memory_collects_cycles_and_leaves_live_arrow_data_alone() -> None:
    import gc
    import weakref

    import pyarrow.compute as pc

    from warehouse.memory import release_memory

    class Node:
        pass

    kept = pa.table({"key": [f"K-{i}" for i in range(50_000)], "n": list(range(50_000))})
    expected_bytes = pa.default_memory_pool().bytes_allocated()
    cycle = Node()
    cycle.self = cycle  # reachable only from itself: only the cyclic collector frees it
    gone = weakref.ref(cycle)
    del cycle
    gc.disable()  # so no automatic collection frees it before the call
    try:
        assert gone() is not None
        release_memory()
        assert gone() is None
    finally:
        gc.enable()
    assert pa.default_memory_pool().bytes_allocated() == expected_bytes  # live buffers untouched
    assert kept.column("key")[49_999].as_py() == "K-49999" and pc.sum(kept.column("n")).as_py() == sum(range(50_000))
