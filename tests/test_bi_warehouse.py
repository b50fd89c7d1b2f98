"""The published file opens in a DuckDB 1.x client (issue #12 part 3): written in an older storage
version, with its comments, and the BI columns as documented. The 1.x client lives in its own
virtualenv (.venv-duckdb1/ in the repository root, git-ignored, reused by later runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.config import ConfigError, parse_portfolio
from warehouse.publish import DEFAULT_STORAGE_VERSION, publish

REPO = Path(__file__).resolve().parents[1]
OLD_CLIENT_VENV = REPO / ".venv-duckdb1"

# Run by the DuckDB 1.x client: tables, comments, and RAG rank order of the published file, as JSON.
READER = """
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(json.dumps({
    "version": duckdb.__version__,
    "tables": [f"{s}.{t}" for s, t in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL").fetchall()],
    "table_comments": dict((f"{s}.{t}", c) for s, t, c in con.execute(
        "SELECT schema_name, table_name, comment FROM duckdb_tables()").fetchall()),
    "column_comments": dict((f"{s}.{t}.{c}", x) for s, t, c, x in con.execute(
        "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns()").fetchall()),
    "rag_by_rank": con.execute(
        "SELECT rag, rag_rank FROM marts.project_health ORDER BY rag_rank DESC, project_id").fetchall(),
}))
"""


@pytest.fixture(scope="session")
def duckdb1_python() -> Path:
    """A Python with DuckDB 1.x (pip install 'duckdb<2' into .venv-duckdb1 once); skipped only when
    pip cannot install it (no package index reachable)."""
    python = OLD_CLIENT_VENV / "bin" / "python"
    check = [str(python), "-c", "import duckdb, sys; sys.exit(duckdb.__version__.startswith('1.') is False)"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(OLD_CLIENT_VENV)], check=True, capture_output=True)
    installed = subprocess.run([str(python), "-m", "pip", "install", "-q", "duckdb<2"], capture_output=True, text=True)
    if installed.returncode != 0:
        pytest.skip(f"pip could not install duckdb<2 for the 1.x client check: {installed.stderr.strip()[-300:]}")
    return python


def run_duckdb1(python: Path, script: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-c", script, str(path)], capture_output=True, text=True, timeout=120)


def read_with_duckdb1(python: Path, path: Path) -> dict:
    done = run_duckdb1(python, READER, path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_duckdb1_client_opens_the_published_sample_with_its_comments(duckdb1_python, sample_published) -> None:
    seen = read_with_duckdb1(duckdb1_python, sample_published)
    assert seen["version"].startswith("1.")
    assert {"marts.project_health", "marts.calendar", "marts.portfolio_summary", "core.work_items",
            "history.project_health_snapshots", "meta.run"} <= set(seen["tables"])
    assert seen["table_comments"]["marts.portfolio_summary"].startswith("The whole portfolio in one row")
    comments = seen["column_comments"]
    assert comments["marts.project_health.rag_rank"].startswith("RAG as a number for sorting: red 3, amber 2, green 1")
    assert "0-100" in comments["marts.project_health.pct_complete"]
    assert "fraction" in comments["marts.resource_deployment.utilisation"]
    assert all(text and text != "(undocumented)" for key, text in comments.items() if key.startswith("marts.")), [
        key for key, text in comments.items() if key.startswith("marts.") and (not text or text == "(undocumented)")]
    stated = {"red": 3, "amber": 2, "green": 1, "unknown": 0}
    ranks = seen["rag_by_rank"]
    assert {rag for rag, _ in ranks} >= {"red", "amber", "unknown"}  # the sample has these cases
    assert all(rank == stated[rag] for rag, rank in ranks)
    order = [stated[rag] for rag, _ in ranks]
    assert order == sorted(order, reverse=True)


def test_the_published_file_is_written_in_the_configured_storage_version(tmp_path, duckdb1_python) -> None:
    with duckdb.connect(":memory:") as build:
        build.execute("CREATE SCHEMA marts")
        build.execute("CREATE TABLE marts.calendar AS SELECT DATE '2026-11-16' AS date, ['a', 'b'] AS tags")
        publish(build, tmp_path / "old.duckdb")
        publish(build, tmp_path / "new.duckdb", "latest")
        for name, expected in (("old.duckdb", "v1.0.0+"), ("new.duckdb", f"v{duckdb.__version__.split('.')[0]}.")):
            build.execute(f"ATTACH '{tmp_path / name}' AS probe (READ_ONLY)")
            tags = build.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'probe'").fetchone()[0]
            build.execute("DETACH probe")
            assert tags["storage_version"].startswith(expected), (name, tags)
    assert DEFAULT_STORAGE_VERSION == "v1.0.0"
    script = ("import sys, duckdb; con = duckdb.connect(sys.argv[1], read_only=True); "
              "print(con.execute('SELECT date, tags FROM marts.calendar').fetchall())")
    old = run_duckdb1(duckdb1_python, script, tmp_path / "old.duckdb")
    assert (old.returncode, old.stdout.strip()) == (0, "[(datetime.date(2026, 11, 16), ['a', 'b'])]"), old.stderr
    new = run_duckdb1(duckdb1_python, script, tmp_path / "new.duckdb")  # why the default is not 'latest'
    assert new.returncode != 0 and "version" in new.stderr.lower()


def test_storage_version_is_checked_by_duckdb_in_the_config(tmp_path) -> None:
    raw = {"programs": [], "sources": [], "publish": {"storage_version": "v9.9.9"}}
    with pytest.raises(ConfigError, match=r"publish\.storage_version: 'v9\.9\.9' is not a DuckDB version"):
        parse_portfolio(raw, tmp_path / "portfolio.yaml")
    chosen = parse_portfolio({**raw, "publish": {"storage_version": "v1.2.0"}}, tmp_path / "portfolio.yaml")
    assert chosen.publish.storage_version == "v1.2.0" and chosen.publish.postgres is None
    default = parse_portfolio({"programs": [], "sources": []}, tmp_path / "portfolio.yaml")
    assert default.publish.storage_version == DEFAULT_STORAGE_VERSION
