"""The Dagster code location: ``dagster dev -m pipelines.definitions`` with SIGHTLINE_CONFIG set.

``sightline ui --config FILE`` sets it for you. The definitions are built from that portfolio.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.build import build_definitions
from pipelines.config import load_portfolio

CONFIG_ENV = "SIGHTLINE_CONFIG"

if not os.environ.get(CONFIG_ENV):
    raise RuntimeError(
        f"{CONFIG_ENV} is not set; point it at a portfolio.yaml, e.g. "
        f"{CONFIG_ENV}=examples/portfolio.yaml dagster dev -m pipelines.definitions"
    )

defs = build_definitions(load_portfolio(Path(os.environ[CONFIG_ENV])))
