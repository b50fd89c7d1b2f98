"""The spreadsheet connector passes the connector contract on a CSV tracker, a CSV risk log, a RAID
log and a contact sheet (skipped, with a note)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import SourceSpec
from connectors.spreadsheet import SpreadsheetConnector
from sightline.testing import ConnectorContract

TRACKER = (
    "ID,Task,Status,Start,Finish,% Complete,Owner,Email,Work (h),Predecessors\n"
    "1,Design,Done,2026-01-05,2026-01-16,100%,Ann Lee,ann@example.com,40,\n"
    "2,Build,In progress,2026-01-19,2026-02-27,50%,Bo Chen,,80,1\n"
)
RISKS = "ID,Risk,Probability,Impact,Owner,Status\nR1,Vendor late,High,4,Ann Lee,Open\n"
STATUS = "Project,RAG,Date\ntracker,Green,2026-01-16\n"  # a status register: no task-name column
RAID = ("ID,Type,Description,Impact,Status,Depends on,Affects\nI1,Issue,Server down,High,Open,,\n"
        "A1,Assumption,Budget holds,,Open,,\nD1,Dependency,Design first,,Open,1,2\n")
CONTACTS = "Name,Email,Phone\nAnn Lee,ann@example.com,+44 20 7946 0001\n"  # not a plan: a source note
BAD_ROW = "3,Test,To do,2026-03-02,not a date,0%,Bo Chen,,8,2\n"  # its Finish cannot be read


def tracker(folder: Path, extra: str = "") -> SourceSpec:
    (folder / "tracker.csv").write_text(TRACKER + extra, encoding="utf-8")
    (folder / "risks.csv").write_text(RISKS, encoding="utf-8")
    (folder / "status.csv").write_text(STATUS, encoding="utf-8")
    (folder / "raid.csv").write_text(RAID, encoding="utf-8")
    (folder / "contacts.csv").write_text(CONTACTS, encoding="utf-8")
    return SourceSpec(id="sheets", kind="spreadsheet", options={"path": "*.csv"}, base_dir=folder)


class TestSpreadsheetContract(ConnectorContract):
    connector = SpreadsheetConnector

    @pytest.fixture
    def source(self, tmp_path: Path) -> SourceSpec:
        return tracker(tmp_path)

    @pytest.fixture
    def bad_source(self, tmp_path: Path) -> SourceSpec:
        folder = tmp_path / "bad"
        folder.mkdir()
        return tracker(folder, BAD_ROW)
