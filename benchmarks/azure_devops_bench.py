"""The azure_devops benchmark scenario (run through benchmarks/run.py azure_devops --items N).

An emulated organisation (tests/support/azure_devops_emulator.py, in this process on 127.0.0.1)
holds N work items in two team projects. A fresh subprocess runs a full sync (wall time, items/s,
requests next to the minimum possible, peak RSS), then 1% of the items are edited and an
incremental sync runs. Full syncs at N/4 and N show whether peak memory stays flat as it grows.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECTS = {"Payroll": "Agile", "Expenses": "Scrum"}


def child(url: str, folder: str, extract_and_load: Callable[..., tuple[Any, dict]]) -> dict:
    """Runs in the subprocess: one sync of the emulated organisation into a build file in ``folder``
    (``extract_and_load`` is run.py's, handed over: benchmarks/ is not a package)."""
    from connectors.azure_devops import AzureDevOpsConnector
    from connectors.base import SourceSpec

    spec = SourceSpec(id="bench-ado", kind="azure_devops", base_dir=Path(folder), options={
        "url": url, "auth": {"token_env": "BENCH_ADO_PAT"}, "projects": sorted(PROJECTS), "overlap_minutes": 0})
    con, result = extract_and_load(AzureDevOpsConnector, spec, Path(folder))
    return {**result, "items": con.execute('SELECT count(*) FROM raw."azure_devops__work_items"').fetchone()[0]}


def minimum_requests(emulator, changed: set[int] | None) -> int:
    """Requests no client could do without: per project the project, its iterations and its types, the
    recycle bin, the id listing (20,000 a query; an incremental run lists the changed ids too), a
    batch per 200 items read, and history (revision pages of 1,000, or one updates call per changed
    item, whichever is fewer). Relations re-reads are counted apart: they exist because the API
    refuses ``$expand`` with a field list."""
    total = 0
    for name in PROJECTS:
        ids = emulator.by_project[name]
        wanted = ids if changed is None else [i for i in ids if i in changed]
        revisions = sum(1 for r in emulator.revisions if r[0] in emulator.items
                        and emulator.items[r[0]]["System.TeamProject"] == name)
        history = math.ceil(revisions / 1000) if changed is None else min(len(wanted), math.ceil(revisions / 1000))
        listings = len(ids) // 20_000 + 1 + (0 if changed is None else len(wanted) // 20_000 + 1)
        total += 4 + listings + math.ceil(len(wanted) / 200) + history
    return total


def scenario(total: int, peak_rss_label: str = "peak RSS MB") -> None:
    sys.path.insert(0, str(HERE.parent / "tests" / "support"))
    from azure_devops_emulator import PAT, AzureDevOpsEmulator

    env = {**os.environ, "BENCH_ADO_PAT": PAT}

    def run(url: str, folder: str) -> dict:
        out = subprocess.run([sys.executable, str(HERE / "run.py"), "azure_devops", "--child", f"{url}|{folder}"],
                             env=env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    print(f"{'sync':<12} {'items':>8} {'seconds':>8} {'items/s':>8} {'requests':>9} {'minimum':>8} "
          f"{'relations':>9} {'extract RSS MB':>15} {peak_rss_label:>12}")
    peaks, extract_peaks = {}, {}
    for size in (total // 4, total):
        with AzureDevOpsEmulator(PROJECTS) as emulator:
            emulator.add_items(size)
            folder = tempfile.mkdtemp(prefix="sightline-bench-ado-")
            for label, changed in (("full", None), ("incremental", set())):
                if changed is not None:
                    if size != total:
                        break
                    changed.update(sorted(emulator.items)[::100])  # 1% of the items move on
                    for item_id in changed:
                        emulator.edit(item_id, System__Title=f"edited {item_id}")
                emulator.log.clear()
                result = run(emulator.url, folder)
                calls = Counter("relations" if r.body and "$expand" in r.body else "other" for r in emulator.log)
                count = len(changed) if changed else result["items"]
                print(f"{label:<12} {count:>8} {result['seconds']:>8} {round(count / result['seconds']):>8} "
                      f"{len(emulator.log):>9} {minimum_requests(emulator, changed or None):>8} "
                      f"{calls['relations']:>9} {result['extract_rss_mb']:>15} {result['peak_rss_mb']:>12}")
                if changed is None:
                    peaks[size], extract_peaks[size] = result["peak_rss_mb"], result["extract_rss_mb"]
    small, large = total // 4, total
    print(f"memory, full sync of {large} vs {small} items: extract {extract_peaks[large] / extract_peaks[small]:.2f}x, "
          f"with DuckDB's merge {peaks[large] / peaks[small]:.2f}x")
