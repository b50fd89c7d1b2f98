"""Benchmark runner: prints figures and ratios; asserts nothing.

    python benchmarks/run.py spreadsheet [--rows 100000]

For each size (N/4 and N) and format (CSV, XLSX), a fresh subprocess generates the tracker,
extracts and loads it into a DuckDB build file (connector -> landing Parquet -> raw -> staging),
and reports wall time, rows/s and peak RSS. Then one full `sightline sync` runs on the N-row CSV.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure_load(fmt: str, rows: int) -> dict:
    """Runs in the subprocess: generate, then time extract+load+staging."""
    import resource

    import duckdb

    sys.path.insert(0, str(HERE))
    from generate_trackers import write_csv, write_xlsx

    from connectors.base import SourceSpec
    from connectors.spreadsheet import SpreadsheetConnector
    from pipelines.extract import load_source
    from warehouse import db
    from warehouse.models import build_kind_staging

    folder = Path(tempfile.mkdtemp(prefix="sightline-bench-"))
    path = (write_csv if fmt == "csv" else write_xlsx)(folder / f"tracker.{fmt}", rows)
    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    spec = SourceSpec(id="bench", kind="spreadsheet", options={"path": path.name}, base_dir=folder)
    con = duckdb.connect(str(folder / "build.duckdb"))
    db.prepare(con, {"spreadsheet": dict(SpreadsheetConnector.raw_schemas)})
    started = time.perf_counter()
    outcome = load_source(con, spec, folder / "landing", retention_days=1)
    build_kind_staging(con, "spreadsheet", SpreadsheetConnector.staging_sql_dir())
    staged = con.execute("SELECT count(*) FROM staging.spreadsheet__work_items").fetchone()[0]
    seconds = time.perf_counter() - started
    return {
        "format": fmt, "rows": rows, "loaded": staged, "ok": outcome.ok, "seconds": round(seconds, 3),
        "rows_per_s": round(staged / seconds), "file_mb": round(path.stat().st_size / 1e6, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "generator_rss_mb": round(baseline_rss / 1024),
    }


def full_sync(rows: int) -> dict:
    sys.path.insert(0, str(HERE))
    from generate_trackers import write_csv

    folder = Path(tempfile.mkdtemp(prefix="sightline-bench-sync-"))
    (folder / "sheets").mkdir()
    write_csv(folder / "sheets" / "tracker.csv", rows)
    (folder / "portfolio.yaml").write_text(
        "warehouse: var/w.duckdb\nprograms: []\nsources:\n  - {id: big, kind: spreadsheet, path: sheets/*.csv}\n"
    )
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pipelines.cli", "sync", "--config", str(folder / "portfolio.yaml")],
                            capture_output=True, text=True)
    return {"rows": rows, "exit": result.returncode, "seconds": round(time.perf_counter() - started, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["spreadsheet"])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        fmt, rows = args.child.split(":")
        print(json.dumps(measure_load(fmt, int(rows))))
        return

    results = []
    for fmt in ("csv", "xlsx"):
        for rows in (args.rows // 4, args.rows):
            out = subprocess.run([sys.executable, __file__, "spreadsheet", "--child", f"{fmt}:{rows}"],
                                 capture_output=True, text=True, check=True)
            results.append(json.loads(out.stdout))
    print(f"{'format':<6} {'rows':>9} {'loaded':>9} {'seconds':>8} {'rows/s':>9} {'file MB':>8} {'peak RSS MB':>12}")
    for r in results:
        print(f"{r['format']:<6} {r['rows']:>9} {r['loaded']:>9} {r['seconds']:>8} {r['rows_per_s']:>9} "
              f"{r['file_mb']:>8} {r['peak_rss_mb']:>12}")
    for fmt in ("csv", "xlsx"):
        small, large = [r for r in results if r["format"] == fmt]
        print(f"{fmt}: 4x the rows took {large['seconds'] / small['seconds']:.1f}x the time and "
              f"{large['peak_rss_mb'] / small['peak_rss_mb']:.2f}x the peak memory")
    sync = full_sync(args.rows)
    print(f"full sync of {sync['rows']} CSV rows (all assets, publish): {sync['seconds']} s, exit {sync['exit']}")


if __name__ == "__main__":
    main()
