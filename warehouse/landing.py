"""Landing zone: every load of every source as immutable Parquet files, kept N days.

Layout: ``<landing>/<source id>/<load id>/<raw table>.parquet``. A load is written into a hidden
``.<load id>.partial`` folder and renamed into place only when the extract finished, so a landing
folder is always a complete load, and a load can be replayed into the warehouse.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def new_load_id(now: dt.datetime | None = None) -> str:
    """Sortable, unique enough for one writer: 20260115T020000123456Z."""
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ")


class LandingWriter:
    """Streams batches into one Parquet file per raw table for a single load."""

    def __init__(self, root: Path, source_id: str, load_id: str):
        self.final_dir = root / source_id / load_id
        self.partial_dir = root / source_id / f".{load_id}.partial"
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        self._writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = {}

    def write(self, table: str, data: pa.Table | pa.RecordBatch) -> None:
        if table not in self._writers:
            self._writers[table] = pq.ParquetWriter(self.partial_dir / f"{table}.parquet", data.schema)
            self.rows[table] = 0
        if isinstance(data, pa.RecordBatch):
            data = pa.Table.from_batches([data])
        self._writers[table].write_table(data)
        self.rows[table] += data.num_rows

    def commit(self) -> Path:
        self._close()
        self.partial_dir.rename(self.final_dir)
        return self.final_dir

    def abort(self) -> None:
        self._close()
        shutil.rmtree(self.partial_dir, ignore_errors=True)

    def _close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()


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
