"""Sources extracted in parallel: a run starts every source's extract at once (they write only
landing files), a failing source fails alone, and the raw tables come out exactly as loading the
sources one after another does."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from connectors.registry import connector_class
from pipelines import extract
from pipelines.cli import main
from pipelines.config import load_portfolio
from pipelines.extract import ParallelExtracts, land_extract, load_source
from pipelines.resources import prepare_build
from pipelines.run import run_sync
from warehouse import db
from warehouse.db import raw_table

EXTRA_SOURCES = """  - id: more-trackers
    kind: spreadsheet
    path: more/*.csv
    day_first: true
  - id: broken-tracker
    kind: spreadsheet
    path: broken/*.xlsx
"""


def three_sources(folder: Path) -> Path:
    """The starter portfolio plus a second good tracker and one that cannot be read."""
    assert main(["init", str(folder)]) == 0
    (folder / "more").mkdir()
    rows = (folder / "sheets" / "tracker.csv").read_text(encoding="utf-8").splitlines()
    (folder / "more" / "other.csv").write_text("\n".join([rows[0], *(r.replace("T-", "M-") for r in rows[1:])]) + "\n",
                                               encoding="utf-8")
    (folder / "broken").mkdir()
    (folder / "broken" / "plan.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    config = folder / "portfolio.yaml"
    config.write_text(config.read_text(encoding="utf-8") + EXTRA_SOURCES, encoding="utf-8")
    return config


def raw_rows(build: Path, source_ids: list[str]) -> dict[str, list[tuple]]:
    """Every raw row of the spreadsheet sources (and their quarantine), without the load id."""
    tables = [raw_table("spreadsheet", t) for t in connector_class("spreadsheet").raw_schemas] + ["raw.quarantine"]
    with db.connect(build, read_only=True) as con:
        return {table: con.execute(f"SELECT * EXCLUDE (load_id) FROM {table} WHERE source_id IN "
                                   f"({', '.join('?' for _ in source_ids)}) ORDER BY ALL", source_ids).fetchall()
                for table in tables}


def barrier_extracts(monkeypatch: pytest.MonkeyPatch, parties: int) -> list[str]:
    """Each extract waits until ``parties`` extracts are running at once: run one after another, the
    first would wait in vain and raise BrokenBarrierError."""
    barrier = threading.Barrier(parties, timeout=60)
    original, entered = extract.extract_source, []

    def together(source, *args, **kwargs):
        entered.append(source.id)
        barrier.wait()
        return original(source, *args, **kwargs)

    monkeypatch.setattr(extract, "extract_source", together)
    return entered


def test_parallel_extracts_run_at_once_and_each_result_is_handed_to_its_caller(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    portfolio = load_portfolio(three_sources(tmp_path / "pmo"))
    entered = barrier_extracts(monkeypatch, parties=3)
    extracts = ParallelExtracts(portfolio.var_dir / "landing", workers=3)
    for source in portfolio.sources:
        extracts.start(source, None)
    results = {s.id: extracts.result(s.id) for s in reversed(portfolio.sources)}  # any order of steps
    extracts.close()
    assert sorted(entered) == ["broken-tracker", "more-trackers", "trackers"]
    assert results["broken-tracker"].error and "plan.xlsx" in results["broken-tracker"].error
    assert results["trackers"].error is None and results["trackers"].landing_dir.is_dir()
    assert results["more-trackers"].error is None and results["more-trackers"].landing_dir.is_dir()
    with db.connect(portfolio.var_dir / "build.duckdb") as con:
        prepare_build(con, portfolio)
        outcome = land_extract(con, results["broken-tracker"], portfolio.var_dir / "landing", 1)
        assert not outcome.ok and con.execute(
            "SELECT last_status FROM meta.source_state WHERE source_id = 'broken-tracker'").fetchone()[0] == "failed"


@pytest.mark.pipeline
@pytest.mark.slow
def test_a_run_extracts_sources_together_one_fails_alone_and_raw_matches_sequential(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = three_sources(tmp_path / "parallel")
    sequential_config = tmp_path / "sequential" / "portfolio.yaml"
    shutil.copytree(config.parent, sequential_config.parent)

    entered = barrier_extracts(monkeypatch, parties=3)  # the run's extracts must all be in flight together
    report = run_sync(load_portfolio(config))
    assert sorted(entered) == ["broken-tracker", "more-trackers", "trackers"]
    assert list(report.failed_sources) == ["broken-tracker"]
    assert {s.source_id: s.status for s in report.sources} == {
        "trackers": "ok", "more-trackers": "ok", "broken-tracker": "failed"}
    assert report.published_this_run

    monkeypatch.undo()
    sequential = load_portfolio(sequential_config)
    with db.connect(sequential.var_dir / "build.duckdb") as con:
        prepare_build(con, sequential)
        outcomes = [load_source(con, s, sequential.var_dir / "landing", 1) for s in sequential.sources]
    assert [o.ok for o in outcomes] == [True, True, False]
    good = ["more-trackers", "trackers"]
    parallel_rows = raw_rows(load_portfolio(config).var_dir / "build.duckdb", good)
    assert parallel_rows == raw_rows(sequential.var_dir / "build.duckdb", good)
    assert parallel_rows[raw_table("spreadsheet", "tasks")]  # something was compared
