"""The Dagster resource around the warehouse: where the build, landing and published files live."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import dagster as dg
import duckdb

from connectors.registry import connector_class
from pipelines.config import Portfolio, load_portfolio
from warehouse import db

#: Every asset that writes the build file runs in this pool; give it a limit of 1 in dagster.yaml
#: (``sightline ui`` does) so only one process ever writes it.
DUCKDB_POOL = "sightline_duckdb"


@lru_cache(maxsize=8)
def _portfolio(path: str, mtime_ns: int) -> Portfolio:  # mtime in the key: an edited config is re-read
    return load_portfolio(path)


class SightlineWarehouse(dg.ConfigurableResource):
    """The portfolio config and the DuckDB files it names."""

    config_path: str
    full_refresh: bool = False  # reload incremental sources whole (sightline sync --full-refresh)

    @property
    def portfolio(self) -> Portfolio:
        return _portfolio(self.config_path, Path(self.config_path).stat().st_mtime_ns)

    @property
    def build_path(self) -> Path:
        return self.portfolio.var_dir / "build.duckdb"

    @property
    def landing_dir(self) -> Path:
        return self.portfolio.var_dir / "landing"

    @property
    def published_path(self) -> Path:
        return self.portfolio.warehouse

    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the private build file, with schemas, macros and raw tables in place."""
        with db.connect(self.build_path) as con:
            kinds = {s.kind for s in self.portfolio.sources}
            db.prepare(con, {kind: dict(connector_class(kind).raw_schemas) for kind in kinds})
            yield con
