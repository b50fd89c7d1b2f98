"""Publishing through the real CLI in a subprocess: readers are never blocked and never see a
half-built state; a failed source keeps its last good rows; a killed run changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from generate_sample import build_sample

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]  # every test here runs `sightline sync` in a subprocess

# The sample carries data-quality errors on purpose (exit 3); these tests are about publishing.
SYNC = [sys.executable, "-m", "pipelines.cli", "sync", "--dq-errors-exit", "0", "--config"]


def sync(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SYNC, str(config)], capture_output=True, text=True, timeout=300)


def published_file(folder: Path) -> Path:
    return folder / "var" / "sightline.duckdb"


def rename_task(folder: Path, old: str, new: str) -> None:
    path = folder / "sheets" / "digital" / "mobile_app.csv"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_reader_keeps_its_snapshot_while_sync_publishes(synced_copy: Path) -> None:
    config = synced_copy / "portfolio.yaml"  # already synced once, build state included
    reader = duckdb.connect(str(published_file(synced_copy)), read_only=True)
    query = "SELECT count(*) FROM core.work_items WHERE name LIKE 'Mobile app: Discovery%'"
    before = reader.execute(query).fetchone()[0]
    assert before == 2

    rename_task(synced_copy, "Mobile app: Discovery 1", "Mobile app: Research 1")
    result = sync(config)  # a BI tool holds the old file open the whole time
    assert result.returncode == 0, result.stdout + result.stderr

    assert reader.execute(query).fetchone()[0] == before  # the old snapshot, whole and unchanged
    # A new connection - another process, as a BI tool's next session is - sees the new file.
    # (Within one process DuckDB hands out the already-open database for the same path.)
    fresh = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; "
         "print(duckdb.connect(sys.argv[1], read_only=True).execute(sys.argv[2]).fetchone()[0])",
         str(published_file(synced_copy)), query],
        capture_output=True, text=True, check=True,
    )
    assert int(fresh.stdout) == before - 1
    reader.close()


def test_failed_source_keeps_last_good_rows_while_others_refresh(synced_copy: Path) -> None:
    config = synced_copy / "portfolio.yaml"  # already synced once, build state included
    with duckdb.connect(str(published_file(synced_copy)), read_only=True) as con:
        hr_before = con.execute(
            "SELECT * FROM core.work_items WHERE source_id = 'hr-tracker' ORDER BY work_item_id").fetchall()

    (synced_copy / "sheets" / "hr_programme.xlsx").write_bytes(b"PK\x03\x04 corrupt")
    rename_task(synced_copy, "Mobile app: Discovery 1", "Mobile app: Research 1")
    result = sync(config)

    assert result.returncode == 1
    assert "hr-tracker: hr_programme.xlsx: cannot be opened as a workbook" in result.stdout
    with duckdb.connect(str(published_file(synced_copy)), read_only=True) as con:
        hr_after = con.execute(
            "SELECT * FROM core.work_items WHERE source_id = 'hr-tracker' ORDER BY work_item_id").fetchall()
        stale = dict(con.execute("SELECT project_id, is_stale FROM marts.project_health").fetchall())
        renamed = con.execute("SELECT count(*) FROM core.work_items WHERE name = 'Mobile app: Research 1'").fetchone()[0]
        finding = con.execute("SELECT detail FROM marts.data_quality WHERE check_name = 'stale_source'").fetchone()[0]
    # Every row of the failed source's last good load is still there, marked stale.
    expected = sum(len([t for t in p.tasks if not t.bad_cell]) for p in build_sample() if p.source == "hr-tracker")
    assert len(hr_after) == len(hr_before) == expected
    assert [r[:-1] for r in hr_after] == [r[:-1] for r in hr_before]
    assert all(r[-1] is True for r in hr_after)
    assert stale["payroll"] is True and stale["mobile-app"] is False
    assert renamed == 1  # the healthy source refreshed and was published
    assert "cannot be opened as a workbook" in finding


def test_killed_run_leaves_published_file_byte_identical(synced_copy: Path) -> None:
    config = synced_copy / "portfolio.yaml"  # already synced once, build state included
    before = published_file(synced_copy).read_bytes()

    rename_task(synced_copy, "Mobile app: Discovery 1", "Mobile app: Research 1")
    process = subprocess.Popen([*SYNC, str(config)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    seen = []
    for line in process.stderr:  # progress lines: kill it once the transforms are under way
        seen.append(line)
        if "core.work_items:" in line:
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "".join(seen)
    assert published_file(synced_copy).read_bytes() == before
    assert not list(published_file(synced_copy).parent.glob(".*.tmp"))

    # The next run recovers the build file and publishes the new data.
    assert sync(config).returncode == 0
    with duckdb.connect(str(published_file(synced_copy)), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM core.work_items WHERE name = 'Mobile app: Research 1'").fetchone()[0] == 1


def test_failing_blocking_check_stops_publishing(synced_copy: Path) -> None:
    config = synced_copy / "portfolio.yaml"  # already synced once, build state included
    before = published_file(synced_copy).read_bytes()
    # A real config mistake: a second project names the payroll sheet by its full key, while
    # `payroll` names it by its alias. Both claim the same work items: duplicate keys.
    text = config.read_text().replace(
        "      - id: expenses\n",
        "      - id: payroll-copy\n        name: Payroll again\n        source: hr-tracker\n"
        "        key: hr_programme.xlsx#Payroll\n      - id: expenses\n",
    )
    config.write_text(text)
    result = sync(config)
    assert result.returncode == 1
    assert "core/work_items:unique_key" in result.stdout
    assert "NOT published" in result.stdout
    assert published_file(synced_copy).read_bytes() == before
