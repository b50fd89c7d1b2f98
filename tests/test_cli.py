"""The `sightline` command as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from generate_sample import generate

from pipelines.cli import DAGSTER_YAML, main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.pipeline
@pytest.mark.slow  # a subprocess, from a cold start
def test_init_writes_a_portfolio_that_syncs_and_answers_queries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "pmo"
    assert main(["init", str(target)]) == 0
    assert (target / "portfolio.yaml").exists() and (target / "sheets" / "tracker.csv").exists()
    assert main(["init", str(target)]) == 1  # never overwrites

    # The one smoke test of `sightline sync` as a user runs it: a subprocess, from a cold start.
    result = run("sync", "--config", str(target / "portfolio.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "core.work_items: 3 rows" in result.stderr  # progress per asset
    assert "Published:" in result.stdout

    capsys.readouterr()
    code = main(["query", "--config", str(target / "portfolio.yaml"), "--format", "json",
                 "SELECT project_id, items_total, items_done, pct_complete_count FROM marts.project_health"])
    answer = capsys.readouterr()
    assert code == 0, answer.err
    assert json.loads(answer.out) == [
        {"project_id": "first-project", "items_total": 3, "items_done": 1, "pct_complete_count": pytest.approx(100 / 3)}
    ]


def test_query_is_read_only(synced_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A writable copy: were the query not read-only, the DELETE could succeed, and the test fail.
    code = main(["query", "--config", str(synced_copy / "portfolio.yaml"), "DELETE FROM core.work_items"])
    assert code == 1 and "read-only" in capsys.readouterr().err.lower()


def test_config_error_exits_2_with_key_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "portfolio.yaml"
    config.write_text("sources:\n  - {id: s, kind: spreadsheet}\nprograms: []\n")
    assert main(["sync", "--config", str(config)]) == 2
    assert "sources[0].path: is missing" in capsys.readouterr().err


def test_query_before_any_sync_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["init", str(tmp_path / "pmo")])
    assert main(["query", "--config", str(tmp_path / "pmo" / "portfolio.yaml"), "SELECT 1"]) == 1
    assert "run `sightline sync" in capsys.readouterr().err


def test_ui_instance_settings_are_valid_dagster_yaml(tmp_path: Path) -> None:
    (tmp_path / "dagster.yaml").write_text(DAGSTER_YAML)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        pools = instance.get_concurrency_config().pool_config
        assert pools.default_pool_limit == 1 and str(pools.pool_granularity.value).lower() == "run"


def test_sample_generator_is_deterministic_and_matches_the_committed_files(tmp_path: Path) -> None:
    first = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in generate(tmp_path / "a")}
    second = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in generate(tmp_path / "b")}
    assert first == second
    committed = {p: (EXAMPLES / p).read_bytes() for p in first}
    assert committed == first, "examples/ differ from the generator: run python examples/generate_sample.py"
