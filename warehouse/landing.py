"""Landing zone: every load of every source as immutable Parquet files, kept N days.

Layout: ``<landing>/<source id>/<load id>/<raw table>.parquet``. A load is written into a hidden
``.<load id>.partial`` folder and renamed into place only when the extract finished, so a landing
folder is always a complete load, and a load can be replayed into the warehouse.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def new_load_id(now: dt.datetime | None = None) -> str:
    """Sortable, unique enough for one writer: 20260115T020000123456Z."""
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ")


ROW_GROUP_ROWS = 10_000


class LandingWriter:
    """Streams batches into one Parquet file per raw table for a single load.

    Small batches (an API page of 50 issues) are gathered into row groups of ``ROW_GROUP_ROWS``:
    memory stays bounded by one row group per table, and the file does not accumulate metadata
    for thousands of tiny row groups as the source grows.
    """

    def __init__(self, root: Path, source_id: str, load_id: str, row_group_rows: int = ROW_GROUP_ROWS):
        self.final_dir = root / source_id / load_id
        self.partial_dir = root / source_id / f".{load_id}.partial"
        remove_partials(root, source_id)  # a killed run's half-written load is never replayed
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        self.row_group_rows = row_group_rows
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._pending: dict[str, list[pa.Table]] = {}
        self._pending_rows: dict[str, int] = {}  # kept, not summed per write (200 pages a row group)
        self.rows: dict[str, int] = {}

    def write(self, table: str, data: pa.Table | pa.RecordBatch) -> None:
        if table not in self._writers:
            self._writers[table] = pq.ParquetWriter(self.partial_dir / f"{table}.parquet", data.schema)
            self._pending[table] = []
            self._pending_rows[table] = 0
            self.rows[table] = 0
        if isinstance(data, pa.RecordBatch):
            data = pa.Table.from_batches([data])
        self._pending[table].append(data)
        self.rows[table] += data.num_rows
        self._pending_rows[table] += data.num_rows
        if self._pending_rows[table] >= self.row_group_rows:
            self._flush(table)

    def _flush(self, table: str) -> None:
        if self._pending[table]:
            self._writers[table].write_table(pa.concat_tables(self._pending[table]), row_group_size=self.row_group_rows)
            self._pending[table] = []
            self._pending_rows[table] = 0

    def commit(self) -> Path:
        for table in self._writers:
            self._flush(table)
        self._close()
        self.partial_dir.rename(self.final_dir)
        fsync_directory(self.final_dir.parent)
        return self.final_dir

    def abort(self) -> None:
        self._close()
        shutil.rmtree(self.partial_dir, ignore_errors=True)

    def _close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        self._pending.clear()


def remove_partials(root: Path, source_id: str) -> list[Path]:
    """Delete ``.<load id>.partial`` folders a killed extract left behind (one writer per source)."""
    folder = root / source_id
    if not folder.is_dir():
        return []
    leftovers = [p for p in folder.glob(".*.partial") if p.is_dir()]
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)
    return leftovers


def fsync_directory(folder: Path) -> None:
    """Make a rename inside ``folder`` durable: without it a power cut can bring the old entry back."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def prune(root: Path, source_id: str, keep_days: int, now: dt.datetime | None = None) -> list[Path]:
    """Delete loads older than ``keep_days``, always keeping the newest one."""
    folder = root / source_id
    if not folder.is_dir():
        return []
    loads = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    cutoff = new_load_id((now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=keep_days))
    removed = [p for p in loads[:-1] if p.name < cutoff]
    for path in removed:
        shutil.rmtree(path)
    return removed
