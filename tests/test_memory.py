"""Memory that stays flat as sources grow: DuckDB's bound in the build, no heavy import a sync does not use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from warehouse import db


def memory_limit_mib(path: Path) -> float:
    with db.connect(path) as con:
        text = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    number, unit = text.split()
    assert unit == "MiB", text
    return float(number)


def test_the_build_connection_bounds_duckdb_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIGHTLINE_DUCKDB_MEMORY_LIMIT", raising=False)
    assert memory_limit_mib(tmp_path / "a.duckdb") == pytest.approx(1e9 / 2**20, abs=0.1)  # DuckDB's GB is 10^9
    monkeypatch.setenv("SIGHTLINE_DUCKDB_MEMORY_LIMIT", "512MB")
    assert memory_limit_mib(tmp_path / "b.duckdb") == pytest.approx(512e6 / 2**20, abs=0.1)


def test_the_build_connection_does_not_keep_insertion_order(tmp_path: Path) -> None:
    with db.connect(tmp_path / "c.duckdb") as con:
        assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0] is False


def test_a_sync_does_not_import_pandas() -> None:
    code = "import sys, pipelines.run, pipelines.assets, pipelines.extract; print('pandas' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "False"
