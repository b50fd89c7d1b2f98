"""Planner premium in the whole pipeline, beside a spreadsheet: one resource per person across both
sources, the project's own status as its reported status, and first-seen baselines giving schedule
variance and slipped milestones once a date moves."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from pathlib import Path

import duckdb
import pytest
from planner_premium_emulator import CLIENT_ID, CLIENT_SECRET, TENANT, PlannerEmulator

from pipelines.config import load_portfolio
from pipelines.run import run_sync

pytestmark = pytest.mark.pipeline

PORTFOLIO = """
warehouse: var/sightline.duckdb
timezone: Europe/London
as_of: 2026-01-10                 # after the project status update of the 9th
programs:
  - id: finance
    name: Finance systems
    projects:
      - {{id: payroll, name: Payroll, source: planner, key: {project}}}
      - {{id: website, name: Website, source: trackers, key: website.csv}}
sources:
  - id: planner
    kind: planner_premium
    url: {url}
    auth: {{tenant_id_env: PP_TENANT, client_id_env: PP_CLIENT, client_secret_env: PP_SECRET, authority: {url}}}
    baseline: first_seen
    backoff_seconds: 0.01
  - id: trackers
    kind: spreadsheet
    path: sheets/*.csv
"""
TRACKER = """ID,Task,Status,Start,Finish,Owner,Email,Estimate (h)
W-1,Design pages,In progress,2026-01-05,2026-01-09,PRIYA SHAH,PRIYA.SHAH@EXAMPLE.COM,40
W-2,Build pages,Not started,2026-01-12,2026-01-16,Tom Okafor,,40
"""


def sync(config: Path) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        report = run_sync(load_portfolio(config))
    assert report.published is not None, report


def test_planner_and_a_spreadsheet_publish_one_portfolio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("PP_TENANT", TENANT), ("PP_CLIENT", CLIENT_ID), ("PP_SECRET", CLIENT_SECRET)):
        monkeypatch.setenv(name, value)
    with PlannerEmulator() as emulator:
        project = emulator.add_project("Payroll", 10)  # tasks 2026-01-05 .. milestone on 2026-01-14
        (tmp_path / "sheets").mkdir()
        (tmp_path / "sheets" / "website.csv").write_text(TRACKER)
        config = tmp_path / "portfolio.yaml"
        config.write_text(PORTFOLIO.format(url=emulator.url, project=project))
        sync(config)
        milestone = next(rid for rid, row in emulator.tables["msdyn_projecttasks"].items()
                         if row["msdyn_subject"] == "Payroll task 10")
        # The go-live milestone slips a week: Wednesday 14th to Wednesday 21st January.
        emulator.edit("msdyn_projecttasks", milestone, msdyn_scheduledstart="2026-01-21T08:00:00Z",
                      msdyn_scheduledend="2026-01-21T08:00:00Z")
        sync(config)
    con = duckdb.connect(str(tmp_path / "var" / "sightline.duckdb"), read_only=True)
    people = con.execute("SELECT resource_id FROM core.resources WHERE resource_id LIKE 'priya%'").fetchall()
    assert people == [("priya.shah@example.com",)]  # Priya Shah in Planner and PRIYA SHAH in the tracker
    sources = con.execute("SELECT DISTINCT w.source_id FROM core.assignments AS a JOIN core.work_items AS w "
                          "USING (work_item_id) WHERE a.resource_id = 'priya.shah@example.com' ORDER BY 1").fetchall()
    assert sources == [("planner",), ("trackers",)]
    health = con.execute("SELECT baseline_finish, forecast_finish, schedule_variance_days, milestones_slipped, "
                         "reported_status FROM marts.project_health WHERE project_id = 'payroll'").fetchone()
    # Working days from Wed 14 to Wed 21 January: 15, 16, 19, 20, 21.
    assert health == (dt.date(2026, 1, 14), dt.date(2026, 1, 21), 5, 1, "Yellow")
