"""The Dagster resource around the warehouse: the loaded portfolio, and one build-file connection per run.

Each step used to open the build file and re-create schemas, macros and raw tables; with ~60 steps
that was half a sync. Now the portfolio is read once per process, and the build file is opened and
prepared once, on first use in a run, and closed when the run's resources are torn down. The
in-process executor runs every step in one process, so every step and check shares that connection.

The resource also holds the writer lock (``pipelines/writer_lock.py``) for the whole run: a run
launched by the schedule, a sensor or the UI waits for any other writer before its first step.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from connectors.registry import connector_class
from pipelines.config import Portfolio, load_portfolio
from pipelines.extract import ParallelExtracts
from pipelines.writer_lock import DEFAULT_WAIT_SECONDS, Holder, WriterLock, WriterLockTimeout, waiting_line
from warehouse import db

#: Every asset that writes the build file runs in this pool; give it a limit of 1 in dagster.yaml
#: (``sightline ui`` does) so only one process ever writes it.
DUCKDB_POOL = "sightline_duckdb"
#: Sources extracted at once in a run (threads: extraction waits on servers and parsers).
EXTRACT_WORKERS = 4


def prepare_build(con: duckdb.DuckDBPyConnection, portfolio: Portfolio) -> None:
    """Schemas, macros, bookkeeping and every configured kind's raw tables in the build file."""
    kinds = {s.kind for s in portfolio.sources}
    db.prepare(con, {kind: dict(connector_class(kind).raw_schemas) for kind in kinds})


class SightlineWarehouse(dg.ConfigurableResource):
    """The portfolio config and the DuckDB files it names."""

    config_path: str
    writer_wait_seconds: float = DEFAULT_WAIT_SECONDS  # how long a run waits for another writer to finish

    _portfolio: Portfolio | None = PrivateAttr(default=None)
    _con: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)
    _lock: WriterLock | None = PrivateAttr(default=None)
    _failed_sources: dict[str, str] = PrivateAttr(default_factory=dict)
    _extracts: ParallelExtracts | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._portfolio = load_portfolio(self.config_path)
        self._failed_sources = {}
        self._take_writer_lock(context)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._extracts is not None:  # before the lock goes: no extract may outlive the run
            self._extracts.close()
            self._extracts = None
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _take_writer_lock(self, context: dg.InitResourceContext) -> None:
        lock = WriterLock(self.portfolio.var_dir)
        run = context.run
        job = run.job_name if run else "run"

        def tell(holder: Holder | None) -> None:
            context.log.warning(waiting_line(lock.path, holder, self.writer_wait_seconds))

        try:
            lock.acquire(command=f"dagster job {job}", run_id=run.run_id if run else None,
                         wait_seconds=self.writer_wait_seconds, on_wait=tell)
        except WriterLockTimeout as exc:
            # Failing here, before any step, leaves the build file and the published file untouched.
            raise dg.Failure(description=str(exc)) from None
        self._lock = lock

    def note_source_failure(self, source_id: str, error: str) -> None:
        """Remember a source that failed in this run: publishing goes ahead, then the run is failed."""
        self._failed_sources[source_id] = error

    @property
    def failed_sources(self) -> dict[str, str]:
        return dict(self._failed_sources)

    @property
    def extracts(self) -> ParallelExtracts:
        """The run's extracts running ahead of their steps (see ``pipelines.assets.extract_asset``)."""
        if self._extracts is None:
            self._extracts = ParallelExtracts(self.landing_dir, workers=EXTRACT_WORKERS,
                                              other_sources=self.portfolio.sources)
        return self._extracts

    @property
    def portfolio(self) -> Portfolio:
        if self._portfolio is None:  # used outside a run (run_sync's report): read it once here
            self._portfolio = load_portfolio(self.config_path)
        return self._portfolio

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
        """The run's connection to the private build file, prepared on first use and kept open.

        A step that fails inside a transaction must not leave it open for the next step.
        """
        if self._con is None:
            con = db.open_connection(self.build_path)
            try:
                prepare_build(con, self.portfolio)
            except Exception:
                con.close()
                raise
            self._con = con
        try:
            yield self._con
        except Exception:
            _rollback_open_transaction(self._con)
            raise


def _rollback_open_transaction(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # no transaction open: nothing to undo
        con.execute("ROLLBACK")
