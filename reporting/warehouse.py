"""Read-only access to the published warehouse, and the two snapshot days every comparison uses."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

RAG_RANK = {"red": 3, "amber": 2, "green": 1, "unknown": 0}


class ReportError(Exception):
    """The report cannot be written: the message says what is missing and what to do."""


@dataclass(frozen=True)
class Snapshots:
    """``as_of`` of the run that built the warehouse; ``latest`` the newest health snapshot; ``previous``
    the newest one at least seven days older ("last week"), else the newest older one, else None."""

    as_of: dt.date
    latest: dt.date | None
    previous: dt.date | None


@contextlib.contextmanager
def open_warehouse(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The published file, read-only: a report never changes what BI tools read."""
    if not path.exists():
        raise ReportError(f"no published warehouse at {path}; run `sightline sync` first")
    with duckdb.connect(str(path), read_only=True) as con:
        yield con


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Each row as a dict of column -> value."""
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def snapshots(con: duckdb.DuckDBPyConnection) -> Snapshots:
    as_of = con.execute("SELECT as_of FROM meta.run").fetchone()[0]
    latest, previous, older = con.execute(
        "WITH d AS (SELECT DISTINCT snapshot_date AS day FROM history.project_health_snapshots), "
        "l AS (SELECT max(day) AS latest FROM d) "
        "SELECT l.latest, (SELECT max(day) FROM d WHERE day <= l.latest - 7), "
        "(SELECT max(day) FROM d WHERE day < l.latest) FROM l"
    ).fetchone()
    return Snapshots(as_of=as_of, latest=latest, previous=previous or older)


def slug(key: str) -> str:
    """A file-name-safe, collision-free name for a project or person id (ids hold ':', '.', '@' and '/')."""
    import hashlib
    import re

    readable = re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-")[:60] or "x"
    return f"{readable}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:6]}"


def project_href(project_id: str, anchor: str = "") -> str:
    """The project's page, relative to the report folder."""
    return f"projects/{slug(project_id)}.html" + (f"#{anchor}" if anchor else "")
