"""An Azure DevOps organisation (the emulator, started here) in one portfolio with a Jira CSV export and
a spreadsheet tracker: one resource per e-mail across the three, and an Azure DevOps hyperlink naming a
Jira issue becoming a cross-source dependency that carries its slip."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import numpy as np
import pytest
from azure_devops_emulator import PAT, AzureDevOpsEmulator
from conftest import build_directly

from pipelines.config import load_portfolio

pytestmark = pytest.mark.pipeline  # the models and marts are built

JIRA = [["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key", "Project name", "Created",
         "Updated", "Due Date", "Assignee"],
        # The ledger API is due Friday 20 March 2026, assigned to a person Jira knows by name only.
        ["Ledger API", "FIN-7", "707", "Story", "In Progress", "FIN", "Finance", "02/Jan/26 9:00 AM",
         "02/Jan/26 9:00 AM", "20/Mar/26 12:00 AM", "Priya Shah"]]
TRACKER = [["ID", "Task", "Status", "Start", "Finish", "Owner", "Email", "Estimate (h)"],
           ["T-1", "Train payroll clerks", "Not started", "2026-03-23", "2026-03-27", "P. SHAH",
            "PRIYA.SHAH@EXAMPLE.COM", "16"]]
PAYROLL_START, PAYROLL_FINISH = "2026-03-16", "2026-03-27"  # the Azure DevOps story's own plan (Mon - Fri)


def _csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    folder = tmp_path_factory.mktemp("ado-portfolio")
    _csv(folder / "jira.csv", JIRA)
    _csv(folder / "tracker.csv", TRACKER)
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("ADO_PAT", PAT)
    with AzureDevOpsEmulator({"Payroll": "Agile", "Expenses": "Agile"}) as ado:
        feature, story = ado.add_items(2, "Payroll")
        ado.edit(feature, System__AssignedTo=None)  # only the story's assignee is in this test
        ado.edit(story, state="Active", System__AssignedTo={"displayName": "Priya Shah",
                                                              "uniqueName": "Priya.Shah@Example.com"},
                 Microsoft__VSTS__Scheduling__StartDate=f"{PAYROLL_START}T00:00:00Z",
                 Microsoft__VSTS__Scheduling__TargetDate=f"{PAYROLL_FINISH}T00:00:00Z")
        ado.add_hyperlink(story, "https://example.atlassian.net/browse/FIN-7", "waits for the ledger API")
        (folder / "portfolio.yaml").write_text(f"""
warehouse: var/w.duckdb
as_of: 2026-03-02
programs:
  - id: hr
    name: HR systems
    projects:
      - {{id: payroll, name: Payroll, source: ado, key: Payroll}}
      - {{id: fin, name: Finance, source: jira, key: FIN}}
      - {{id: training, name: Training, source: sheets, key: tracker.csv}}
sources:
  - {{id: ado, kind: azure_devops, url: "{ado.url}", auth: {{token_env: ADO_PAT}}, projects: [Payroll]}}
  - {{id: jira, kind: jira_csv, path: jira.csv, timezone: UTC}}
  - {{id: sheets, kind: spreadsheet, path: tracker.csv}}
""", encoding="utf-8")
        build_directly(folder / "portfolio.yaml")
    monkeypatch.undo()
    return duckdb.connect(str(load_portfolio(folder / "portfolio.yaml").warehouse), read_only=True)


def test_the_hyperlink_to_a_jira_issue_is_a_cross_project_dependency_carrying_its_slip(published) -> None:
    links = published.execute("""
        SELECT p.source_id, p.source_key, s.source_id, s.project_id, d.link_type, d.is_cross_project
        FROM core.dependencies AS d
        JOIN core.work_items AS p ON p.work_item_id = d.predecessor_id
        JOIN core.work_items AS s ON s.work_item_id = d.successor_id""").fetchall()
    assert links == [("jira", "FIN-7", "ado", "payroll", "FS", True)]
    slip = published.execute("SELECT slip_days FROM marts.cross_project_linkages WHERE linkage_type = 'dependency' "
                             "AND project_id_a = 'fin' AND project_id_b = 'payroll'").fetchone()
    # Finish-to-start: the story may start the working day after 20 March, Monday 23 March; planned
    # for Monday 16 March, that is the working days from the 16th up to the 23rd.
    assert slip == (int(np.busday_count(PAYROLL_START, "2026-03-23")),) == (5,)


def test_one_person_is_one_resource_across_the_three_sources(published) -> None:
    identities = published.execute(
        "SELECT source_id, resource_id FROM core.resource_identities ORDER BY source_id").fetchall()
    assert identities == [("ado", "priya.shah@example.com"), ("jira", "priya.shah@example.com"),
                          ("sheets", "priya.shah@example.com")]
    assert published.execute("SELECT count(*) FROM core.resources").fetchone()[0] == 1
