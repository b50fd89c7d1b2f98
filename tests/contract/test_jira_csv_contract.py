"""The Jira CSV export connector passes the connector contract on a small export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from connectors.base import SourceSpec
from connectors.jira import JiraCsvConnector
from sightline.testing import ConnectorContract

HEADER = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key", "Project name", "Assignee",
          "Created", "Updated", "Due Date", "Original Estimate", "Component/s", "Outward issue link (Blocks)"]
ROWS = [
    ["Post journals", "FIN-1", "501", "Story", "Done", "FIN", "Finance", "Ann Lee", "02/Jan/24 9:00 AM",
     "12/Jan/24 3:04 PM", "15/Jan/24", "28800", "General Ledger", "FIN-2"],
    ["Close the month", "FIN-2", "502", "Task", "To Do", "FIN", "Finance", "Bo Chen", "03/Jan/24 9:00 AM",
     "13/Jan/24 9:00 AM", "", "14400", "", ""],
    ["Auditor finds gaps", "FIN-4", "504", "Risk", "To Do", "FIN", "Finance", "Ann Lee", "04/Jan/24 9:00 AM",
     "14/Jan/24 9:00 AM", "", "", "", ""],
]
BAD_ROW = ["Broken", "FIN-3", "503", "Task", "To Do", "FIN", "Finance", "", "not a date", "13/Jan/24 9:00 AM",
           "", "", "", ""]


def export(folder: Path, rows: list[list[str]]) -> SourceSpec:
    with (folder / "export.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return SourceSpec(id="jira-export", kind="jira_csv", options={"path": "export.csv", "timezone": "Europe/London"},
                      base_dir=folder)


class TestJiraCsvContract(ConnectorContract):
    connector = JiraCsvConnector
    empty_streams = ("status_changes",)  # an export holds no status history

    @pytest.fixture
    def source(self, tmp_path: Path) -> SourceSpec:
        return export(tmp_path, ROWS)

    @pytest.fixture
    def bad_source(self, tmp_path: Path) -> SourceSpec:
        folder = tmp_path / "bad"
        folder.mkdir()
        return export(folder, [*ROWS, BAD_ROW])
