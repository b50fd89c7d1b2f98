"""One ``Definitions`` assembled from the portfolio config: assets, checks, job, the nightly schedule."""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from connectors.base import SourceSpec
from pipelines.assets import CONFIG_KEY, build_assets, source_key
from pipelines.checks import build_checks
from pipelines.config import Portfolio
from pipelines.resources import SightlineWarehouse
from pipelines.sensors import folder_sensor, watches_files

SYNC_JOB = "sightline_sync"


def full_refresh_run_config(sources: Iterable[SourceSpec]) -> dict:
    """Run config that reloads these sources whole: ``full_refresh`` of their extract assets, whose
    op names Dagster derives from the asset keys."""
    return {"ops": {source_key(s).to_python_identifier(): {"config": {"full_refresh": True}} for s in sources}}


def build_definitions(portfolio: Portfolio) -> dg.Definitions:
    assets = build_assets(portfolio)
    sync_job = dg.define_asset_job(SYNC_JOB, selection=dg.AssetSelection.all(), description="Full portfolio sync.")
    nightly = dg.ScheduleDefinition(
        name="nightly_sync",
        job=sync_job,
        cron_schedule=portfolio.schedule,
        execution_timezone=portfolio.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Nightly sync of {portfolio.path.name} at '{portfolio.schedule}' ({portfolio.timezone}).",
    )
    refresh_jobs, sensors = [], []
    for source in portfolio.sources:
        if watches_files(source):
            job = dg.define_asset_job(
                f"refresh_{source.id.replace('-', '_')}",
                selection=dg.AssetSelection.assets(dg.AssetKey(["raw", source.id])).downstream()
                | dg.AssetSelection.assets(CONFIG_KEY),  # "today" and the config tables, for the rollups
                description=f"Reload {source.id} and everything built from it.",
            )
            refresh_jobs.append(job)
            sensors.append(folder_sensor(source, job))
    return dg.Definitions(
        assets=assets,
        asset_checks=build_checks(),
        jobs=[sync_job, *refresh_jobs],
        schedules=[nightly],
        sensors=sensors,
        resources={"sightline": SightlineWarehouse(config_path=str(portfolio.path))},
        # One process writes the build file: run every step in the run's own process.
        executor=dg.in_process_executor,
    )
