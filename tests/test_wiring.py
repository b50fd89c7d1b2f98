"""The Dagster wiring: one prepared build connection per run, full refresh of one source as run
config, definitions that load without a portfolio, and code versions that follow the SQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from jira_emulator import EMAIL, TOKEN, JiraEmulator

from pipelines import resources
from pipelines.assets import model_asset
from pipelines.build import build_definitions, full_refresh_run_config
from pipelines.config import load_portfolio
from pipelines.resources import SightlineWarehouse
from warehouse.models import Model

SEARCH = "/rest/api/3/search/jql"
TWO_JIRAS = """
warehouse: var/sightline.duckdb
as_of: 2026-03-01
programs: []
sources:
  - {{id: jira-pay, kind: jira, url: {url}, projects: [PAY], auth: {{email_env: JIRA_EMAIL, token_env: JIRA_API_TOKEN}}}}
  - {{id: jira-exp, kind: jira, url: {url}, projects: [EXP], auth: {{email_env: JIRA_EMAIL, token_env: JIRA_API_TOKEN}}}}
"""


def materialize(config: Path, selection: list[dg.AssetKey] | None = None,
                run_config: dict | None = None) -> dg.ExecuteInProcessResult:
    defs = build_definitions(load_portfolio(config))
    return dg.materialize(
        [*(defs.assets or []), *(defs.asset_checks or [])], selection=selection, run_config=run_config,
        resources={"sightline": SightlineWarehouse(config_path=str(config))}, raise_on_error=False,
    )


@pytest.mark.pipeline
def test_build_file_is_prepared_once_and_shared_by_every_step_and_check(
    sample_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared, opened = [], []
    real_prepare, real_open = resources.db.prepare, resources.db.open_connection
    monkeypatch.setattr(resources.db, "prepare", lambda *a, **k: prepared.append(1) or real_prepare(*a, **k))
    monkeypatch.setattr(resources.db, "open_connection", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k))

    result = materialize(sample_dir / "portfolio.yaml")

    assert result.success
    steps = {e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_SUCCESS}
    checks = [e for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
    assert len(steps) > 40 and len(checks) > 10  # many steps and checks ran...
    assert len(prepared) == 1  # ...on a build file prepared once
    assert opened == [sample_dir / "var" / ".sightline" / "build.duckdb"]  # through one connection
    # Closed at teardown: a read-only connection in this same process would be refused otherwise.
    with duckdb.connect(str(opened[0]), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM core.work_items").fetchone()[0] > 0


@pytest.mark.pipeline
def test_full_refresh_of_one_source_through_run_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    with JiraEmulator() as jira:
        jira.add_issues(20, project="PAY")
        jira.add_issues(20, project="EXP")
        config = tmp_path / "portfolio.yaml"
        config.write_text(TWO_JIRAS.format(url=jira.url))
        portfolio = load_portfolio(config)
        raw = [dg.AssetKey(["raw", s.id]) for s in portfolio.sources]
        assert materialize(config, raw).success  # first loads: everything, cursors saved
        jira.clear_log()

        pay = [s for s in portfolio.sources if s.id == "jira-pay"]
        result = materialize(config, raw, run_config=full_refresh_run_config(pay))

        assert result.success
        first_search = {}
        for request in jira.requests_to(SEARCH):
            project = "PAY" if "PAY" in request.body["jql"] else "EXP"
            first_search.setdefault(project, request.body["jql"])
    assert "updated >=" not in first_search["PAY"]  # jira-pay read whole
    assert "updated >=" in first_search["EXP"]  # jira-exp stayed incremental


@pytest.mark.slow  # two Python subprocesses that import Dagster
def test_definitions_load_without_a_portfolio(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path)}
    dagster = Path(sys.executable).with_name("dagster")
    validate = [str(dagster), "definitions", "validate", "-m", "pipelines.definitions"]

    empty = subprocess.run(validate, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert empty.returncode == 0, empty.stderr
    assert "SIGHTLINE_CONFIG is not set and there is no ./portfolio.yaml" in empty.stderr

    shutil.copytree(Path(__file__).resolve().parents[1] / "examples", tmp_path / "here",
                    ignore=shutil.ignore_patterns("var"))
    listing = [sys.executable, "-c", "from pipelines.definitions import defs; "
               "print(sorted(k.to_user_string() for k in defs().resolve_asset_graph().get_all_asset_keys()))"]
    found = subprocess.run(listing, cwd=tmp_path / "here", env=env, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    assert "'raw/hr-tracker'" in found.stdout and "'published/warehouse'" in found.stdout  # ./portfolio.yaml


def test_code_version_follows_the_sql_file(tmp_path: Path) -> None:
    sql = tmp_path / "widgets.sql"
    model = Model("marts", "widgets", sql)

    def version() -> str:
        return model_asset(model, {}).code_versions_by_key[dg.AssetKey(["marts", "widgets"])]

    sql.write_text("SELECT 1 AS n\n")
    first = version()
    assert version() == first  # same SQL, same version: Dagster sees nothing changed
    sql.write_text("SELECT 2 AS n\n")
    assert version() != first


def test_code_version_follows_the_macros_the_sql_calls(tmp_path: Path, monkeypatch) -> None:
    import pipelines.assets as assets

    sql = tmp_path / "widgets.sql"
    sql.write_text("SELECT as_of() AS today\n")
    model = Model("marts", "widgets", sql)

    def version() -> str:
        return model_asset(model, {}).code_versions_by_key[dg.AssetKey(["marts", "widgets"])]

    first = version()
    monkeypatch.setattr(assets, "MACROS", (*assets.MACROS, "CREATE OR REPLACE MACRO as_of() AS DATE '2026-01-01'"))
    assert version() != first  # an edited macro changes the version of the models built on it
