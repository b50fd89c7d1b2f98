"""`sightline query` is a sandbox: read-only, no file or network access, settings locked, and CSV
output that a spreadsheet will not run as formulas."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main

CANARY = "canary-7f3a-not-for-your-eyes"


@pytest.fixture
def portfolio(tmp_path: Path) -> Path:
    """A starter portfolio whose published warehouse is written here directly (no sync needed)."""
    main(["init", str(tmp_path / "pmo")])
    config = tmp_path / "pmo" / "portfolio.yaml"
    warehouse = tmp_path / "pmo" / "var" / "sightline.duckdb"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA core")
        con.execute("CREATE TABLE core.cells (n INTEGER, label VARCHAR)")
        con.execute(
            "INSERT INTO core.cells VALUES (-5, '=HYPERLINK(\"http://x\")'), (7, '+1'), (8, '-2'), "
            "(9, '@SUM(A1)'), (10, '\tlead'), (11, '\rcr'), (12, 'plain'), (13, 'a=b'), (14, NULL)"
        )
    (tmp_path / "canary.txt").write_text(CANARY + "\n")
    return config


def query(portfolio: Path, sql: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "query", "--config", str(portfolio), *extra, sql],
        capture_output=True, text=True, timeout=120, cwd=portfolio.parent.parent,
    )


def assert_refused(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(("query refused:", "query failed:"))


@pytest.mark.slow  # sightline query in a subprocess
def test_copy_to_a_file_is_refused_and_writes_nothing(portfolio: Path) -> None:
    target = portfolio.parent.parent / "stolen.csv"
    result = query(portfolio, f"COPY core.cells TO '{target}' (FORMAT csv)")
    assert_refused(result)
    assert "query refused" in result.stderr
    assert not target.exists()


@pytest.mark.slow  # sightline query in a subprocess
@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('{canary}', header = false)",
    "SELECT * FROM read_text('{canary}')",
    "SELECT * FROM glob('{folder}/*')",
    "ATTACH '{folder}/other.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SELECT * FROM read_parquet('http://127.0.0.1:9/x.parquet')",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
])
def test_file_network_and_settings_access_are_refused(portfolio: Path, sql: str) -> None:
    folder = portfolio.parent.parent
    result = query(portfolio, sql.format(canary=folder / "canary.txt", folder=folder))
    assert_refused(result)
    assert CANARY not in result.stdout + result.stderr
    assert "canary.txt" not in result.stdout  # glob listed nothing
    assert not (folder / "other.duckdb").exists()


@pytest.mark.slow  # sightline query in a subprocess
def test_re_enabling_access_in_the_same_statement_list_is_refused(portfolio: Path) -> None:
    canary = portfolio.parent.parent / "canary.txt"
    result = query(portfolio, f"SET enable_external_access = true; SELECT * FROM read_text('{canary}')")
    assert_refused(result)
    assert CANARY not in result.stdout


@pytest.mark.slow  # sightline query in a subprocess
def test_writes_are_refused_as_read_only(portfolio: Path) -> None:
    result = query(portfolio, "DELETE FROM core.cells")
    assert_refused(result)
    assert "read-only" in result.stderr
    with duckdb.connect(str(portfolio.parent / "var" / "sightline.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM core.cells").fetchone()[0] == 9


def test_csv_neutralises_formula_cells_but_not_numbers(portfolio: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--config", str(portfolio), "--format", "csv",
                 "SELECT n, label FROM core.cells ORDER BY n"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out, newline="")))
    assert rows[0] == ["n", "label"]
    assert rows[1:] == [
        ["-5", "'=HYPERLINK(\"http://x\")"], ["7", "'+1"], ["8", "'-2"], ["9", "'@SUM(A1)"],
        ["10", "'\tlead"], ["11", "'\rcr"], ["12", "plain"], ["13", "a=b"], ["14", ""],
    ]


def test_csv_raw_keeps_cells_as_stored(portfolio: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--config", str(portfolio), "--format", "csv", "--raw",
                 "SELECT n, label FROM core.cells WHERE n IN (-5, 8) ORDER BY n"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out, newline="")))
    assert rows[1:] == [["-5", "=HYPERLINK(\"http://x\")"], ["8", "-2"]]


def test_ordinary_queries_still_answer(portfolio: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--config", str(portfolio), "--format", "json",
                 "SELECT sum(n) AS total FROM core.cells"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"total": sum([-5, *range(7, 15)])}]
