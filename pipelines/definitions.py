"""The Dagster code location: ``dagster dev -m pipelines.definitions`` (or ``dg dev``).

The definitions are built lazily from the portfolio named by SIGHTLINE_CONFIG (``sightline ui
--config FILE`` sets it), else from ``./portfolio.yaml``. Without either, an empty code location
loads and says how to point it at a portfolio, rather than failing at import.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import dagster as dg

from pipelines.build import build_definitions
from pipelines.config import load_portfolio

CONFIG_ENV = "SIGHTLINE_CONFIG"
DEFAULT_CONFIG = Path("portfolio.yaml")
NO_PORTFOLIO = (
    f"No portfolio: {CONFIG_ENV} is not set and there is no ./portfolio.yaml. Point it at one, e.g. "
    f"`{CONFIG_ENV}=examples/portfolio.yaml dagster dev -m pipelines.definitions`, "
    "or run `sightline ui --config path/to/portfolio.yaml`."
)
log = logging.getLogger("sightline.definitions")


def portfolio_path() -> Path | None:
    """SIGHTLINE_CONFIG, else ./portfolio.yaml when there is one, else None."""
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return DEFAULT_CONFIG.resolve() if DEFAULT_CONFIG.is_file() else None


@dg.definitions
def defs() -> dg.Definitions:
    path = portfolio_path()
    if path is None:
        log.warning(NO_PORTFOLIO)
        return dg.Definitions(metadata={"sightline": NO_PORTFOLIO})
    return build_definitions(load_portfolio(path))
