"""One source's load: connector -> landing Parquet -> raw tables, keeping the last good data on failure."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

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
    logger = logger or log
    cls = connector_class(source.kind)
    load_id = new_load_id()
    writer = LandingWriter(landing_root, source.id, load_id)
    saved = previous_state(con, source.id)
    context = ExtractContext(log=logger, previous_state=None if full_refresh else saved, kept_state=saved)
    try:
        for batch in cls(source).extract(context):
            writer.write(batch.table, batch.data)
        landing_dir = writer.commit()
    except Exception as exc:  # the source failed; keep its last good data
        writer.abort()
        reason = redact_sources(_one_line(exc), [source, *other_sources])  # before it is stored anywhere
        record_failure(con, source.id, source.kind, reason)
        return LoadOutcome(source.id, source.kind, False, load_id, error=reason)
    load = Load(
        kind=source.kind, source_id=source.id, load_id=load_id, directory=landing_dir, tables=tuple(cls.raw_schemas),
        incremental=context.incremental, merge_key=cls.merge_key, primary_table=cls.primary_table,
        state=context.state,
    )
    rows = apply_load(con, load)
    prune(landing_root, source.id, retention_days)
    return LoadOutcome(source.id, source.kind, True, load_id, rows=rows, landing_dir=landing_dir)


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if type(exc).__name__ == "SourceError" else f"{type(exc).__name__}: {text}"
