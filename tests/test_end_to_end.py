"""The sample portfolio end to end through Dagster (dg.materialize), checked against an independent
computation from the generator's own data."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml
from generate_sample import build_raid_log, build_risks, build_sample

from pipelines.build import build_definitions
from pipelines.config import load_portfolio
from pipelines.resources import SightlineWarehouse

CORE_TABLES = ["programs", "projects", "work_items", "dependencies", "resources", "assignments", "risks",
               "status_changes", "objectives", "project_objectives"]
MART_TABLES = ["project_health", "program_rollup", "strategy_alignment", "data_quality"]
LEVELS = {"low": 2, "medium": 3, "high": 4, "very high": 5,  # the documented 1-5 scales
          "unlikely": 2, "major": 4}


def materialize(config: Path) -> dg.ExecuteInProcessResult:
    defs = build_definitions(load_portfolio(config))
    assets = list(defs.assets or [])
    checks = list(defs.asset_checks or [])
    return dg.materialize(
        [*assets, *checks], resources={"sightline": SightlineWarehouse(config_path=str(config))},
        raise_on_error=False,
    )


@pytest.fixture
def published(sample_published: Path) -> Path:
    """The sample synced once per session (conftest), read-only."""
    return sample_published


def expected_rollup(config: Path) -> dict[str, dict[str, float]]:
    """Program measures computed straight from the generator's tasks and the config file."""
    raw = yaml.safe_load(config.read_text())
    as_of = dt.date.fromisoformat(str(raw["as_of"]))
    program_of = {p["id"]: program["id"] for program in raw["programs"] for p in program["projects"]}
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for plan in build_sample():
        program = program_of.get(plan.project_id, "unassigned")
        for task in plan.tasks:
            if task.bad_cell:  # quarantined, counted nowhere
                continue
            s = sums[program]
            is_open = task.canonical not in ("done", "cancelled")
            s["items_total"] += 1
            s[f"items_{task.canonical}"] += 1
            s["in_scope"] += task.canonical != "cancelled"
            s["work"] += task.work_hours or 0
            s["earned"] += (task.work_hours or 0) * task.percent / 100
            s["overdue_items"] += is_open and task.finish < as_of
            s["milestones_total"] += task.milestone
            s["milestones_late"] += task.milestone and is_open and task.finish < as_of
            s["planned_finish"] = max(s.get("planned_finish", 0), task.finish.toordinal())
    raid_risks = [e for e in build_raid_log() if e.entry_type == "Risk"]  # the RAID log's risks are risks too
    for risk in [*build_risks(), *raid_risks]:
        if risk.probability.endswith("%"):  # percentages in fifths: 21-40% is level 2
            probability = math.ceil(float(risk.probability.rstrip("%")) / 20)
        else:
            probability = LEVELS.get(risk.probability.lower())
        if probability is None or risk.status.lower() == "closed":
            continue  # unreadable (quarantined) or closed
        project = {"Payroll": "payroll", "Expenses": "expenses", "Onboarding": "onboarding"}.get(risk.project, risk.project)
        s = sums[program_of[project]]
        s["open_risks"] += 1
        impact = LEVELS.get(risk.impact.lower()) or float(risk.impact)
        s["open_risks_high"] += probability * impact >= 15
    return sums


def test_every_core_and_mart_table_is_built_and_published(published: Path) -> None:
    with duckdb.connect(str(published), read_only=True) as con:
        for table in [f"core.{t}" for t in CORE_TABLES] + [f"marts.{t}" for t in MART_TABLES]:
            count = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            # Spreadsheets record no status history: changes appear from the second daily snapshot on.
            assert count > 0 or table == "core.status_changes", table


def test_program_rollup_equals_an_independent_computation(published: Path, synced_sample_dir: Path) -> None:
    expected = expected_rollup(synced_sample_dir / "portfolio.yaml")
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute("SELECT * FROM marts.program_rollup").df().set_index("program_id")
    assert set(rows.index) == {"hr-transformation", "digital-channels", "unassigned"}
    for program in ("hr-transformation", "digital-channels"):
        row, exp = rows.loc[program], expected[program]
        for column in ("items_total", "items_done", "items_blocked", "items_in_progress", "items_not_started",
                       "overdue_items", "milestones_total", "milestones_late", "open_risks", "open_risks_high"):
            assert row[column] == exp.get(column, 0), (program, column)
        assert row["pct_complete_count"] == pytest.approx(100 * exp["items_done"] / exp["in_scope"])
        assert row["pct_complete_work"] == pytest.approx(100 * exp["earned"] / exp["work"])
        assert row["pct_complete"] == pytest.approx(row["pct_complete_work"])  # work basis: estimates exist
        assert row["planned_finish"].date() == dt.date.fromordinal(int(exp["planned_finish"]))
    # The web portal's 'Needs info' is unmapped: counted in the total, in no status bucket.
    assert rows.loc["digital-channels", "items_unmapped_status"] == 1


