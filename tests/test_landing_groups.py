"""LandingWriter gathers small batches into row groups of at least ``row_group_rows``."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.landing import LandingWriter


def test_small_batches_are_gathered_into_row_groups(tmp_path: Path) -> None:
    writer = LandingWriter(tmp_path, "src", "20260101T000000000000Z", row_group_rows=100)
    for start in range(0, 210, 30):  # 7 batches of 30 rows
        writer.write("issues", pa.table({"n": list(range(start, start + 30))}))
    writer.write("links", pa.record_batch({"n": [1, 2]}))
    folder = writer.commit()
    issues = pq.ParquetFile(folder / "issues.parquet")
    # 4 batches (120 rows) reach 100 and are flushed, cut at 100 (100 + 20); the last 3 (90) at
    # commit: a count not reset after a flush would flush every batch after the 4th (30-row groups)
    groups = [issues.metadata.row_group(i).num_rows for i in range(issues.metadata.num_row_groups)]
    assert groups == [100, 20, 90]
    assert issues.read().column("n").to_pylist() == list(range(210))
    assert writer.rows == {"issues": 210, "links": 2}
    assert pq.read_table(folder / "links.parquet").column("n").to_pylist() == [1, 2]
