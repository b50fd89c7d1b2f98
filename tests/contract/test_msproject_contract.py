"""The MS Project connector passes the connector contract on MSPDI plans written by the sample generator."""

from __future__ import annotations

from pathlib import Path

import pytest
from generate_sample import ProjectPlan, build_sample, write_mspdi

from connectors.base import SourceSpec
from connectors.msproject import MsProjectConnector
from sightline.testing import ConnectorContract


def sample_plan() -> ProjectPlan:
    return next(plan for plan in build_sample() if plan.file == "expenses.xml")


def plans(folder: Path) -> SourceSpec:
    plan = sample_plan()
    write_mspdi(folder / "expenses.xml", plan, "New expense system")
    write_mspdi(folder / "pilot.xml", ProjectPlan(plan.project_id, plan.source, "pilot.xml", None, plan.tasks[:3]),
                "Expenses pilot")
    return SourceSpec(id="plans", kind="msproject", options={"path": "*.xml", "attributes": {"systems": "System"}},
                      base_dir=folder)


class TestMsProjectContract(ConnectorContract):
    connector = MsProjectConnector
    # The fixture plans map no custom field as reported_status, and their calendar is Monday-Friday.
    empty_streams = ("status_reports", "calendar_days")

    @pytest.fixture
    def source(self, tmp_path: Path) -> SourceSpec:
        return plans(tmp_path)

    @pytest.fixture
    def bad_source(self, tmp_path: Path) -> SourceSpec:
        folder = tmp_path / "bad"
        folder.mkdir()
        spec = plans(folder)
        text = (folder / "pilot.xml").read_text(encoding="utf-8")
        (folder / "pilot.xml").write_text(text[: len(text) // 2], encoding="utf-8")  # a plan cut off halfway
        return spec

    def change_source(self, source: SourceSpec) -> None:
        """One plan loses its last task, the other leaves the folder."""
        plan = sample_plan()
        plan.tasks = plan.tasks[:-1]
        write_mspdi(source.base_dir / "expenses.xml", plan, "New expense system")
        (source.base_dir / "pilot.xml").unlink()
