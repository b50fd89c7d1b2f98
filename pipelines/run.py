"""Run the whole pipeline once, in-process, and summarise what happened."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from connectors.http import redact_sources
from pipelines.build import SYNC_JOB, build_definitions, full_refresh_run_config
from pipelines.config import Portfolio
from pipelines.resources import SightlineWarehouse
from warehouse.db import quote

# Dagster's own console logger is quieted to warnings: `sightline sync` prints its own progress.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class SyncReport:
    success: bool
    published: Path
    published_this_run: bool
    failed_sources: dict[str, str] = field(default_factory=dict)
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    table_rows: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 0 if self.success else 1


def run_sync(
    portfolio: Portfolio, *, full_refresh: bool = False
) -> SyncReport:
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    defs = build_definitions(portfolio)
    job = defs.resolve_job_def(SYNC_JOB)
    # --full-refresh is run config of every extract asset, as the launchpad would set it for one source.
    run_config = {**QUIET_RUN_CONFIG, **(full_refresh_run_config(portfolio.sources) if full_refresh else {})}
    with dg.DagsterInstance.ephemeral() as active:
        result = job.execute_in_process(instance=active, raise_on_error=False, run_config=run_config)
        failed_steps = [
            event.step_key for event in result.all_events if event.event_type == dg.DagsterEventType.STEP_FAILURE
        ]
        failed_checks = [
            f"{e.asset_key.to_user_string()}:{e.check_name}"
            for e in (ev.event_specific_data for ev in result.all_events
                      if ev.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION)
            if not e.passed
        ]
    warehouse = SightlineWarehouse(config_path=str(portfolio.path))
    published = warehouse.published_path
    published_this_run = published.exists() and dt.datetime.fromtimestamp(published.stat().st_mtime, dt.UTC).replace(
        tzinfo=None) >= started
    report = SyncReport(
        success=False, published=published, published_this_run=published_this_run,
        failed_steps=failed_steps, failed_checks=failed_checks,
    )
    if warehouse.build_path.exists():
        with duckdb.connect(str(warehouse.build_path), read_only=True) as con:
            report.failed_sources = {
                source_id: redact_sources(error or "", portfolio.sources) for source_id, error in con.execute(
                    "SELECT source_id, last_error FROM meta.source_state WHERE last_status <> 'ok' "
                    "AND last_attempt_at >= ? ORDER BY source_id",
                    [started],
                ).fetchall()
            }
    if published.exists():
        with duckdb.connect(str(published), read_only=True) as con:
            tables = con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal ORDER BY 1, 2").fetchall()
            report.table_rows = {
                f"{s}.{t}": con.execute(f"SELECT count(*) FROM {s}.{quote(t)}").fetchone()[0] for s, t in tables
            }
    report.success = result.success and published_this_run and not report.failed_sources and not failed_checks
    return report

