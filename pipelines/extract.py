"""One source's load: connector -> landing Parquet -> raw tables, keeping the last good data on failure.

A load is two halves: :func:`extract_source` (the connector writes landing files only: no DuckDB,
safe in a thread) and :func:`land_extract` (the raw merge, on the run's one DuckDB connection).
:class:`ParallelExtracts` runs the first half of several sources at once, so a portfolio's
extracts overlap while its merges stay with the single writer; :func:`load_source` runs both in turn.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from connectors.base import QUARANTINE_TABLE, ExtractContext, SourceSpec
from connectors.http import redact_sources
from connectors.registry import connector_class
from warehouse.landing import LandingWriter, new_load_id, prune
from warehouse.raw import Load, apply_load, previous_state, record_failure

log = logging.getLogger("sightline.extract")


@dataclass
class LoadOutcome:
    source_id: str
    kind: str
    ok: bool
    load_id: str
    rows: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    landing_dir: Path | None = None

    @property
    def quarantined(self) -> int:
        return self.rows.get(QUARANTINE_TABLE, 0)


@dataclass
class Extracted:
    """One source's extract: a committed landing folder, or the one-line (redacted) reason it failed."""

    source: SourceSpec
    load_id: str
    context: ExtractContext
    landing_dir: Path | None = None
    error: str | None = None


def extract_source(
    source: SourceSpec, landing_root: Path, saved: Mapping[str, Any] | None, logger: Any = None,
    *, full_refresh: bool = False, other_sources: Iterable[SourceSpec] = (),
) -> Extracted:
    """Run the connector into a new landing folder; never raises for a failing source. Touches no
    DuckDB connection, so several run at once (``saved`` is the state the caller read; a full
    refresh ignores it as the sync cursor but still hands it over as ``kept_state``)."""
    load_id = new_load_id()
    writer = LandingWriter(landing_root, source.id, load_id)
    context = ExtractContext(log=logger or log, previous_state=None if full_refresh else saved, kept_state=saved)
    cls = connector_class(source.kind)
    try:
        for batch in cls(source).extract(context):
            writer.write(batch.table, batch.data)
        return Extracted(source, load_id, context, landing_dir=writer.commit())
    except Exception as exc:  # the source failed; the caller keeps its last good data
        writer.abort()
        reason = redact_sources(_one_line(exc), [source, *other_sources])  # before it is stored anywhere
        return Extracted(source, load_id, context, error=reason)


def land_extract(con: duckdb.DuckDBPyConnection, extracted: Extracted, landing_root: Path,
                 retention_days: int) -> LoadOutcome:
    """Bring an extract into the raw tables (or record why it failed) on the writer's connection."""
    source = extracted.source
    if extracted.error is not None or extracted.landing_dir is None:
        error = extracted.error or "the extract left no landing folder"
        record_failure(con, source.id, source.kind, error)
        return LoadOutcome(source.id, source.kind, False, extracted.load_id, error=error)
    cls = connector_class(source.kind)
    context = extracted.context
    load = Load(
        kind=source.kind, source_id=source.id, load_id=extracted.load_id, directory=extracted.landing_dir,
        tables=tuple(cls.raw_schemas), incremental=context.incremental, merge_key=cls.merge_key,
        primary_table=cls.primary_table, state=context.state,
    )
    rows = apply_load(con, load)
    prune(landing_root, source.id, retention_days)
    return LoadOutcome(source.id, source.kind, True, extracted.load_id, rows=rows, landing_dir=extracted.landing_dir)


def load_source(
    con: duckdb.DuckDBPyConnection, source: SourceSpec, landing_root: Path, retention_days: int,
    logger: logging.Logger | None = None, *, full_refresh: bool = False, other_sources: Iterable[SourceSpec] = (),
) -> LoadOutcome:
    """Extract one source into a new landing folder and bring it into the raw tables.

    Any failure of the source (unreachable, corrupt, unexpected error in the connector) is caught:
    the source's rows from its last good load stay, and the outcome carries a one-line reason.
    ``full_refresh`` ignores the saved sync state, so an incremental connector reloads everything.
    The reason is recorded, and returned, without the secrets of this source and ``other_sources``.
    """
    extracted = extract_source(source, landing_root, previous_state(con, source.id), logger,
                               full_refresh=full_refresh, other_sources=other_sources)
    return land_extract(con, extracted, landing_root, retention_days)


class RecordedLog:
    """A logger for an extract running ahead in a thread: its lines are kept, and replayed into the
    log of the step that lands it, so each line shows under its own source's step."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)

    def replay(self, logger: Any) -> None:
        for line in self.lines:
            logger.info(line)


class ParallelExtracts:
    """Extracts of several sources at once, in threads: extraction waits on the network and on
    parsers and writes only landing files, so the portfolio's extracts overlap, while each raw
    merge stays with the caller (the single DuckDB writer), in whatever order the steps run.

    A source that fails fails alone (its :class:`Extracted` carries the reason)."""

    def __init__(self, landing_root: Path, *, workers: int = 4, other_sources: Iterable[SourceSpec] = ()):
        self.landing_root = landing_root
        self.other_sources = list(other_sources)
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="sightline-extract")
        self._running: dict[str, tuple[Future[Extracted], RecordedLog]] = {}

    def start(self, source: SourceSpec, saved: Mapping[str, Any] | None, *, full_refresh: bool = False) -> None:
        """Begin ``source``'s extract unless it is already running or done."""
        if source.id not in self._running:
            recorded = RecordedLog()
            future = self._pool.submit(extract_source, source, self.landing_root, saved, recorded,
                                       full_refresh=full_refresh, other_sources=self.other_sources)
            self._running[source.id] = (future, recorded)

    def started(self, source_id: str) -> bool:
        return source_id in self._running

    def result(self, source_id: str, logger: Any = None) -> Extracted:
        """Wait for a started extract; its log lines go to ``logger``. Each result is handed out once."""
        future, recorded = self._running.pop(source_id)
        extracted = future.result()
        if logger is not None:
            recorded.replay(logger)
        return extracted

    def close(self) -> None:
        """Cancel extracts not begun; wait for those running (their landing folders must be complete,
        or aborted, before the writer lock goes)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if type(exc).__name__ == "SourceError" else f"{type(exc).__name__}: {text}"
