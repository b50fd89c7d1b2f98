"""The portfolio's persistent Dagster instance, shared by `sightline sync`, `sightline ui` and their runs.

Kept free of Dagster imports: the CLI imports it before it knows whether it needs Dagster.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.config import Portfolio

DAGSTER_YAML = """\
# Written by sightline. One run at a time writes the DuckDB build file; the writer lock
# (.sightline/writer.lock) also keeps `sightline sync` and these runs apart.
concurrency:
  pools:
    granularity: run
    default_limit: 1
telemetry:
  enabled: false
"""


def instance_home(portfolio: Portfolio) -> Path:
    """``<warehouse folder>/.sightline/dagster`` with its dagster.yaml (a user's own is left alone)."""
    home = portfolio.var_dir / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "dagster.yaml"
    if not settings.exists():  # written aside and renamed: a concurrent reader never sees half of it
        partial = home / f".dagster.yaml.{os.getpid()}"
        partial.write_text(DAGSTER_YAML, encoding="utf-8")
        os.replace(partial, settings)
    return home
