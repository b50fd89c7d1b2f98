"""Smartsheet beside Jira in the whole pipeline: a "Depends on" cell naming a Jira issue becomes a
cross-source dependency carrying the issue's slip, one person is one resource across both tools,
and the sheet summary's status is the project's reported status."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from jira_emulator import EMAIL, JiraEmulator
from jira_emulator import TOKEN as JIRA_TOKEN
from smartsheet_emulator import TOKEN, SmartsheetEmulator

from pipelines.config import load_portfolio
from pipelines.run import run_sync

pytestmark = pytest.mark.pipeline

PORTFOLIO = """
warehouse: var/sightline.duckdb
timezone: Europe/London
as_of: 2026-03-01
programs:
  - id: digital
    name: Digital
    projects:
      - {{id: payroll, name: Payroll platform, source: jira-cloud, key: PAY}}
      - {{id: website, name: Website relaunch, source: pmo-smartsheet, key: "{sheet}"}}
sources:
  - id: jira-cloud
    kind: jira
    url: {jira}
    auth: {{email_env: JIRA_EMAIL, token_env: JIRA_API_TOKEN}}
    backoff_seconds: 0.01
  - id: pmo-smartsheet
    kind: smartsheet
    url: {smartsheet}
    auth: {{token_env: SMARTSHEET_TOKEN}}
    backoff_seconds: 0.01
"""
PRIYA = {"accountId": "acc-1", "displayName": "Priya Shah", "emailAddress": "priya.shah@example.com"}


def working_days(first: dt.date, last: dt.date) -> int:
    """Monday-Friday days from ``first`` up to, not including, ``last``."""
    return sum((first + dt.timedelta(days=n)).weekday() < 5 for n in range((last - first).days))


def test_smartsheet_and_jira_meet_in_one_portfolio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("JIRA_API_TOKEN", JIRA_TOKEN)
    monkeypatch.setenv("SMARTSHEET_TOKEN", TOKEN)
    with JiraEmulator() as jira, SmartsheetEmulator() as smartsheet:
        ids = jira.add_issues(6, "PAY")
        # PAY-4 (no links of its own): in progress, due Friday 20 March, Priya's.
        jira.edit(ids[3], status=("In Progress", "indeterminate"), duedate="2026-03-20",
                  customfield_10015="2026-03-09", assignee=PRIYA)
        sheet = smartsheet.add_sheet("Website relaunch")
        row = smartsheet.add_row(sheet, **{
            "Task Name": ("Launch site", None), "Start": ("2026-03-10T08:00:00", None),
            "Finish": ("2026-03-12T17:00:00", None), "Duration": ("3d", {"objectType": "DURATION", "days": 3}),
            "Status": ("In Progress", None), "% Complete": (0.0, None), "Depends on": ("PAY-4", None),
            # the same person, written in another case
            "Assigned To": ("Priya.Shah@Example.com",
                            {"objectType": "CONTACT", "name": "PRIYA SHAH", "email": "Priya.Shah@Example.com"})})
        smartsheet.set_summary(sheet, [("Project Health", "PICKLIST", "Green", None),
                                       ("Status Date", "DATE", "2026-02-27", None)])
        config = tmp_path / "portfolio.yaml"
        config.write_text(PORTFOLIO.format(jira=jira.url, smartsheet=smartsheet.url, sheet=sheet.id))
        report = run_sync(load_portfolio(config))
    assert report.success, report
    successor = f"pmo-smartsheet:{row['id']}"
    with duckdb.connect(str(report.published), read_only=True) as con:
        links = con.execute("SELECT predecessor_id, successor_id, link_type, is_cross_project FROM core.dependencies "
                            "WHERE successor_id = ?", [successor]).fetchall()
        slip = con.execute("SELECT slip_days FROM marts.cross_project_linkages WHERE linkage_type = 'dependency' "
                           "AND project_id_a = 'payroll' AND project_id_b = 'website'").fetchall()
        people = con.execute("SELECT resource_id, source_ids FROM core.resources "
                             "WHERE resource_id = 'priya.shah@example.com'").fetchall()
        assignee = con.execute("SELECT assignee_id FROM core.work_items WHERE work_item_id = ?", [successor]).fetchone()
        reported = con.execute("SELECT reported_status, reported_at FROM marts.project_health "
                               "WHERE project_id = 'website'").fetchone()
    assert links == [("jira-cloud:PAY-4", successor, "FS", True)]
    # Finish-to-start: the launch may start the working day after PAY-4's finish (Mon 23 March), not
    # Tue 10 March as planned: pushed by the working days from the 10th up to the 23rd.
    assert slip == [(working_days(dt.date(2026, 3, 10), dt.date(2026, 3, 23)),)]
    assert len(people) == 1 and sorted(people[0][1]) == ["jira-cloud", "pmo-smartsheet"]
    assert assignee == ("priya.shah@example.com",)
    assert reported == ("Green", dt.date(2026, 2, 27))
    # The Smartsheet token is in no file the run wrote (landing Parquet, build state, the warehouse).
    for path in (tmp_path / "var").rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