def test_project_health_and_linkage_facts_of_the_seed_case(published: Path) -> None:
    with duckdb.connect(str(published), read_only=True) as con:
        health = con.execute("SELECT * FROM marts.project_health").df().set_index("project_id")
        cross = con.execute(
            "SELECT p.project_id, p.name, s.project_id, s.name, s.source_id FROM core.dependencies AS d "
            "JOIN core.work_items AS p ON p.work_item_id = d.predecessor_id "
            "JOIN core.work_items AS s ON s.work_item_id = d.successor_id WHERE d.is_cross_project").fetchall()
        people = con.execute("SELECT resource_id, source_ids FROM core.resources WHERE name = 'Grace Kim'").fetchall()
        quality = con.execute("SELECT check_name, object_key FROM marts.data_quality").fetchall()
        aligned = dict(con.execute("SELECT project_id, is_aligned FROM marts.strategy_alignment").fetchall())
    # Payroll's design sign-off milestone is open past its date: late, and more than 10 working days.
    assert health.loc["payroll", "milestones_late"] == 1
    assert health.loc["payroll", "rag"] == "red" and "working days late" in health.loc["payroll", "rag_reasons"]
    # The expense system's GL posting (an MS Project plan) depends on the payroll GL mapping (a
    # spreadsheet): a cross-project link across two sources.
    assert cross == [("payroll", "Payroll: General Ledger mapping", "expenses", "Expenses: GL posting interface",
                      "hr-plans")]
    # Grace Kim has no e-mail in the CRM sheet but one in the HR workbook: one resource.
    assert people == [("grace.kim@example.com", ["digital-tracker", "hr-tracker"])]
    assert ("unassigned_project", "digital-tracker:data_platform.csv") in quality
    assert ("quarantined_row", "data_platform.csv#data_platform#DAT-04") in quality
    # Onboarding has no weights in the config: its share of work tagged with an objective decides.
    onboarding = next(p for p in build_sample() if p.project_id == "onboarding").tasks
    tagged_share = sum(t.work_hours for t in onboarding if t.objectives) / sum(t.work_hours for t in onboarding)
    assert aligned["onboarding"] is (tagged_share >= 0.5)
    assert aligned["payroll"] is True and aligned["digital-tracker:data_platform.csv"] is False


def test_second_day_observes_status_changes_and_keeps_history(synced_copy: Path) -> None:
    # The first day is the session's sync (copied with its build state); the second runs here.
    config = synced_copy / "portfolio.yaml"
    config.write_text(config.read_text().replace("as_of: 2026-11-16", "as_of: 2026-11-17"))
    web = synced_copy / "sheets" / "digital" / "web_portal.csv"
    lines = web.read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if ",In Progress," in line)
    task_id = lines[row].split(",")[0]
    lines[row] = lines[row].replace(",In Progress,", ",Done,")
    web.write_text("\n".join(lines) + "\n")
    assert materialize(config).success
    with duckdb.connect(str(synced_copy / "var" / "sightline.duckdb"), read_only=True) as con:
        changes = con.execute("SELECT work_item_id, changed_at, from_status, to_status, observed_by "
                              "FROM core.status_changes").fetchall()
        days = con.execute("SELECT DISTINCT snapshot_date FROM history.project_health_snapshots ORDER BY 1").fetchall()
    assert changes == [(f"digital-tracker:web_portal.csv#web_portal#{task_id}", dt.datetime(2026, 11, 17),
                        "in_progress", "done", "snapshot")]
    assert days == [(dt.date(2026, 11, 16),), (dt.date(2026, 11, 17),)]


def test_definitions_graph_schedule_and_checks(sample_dir: Path) -> None:
    defs = build_definitions(load_portfolio(sample_dir / "portfolio.yaml"))
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"raw/hr-tracker", "raw/digital-tracker", "staging/spreadsheet", "core/work_items",
            "marts/program_rollup", "published/warehouse"} <= keys
    parents = {k.to_user_string() for k in graph.get(dg.AssetKey(["core", "work_items"])).parent_keys}
    assert parents == {"core/projects", "core/resource_identities", "staging/canonical", "config/portfolio"}
    schedule = defs.resolve_schedule_def("nightly_sync")
    assert schedule.cron_schedule == "0 2 * * *" and schedule.execution_timezone == "Europe/London"
    checks = list(defs.asset_checks or [])
    specs = [spec for check in checks for spec in check.check_specs]
    assert all(spec.blocking for spec in specs)
    assert {s.name for s in specs if s.asset_key == dg.AssetKey(["core", "work_items"])} >= {
        "unique_key", "references_project_id", "references_assignee_id"}
    pools = {asset.op.pool for asset in defs.assets if not isinstance(asset, dg.AssetChecksDefinition)}
    assert pools == {"sightline_duckdb"}  # one writer of the build file
