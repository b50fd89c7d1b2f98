"""Jira in the whole pipeline: into core and the marts, a failing Jira keeps its last good data
in the published warehouse, and the token is nowhere to be found."""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from jira_emulator import EMAIL, TOKEN, JiraEmulator

from pipelines.config import load_portfolio
from pipelines.run import SyncReport, run_sync

pytestmark = pytest.mark.pipeline  # every test here runs the whole pipeline

PORTFOLIO = """
warehouse: var/sightline.duckdb
timezone: Europe/London
as_of: 2026-03-01
objectives:
  - {{id: cost-efficiency, name: Reduce cost, target_share: 0.5}}
programs:
  - id: finance
    name: Finance systems
    projects:
      - {{id: payroll, name: Payroll platform, source: jira-cloud, key: PAY, systems: [General Ledger]}}
      - {{id: expenses, name: Expenses, source: jira-cloud, key: EXP}}
sources:
  - id: jira-cloud
    kind: jira
    url: {url}
    auth: {{email_env: JIRA_EMAIL, token_env: JIRA_API_TOKEN}}
    fields: {{objectives: Strategic theme}}
    backoff_seconds: 0.01
    max_retries: 1
"""


@dataclass
class FirstSync:
    jira: JiraEmulator
    config: Path
    report: SyncReport
    output: str  # what the run printed, searched for the token too


@pytest.fixture
def portfolio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[JiraEmulator, Path]]:
    """A fresh emulator and portfolio, not yet synced: for a test that shapes Jira before the first sync."""
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    with JiraEmulator() as jira:
        jira.add_issues(120)
        config = tmp_path / "portfolio.yaml"
        config.write_text(PORTFOLIO.format(url=jira.url))
        yield jira, config


@pytest.fixture(scope="module")
def first_sync(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstSync]:
    """One emulator and one first sync for the module; a test that changes something works on a copy."""
    with pytest.MonkeyPatch.context() as env, JiraEmulator() as jira:
        env.setenv("JIRA_EMAIL", EMAIL)
        env.setenv("JIRA_API_TOKEN", TOKEN)
        jira.add_issues(120)
        config = tmp_path_factory.mktemp("jira") / "portfolio.yaml"
        config.write_text(PORTFOLIO.format(url=jira.url))
        output = io.StringIO()
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            report = run_sync(load_portfolio(config))
        yield FirstSync(jira, config, report, output.getvalue())


def test_jira_issues_reach_core_and_marts(first_sync: FirstSync) -> None:
    jira, report = first_sync.jira, first_sync.report
    assert report.success, report
    with duckdb.connect(str(report.published), read_only=True) as con:
        items = dict(con.execute("SELECT project_id, count(*) FROM core.work_items WHERE item_type <> 'release' "
                                 "GROUP BY 1").fetchall())
        health = dict(con.execute("SELECT project_id, items_done FROM marts.project_health").fetchall())
        changes = con.execute("SELECT count(*) FROM core.status_changes").fetchone()[0]
        aligned = dict(con.execute("SELECT project_id, weight_origin FROM marts.strategy_alignment").fetchall())
    by_project = {"payroll": 0, "expenses": 0}
    done = {"payroll": 0, "expenses": 0}
    for issue in jira.issues.values():
        f = issue["fields"]
        if f["issuetype"]["name"] == "Risk":
            continue
        project = {"PAY": "payroll", "EXP": "expenses"}[f["project"]["key"]]
        by_project[project] += 1
        done[project] += f["status"]["statusCategory"]["key"] == "done" and not f["customfield_10021"]
    assert items == by_project
    assert {k: health[k] for k in done} == done
    assert changes == sum(len(h) for i, h in jira.histories.items()
                          if jira.issues[i]["fields"]["issuetype"]["name"] != "Risk")
    assert aligned["payroll"] == "source"  # the Strategic theme field carried objectives


def test_failing_jira_keeps_last_good_data_and_never_leaks_the_token(
    first_sync: FirstSync, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert first_sync.report.success
    # A copy of the synced folder, build state included: the module's first sync stays as it was.
    shutil.copytree(first_sync.config.parent, tmp_path / "p", copy_function=shutil.copyfile)
    config = tmp_path / "p" / "portfolio.yaml"
    first_sync.jira.forbidden_projects.add("PAY")
    try:
        report = run_sync(load_portfolio(config))
    finally:
        first_sync.jira.forbidden_projects.discard("PAY")
    assert not report.success and report.published_this_run
    assert report.failed_sources["jira-cloud"].startswith("jira-cloud: POST /rest/api/3/search/jql -> HTTP 403")
    with duckdb.connect(str(report.published), read_only=True) as con:
        stale = con.execute("SELECT count(*), bool_and(is_stale) FROM core.work_items WHERE source_id = 'jira-cloud'"
                            ).fetchone()
        every_text = con.execute(
            "SELECT string_agg(t::VARCHAR, ' ') FROM (SELECT * FROM meta.source_state) AS t").fetchone()[0]
    assert stale[0] > 0 and stale[1] is True

    # The token is in no output, no published table, no landing file and no build file.
    out = capsys.readouterr()
    assert TOKEN not in first_sync.output + out.out + out.err
    assert TOKEN not in every_text
    var = config.parent / "var"
    for path in var.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    with duckdb.connect(str(report.published), read_only=True) as con:
        for schema, table in con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall():
            text = con.execute(f'SELECT string_agg(t::VARCHAR, \' \') FROM {schema}."{table}" AS t').fetchone()[0]
            assert TOKEN not in (text or ""), f"{schema}.{table}"


def test_edits_and_deletions_between_pages_reach_core_once_each(portfolio) -> None:
    jira, config = portfolio
    hook = jira.between_pages(1, edit=20, delete=10)
    report = run_sync(load_portfolio(config))
    assert report.success, report  # the blocking unique-key checks passed: published
    assert len(hook.edited) == 20 and len(hook.deleted) == 10
    with duckdb.connect(str(report.published), read_only=True) as con:
        keys = [r[0] for r in con.execute("SELECT source_key FROM core.work_items WHERE source_id = 'jira-cloud' "
                                          "AND item_type <> 'release'").fetchall()]
        risks = [r[0] for r in con.execute("SELECT source_key FROM core.risks WHERE source_id = 'jira-cloud'"
                                           ).fetchall()]
    assert len(keys) == len(set(keys)) and len(risks) == len(set(risks))
    assert set(keys) | set(risks) == {issue["key"] for issue in jira.issues.values()}
