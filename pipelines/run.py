"""Run the whole pipeline once, in-process, and summarise what happened.

The run is recorded in the portfolio's persistent Dagster instance (the one `sightline ui` uses),
so it appears in the UI's run list, and it holds the writer lock from start to summary.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import sqlite3
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import sqlalchemy
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS

from connectors.base import QUARANTINE_TABLE
from connectors.http import redact_sources
from pipelines.assets import SOURCES_FAILED, source_key
from pipelines.build import SYNC_JOB, build_definitions, full_refresh_run_config
from pipelines.config import Portfolio
from pipelines.instance import instance_home
from pipelines.resources import SightlineWarehouse
from pipelines.writer_lock import DEFAULT_WAIT_SECONDS, Holder, WriterLock
from warehouse.db import quote

# Dagster's own console logger is replaced: `sightline sync` prints its own progress, and Dagster's
# warnings and errors one line each (the full error, with its stack, is in the run's event log).
QUIET_RUN_CONFIG = {"loggers": {"console": {}}}
EXIT_FAILED = 1  # a source failed (kept stale), or a step or check failed
EXIT_DQ_ERRORS = 3  # published, but marts.data_quality has findings of severity 'error'
TOP_FINDINGS = 10


@dataclass
class SourceSummary:
    """One source in this run: its load, and what of it the published warehouse quarantined."""

    source_id: str
    kind: str
    status: str  # ok | failed | not run
    rows_loaded: int | None = None
    quarantined: int = 0
    dq_errors: int = 0
    dq_warnings: int = 0
    error: str | None = None


@dataclass
class FindingGroup:
    """Findings of one rule and severity in marts.data_quality, with one example."""

    severity: str
    check_name: str
    count: int
    example: str


@dataclass
class SyncReport:
    success: bool
    published: Path
    published_this_run: bool
    run_id: str = ""
    failed_sources: dict[str, str] = field(default_factory=dict)
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    table_rows: dict[str, int] = field(default_factory=dict)
    sources: list[SourceSummary] = field(default_factory=list)
    findings: list[FindingGroup] = field(default_factory=list)
    dq_errors: int = 0
    dq_warnings: int = 0

    def exit_code(self, dq_errors_exit: int = EXIT_DQ_ERRORS) -> int:
        """0 fresh and clean; 1 a source, step or check failed; ``dq_errors_exit`` published with DQ errors."""
        if not self.success:
            return EXIT_FAILED
        return dq_errors_exit if self.dq_errors else 0


class _OneLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage().split("\n\nStack Trace:")[0]
        return f"  {self.formatTime(record, '%H:%M:%S')}  {record.levelname}: {' '.join(message.split())}"


@dg.logger(description="Warnings and errors, one line each, on stderr; the full errors are in the event log.")
def one_line_console(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.Logger("sightline.dagster", level=logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter())
    logger.addHandler(handler)
    return logger


class _RunHistoryTuning:
    """Dagster's SQLite run history opens a connection per event and commits it with an fsync; the
    close of the last connection to a file also checkpoints its WAL, with another fsync. ~1000 events
    a sync made the sample's sync 3x slower than with an in-memory instance. For the length of a
    sync, commits use synchronous=NORMAL (SQLite's advice for WAL: the database stays consistent, a
    power cut can lose only the last events of the run history - never the warehouse, which DuckDB
    writes), and one idle connection per file stays open so a close is never the last one."""

    def __init__(self) -> None:
        self.keepers: dict[str, sqlite3.Connection] = {}

    def on_connect(self, dbapi_connection: object, _record: object) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")
        path = dbapi_connection.execute("PRAGMA database_list").fetchone()[2]
        if not path:
            return
        if path not in self.keepers:
            self.keepers[path] = sqlite3.connect(path, timeout=0, check_same_thread=False)
        # A connection joins a WAL database (and so counts as open) only once it has read from it,
        # and a new file turns to WAL only after Dagster created it: read each time, it is cheap.
        with contextlib.suppress(sqlite3.Error):  # busy being created by another connection: next time
            self.keepers[path].execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        sqlalchemy.event.listen(sqlalchemy.engine.Engine, "connect", self.on_connect)
        try:
            yield
        finally:
            sqlalchemy.event.remove(sqlalchemy.engine.Engine, "connect", self.on_connect)
            for keeper in self.keepers.values():
                keeper.close()


@contextlib.contextmanager
def _reused_event_log_engines(instance: dg.DagsterInstance) -> Iterator[None]:
    """Dagster's SQLite event log builds a new SQLAlchemy engine, and opens a new connection, for each
    of its ~2,500 reads and writes a sync; a new engine has an empty statement cache, so every
    statement was compiled again (half of Dagster's CPU time on the sample). For this run, each
    history file keeps one engine with one connection, and whether a table exists (asked ~120 times, on
    a new engine each) is asked once: no table appears or goes during a run. Dagster's own lock
    serialises their use; the storage is put back as it was when the run ends. A user's own event log
    storage is left alone."""
    storage = instance.event_log_storage
    if type(storage) is not SqliteEventLogStorage or not all(
        hasattr(storage, name) for name in ("_connect", "_db_lock", "_initialized_dbs", "_initdb", "conn_string_for_shard")
    ):  # another storage, or a Dagster whose internals moved: run as Dagster ships it
        yield
        return
    engines: dict[str, sqlalchemy.Engine] = {}

    @contextlib.contextmanager
    def connect(shard: str) -> Iterator[sqlalchemy.Connection]:
        with storage._db_lock:
            url = storage.conn_string_for_shard(shard)
            if url not in engines:
                engines[url] = sqlalchemy.create_engine(
                    url, poolclass=sqlalchemy.pool.StaticPool,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
            if shard not in storage._initialized_dbs:
                storage._initdb(engines[url])
                storage._initialized_dbs.add(shard)
            with engines[url].connect() as conn, conn.begin():
                yield conn

    storage._connect = connect  # this object only; the class stays Dagster's
    storage.has_table = functools.cache(storage.has_table)
    try:
        yield
    finally:
        del storage._connect, storage.has_table
        for engine in engines.values():
            engine.dispose()


def run_sync(
    portfolio: Portfolio, *, full_refresh: bool = False, wait_seconds: float = DEFAULT_WAIT_SECONDS,
    on_wait: Callable[[Holder | None], None] | None = None,
) -> SyncReport:
    """One sync as the only writer; raises WriterLockTimeout when another writer holds on longer
    than ``wait_seconds`` (nothing is written then)."""
    run_id = str(uuid.uuid4())  # a Dagster run id, known before the run so the lock record can name it
    lock = WriterLock(portfolio.var_dir)
    lock.acquire(command=f"sightline sync --config {portfolio.path}", run_id=run_id,
                 wait_seconds=wait_seconds, on_wait=on_wait)
    try:
        return _run_locked(portfolio, run_id, full_refresh)
    finally:
        lock.release()


def _run_locked(portfolio: Portfolio, run_id: str, full_refresh: bool) -> SyncReport:
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    job = build_definitions(portfolio).resolve_job_def(SYNC_JOB).with_logger_defs({"console": one_line_console})
    # --full-refresh is run config of every extract asset, as the launchpad would set it for one source.
    run_config = {**QUIET_RUN_CONFIG, **(full_refresh_run_config(portfolio.sources) if full_refresh else {})}
    with (
        _RunHistoryTuning().active(),
        dg.DagsterInstance.from_config(str(instance_home(portfolio))) as instance,
        _reused_event_log_engines(instance),
    ):
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config,
                                        run_id=run_id, tags={"sightline/launched_by": "sightline sync"})
        events = result.all_events
    warehouse = SightlineWarehouse(config_path=str(portfolio.path))
    published = warehouse.published_path
    published_this_run = published.exists() and dt.datetime.fromtimestamp(published.stat().st_mtime, dt.UTC).replace(
        tzinfo=None) >= started
    report = SyncReport(
        success=False, published=published, published_this_run=published_this_run, run_id=run_id,
        failed_steps=_failed_steps(events), failed_checks=_failed_checks(events),
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
    report.sources = _source_summaries(portfolio, events, report.failed_sources)
    if published.exists():
        with duckdb.connect(str(published), read_only=True) as con:
            report.table_rows = _table_rows(con)
            if published_this_run:
                _read_quality(con, report)
    report.success = (
        not report.failed_steps and published_this_run and not report.failed_sources and not report.failed_checks
    )
    return report


def _failed_steps(events: list[dg.DagsterEvent]) -> list[str]:
    """Failed steps, except the publish step failing the run on purpose because sources failed:
    those are reported as failed sources."""
    return [
        e.step_key for e in events
        if e.event_type == dg.DagsterEventType.STEP_FAILURE and SOURCES_FAILED not in _error_text(e)
    ]


def _error_text(event: dg.DagsterEvent) -> str:
    error = getattr(event.event_specific_data, "error", None)
    return error.to_string() if error is not None else ""


def _failed_checks(events: list[dg.DagsterEvent]) -> list[str]:
    return [
        f"{e.asset_key.to_user_string()}:{e.check_name}" + (f" ({e.description})" if e.description else "")
        for e in (ev.event_specific_data for ev in events if ev.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        if not e.passed
    ]


def _source_summaries(
    portfolio: Portfolio, events: list[dg.DagsterEvent], failed: dict[str, str]
) -> list[SourceSummary]:
    """Rows each source loaded in this run, from its extract asset's materialization metadata."""
    loaded: dict[dg.AssetKey, int] = {}
    for event in events:
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            rows = materialization.metadata.get("rows")
            if rows is not None and materialization.asset_key.path[0] == "raw":
                # The quarantine is counted apart, from the published warehouse.
                loaded[materialization.asset_key] = sum(n for t, n in rows.value.items() if t != QUARANTINE_TABLE)
    summaries = []
    for source in portfolio.sources:
        key = source_key(source)
        status = "failed" if source.id in failed else ("ok" if key in loaded else "not run")
        summaries.append(SourceSummary(source.id, source.kind, status, loaded.get(key), error=failed.get(source.id)))
    return summaries


def _table_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal ORDER BY 1, 2").fetchall()
    return {f"{s}.{t}": con.execute(f"SELECT count(*) FROM {quote(s)}.{quote(t)}").fetchone()[0] for s, t in tables}


def _read_quality(con: duckdb.DuckDBPyConnection, report: SyncReport) -> None:
    """Quarantined rows and data-quality findings per source, and the top findings, errors first."""
    by_source = {s.source_id: s for s in report.sources}
    for source_id, quarantined in con.execute(
            # Rows left out; a cell or column finding (the row loaded) is counted with the warnings.
            "SELECT source_id, count(*) FROM core.quarantine WHERE level = 'row' GROUP BY source_id").fetchall():
        if source_id in by_source:
            by_source[source_id].quarantined = quarantined
    for source_id, severity, count in con.execute(
            "SELECT source_id, severity, count(*) FROM marts.data_quality GROUP BY ALL").fetchall():
        if severity == "error":
            report.dq_errors += count
        elif severity == "warning":  # 'info' (a skipped sheet) is listed, never counted as a warning
            report.dq_warnings += count
        if source_id in by_source:
            summary = by_source[source_id]
            if severity == "error":
                summary.dq_errors += count
            elif severity == "warning":
                summary.dq_warnings += count
    rows = con.execute(
        "SELECT severity, check_name, count(*) AS n, "
        "arg_min(coalesce(source_id || ': ', '') || coalesce(object_key || ': ', '') || detail, "
        "coalesce(source_id, '') || coalesce(object_key, '')) "
        "FROM marts.data_quality GROUP BY severity, check_name "
        "ORDER BY severity = 'error' DESC, n DESC, check_name LIMIT ?",
        [TOP_FINDINGS],
    ).fetchall()
    report.findings = [FindingGroup(*row) for row in rows]
