"""The drop-folder sensors of file sources: a run when a file is added or changed, not before."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from connectors.jira import JiraConnector
from pipelines.build import build_definitions
from pipelines.config import load_portfolio


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """One instance for every tick (each new one costs a fresh storage): the sensor's state is its cursor."""
    with dg.instance_for_test() as test_instance:
        yield test_instance


def test_sensor_requests_a_run_when_a_plan_is_added_or_changed(sample_dir: Path, instance: dg.DagsterInstance) -> None:
    defs = build_definitions(load_portfolio(sample_dir / "portfolio.yaml"))
    sensor = defs.resolve_sensor_def("hr_plans_files")
    job = defs.resolve_job_def("refresh_hr_plans")
    assert sensor.job_name == "refresh_hr_plans"
    selected = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert {"raw/hr-plans", "core/work_items", "marts/program_rollup", "published/warehouse",
            "config/portfolio"} <= selected
    assert "raw/hr-tracker" not in selected  # the other sources are not reloaded

    def tick(cursor: str | None) -> dg.SensorResult:
        return sensor(dg.build_sensor_context(instance=instance, cursor=cursor))

    first = tick(None)  # the first look only records what is there
    assert not first.run_requests and set(json.loads(first.cursor)) == {"expenses.xml"}
    assert not tick(first.cursor).run_requests  # nothing changed

    plan = sample_dir / "plans" / "expenses.xml"
    os.utime(plan, ns=(plan.stat().st_atime_ns, plan.stat().st_mtime_ns + 10**9))
    assert not tick(first.cursor).run_requests  # touched, same content: no run

    plan.write_text(plan.read_text().replace("Expenses: Discovery 1", "Expenses: Discovery one"))
    changed = tick(first.cursor)
    assert len(changed.run_requests) == 1 and "expenses.xml" in changed.run_requests[0].tags["sightline/changed"]

    (sample_dir / "plans" / "travel.xml").write_text(plan.read_text())
    added = tick(changed.cursor)
    assert len(added.run_requests) == 1 and added.run_requests[0].tags["sightline/changed"] == "travel.xml"
    assert added.run_requests[0].run_key != changed.run_requests[0].run_key


def test_spreadsheet_and_jira_csv_folders_are_watched_too(sample_dir: Path, instance: dg.DagsterInstance) -> None:
    defs = build_definitions(load_portfolio(sample_dir / "portfolio.yaml"))
    for source_id in ("digital-tracker", "hr-tracker", "jira-export"):  # every file source of the sample
        assert defs.resolve_sensor_def(f"{source_id.replace('-', '_')}_files").job_name == (
            f"refresh_{source_id.replace('-', '_')}")
    sensor = defs.resolve_sensor_def("digital_tracker_files")
    assert "when a file is added or changed" in sensor.description
    assert not JiraConnector.watches_files  # a REST source has no folder to watch

    def tick(cursor: str | None) -> dg.SensorResult:
        return sensor(dg.build_sensor_context(instance=instance, cursor=cursor))

    first = tick(None)
    assert set(json.loads(first.cursor)) == {"crm_migration.csv", "data_platform.csv", "mobile_app.csv",
                                             "web_portal.csv"}
    tracker = sample_dir / "sheets" / "digital" / "mobile_app.csv"
    tracker.write_text(tracker.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    changed = tick(first.cursor)
    assert len(changed.run_requests) == 1 and changed.run_requests[0].tags["sightline/changed"] == "mobile_app.csv"
