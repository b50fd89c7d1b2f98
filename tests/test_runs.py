"""One writer, one run history, loud summaries and exit codes - through real `sightline` processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.assets import CONFIG_KEY, build_assets
from pipelines.cli import main
from pipelines.config import load_portfolio
from pipelines.resources import SightlineWarehouse
from pipelines.writer_lock import WriterLock

SYNC = [sys.executable, "-m", "pipelines.cli", "sync", "--config"]
# Tests that run `sightline sync` or a Dagster run; the writer lock's own tests at the end are unit tests.
# The starter tracker (pipelines/starter.py): 3 tasks, T-2 depends on T-1 and T-3 on T-2.
STARTER_TASKS, STARTER_LINKS = 3, 2
HOLD_LOCK = (
    "import sys; from pipelines.writer_lock import WriterLock; lock = WriterLock(sys.argv[1]); "
    "lock.acquire(command='holder-process', run_id='run-of-the-holder', wait_seconds=0); "
    "print('held', flush=True); sys.stdin.read(); lock.release()"
)


def slow_pipeline(test: Callable[..., None]) -> Callable[..., None]:
    """A test that runs `sightline sync` or a Dagster run (the writer lock's own tests are unit tests)."""
    return pytest.mark.slow(pytest.mark.pipeline(test))


def starter(folder: Path) -> Path:
    assert main(["init", str(folder)]) == 0
    return folder / "portfolio.yaml"


def sync(config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SYNC, str(config), *extra], capture_output=True, text=True, timeout=600)


def source_row(stdout: str, source_id: str) -> list[str]:
    """The summary's line for one source, split into its columns."""
    lines = [line.split() for line in stdout.splitlines() if line.split()[:1] == [source_id]]
    assert len(lines) == 1, stdout
    return lines[0]


def run_id_printed(stdout: str) -> str:
    match = re.search(r"^Run ([0-9a-f-]{36}): ", stdout, re.MULTILINE)
    assert match, stdout
    return match.group(1)


def var_dir(config: Path) -> Path:
    return config.parent / "var" / ".sightline"


@pytest.fixture(scope="module")
def two_syncs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[subprocess.Popen], list[tuple[str, str]]]:
    """Two `sightline sync` processes on one starter portfolio, started together."""
    config = starter(tmp_path_factory.mktemp("two") / "pmo")
    processes = [
        subprocess.Popen([*SYNC, str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=600) for p in processes]
    return config, processes, outputs


@slow_pipeline
def test_second_sync_waits_naming_the_holder_then_both_publish(two_syncs) -> None:
    config, processes, outputs = two_syncs
    assert [p.returncode for p in processes] == [0, 0], outputs
    waiting = [i for i, (_, err) in enumerate(outputs) if "waiting for the writer lock" in err]
    assert len(waiting) == 1, outputs  # exactly one waited: the other held the lock the whole time
    waiter, holder = waiting[0], 1 - waiting[0]
    line = next(li for li in outputs[waiter][1].splitlines() if "waiting for the writer lock" in li)
    assert f"pid {processes[holder].pid} " in line and "sightline sync --config" in line
    assert run_id_printed(outputs[holder][0]) in line and " since " in line
    with duckdb.connect(str(config.parent / "var" / "sightline.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM core.work_items").fetchone()[0] == STARTER_TASKS
    assert not (var_dir(config) / "writer.lock.json").exists()  # released: no holder left on record


@slow_pipeline
def test_cli_runs_are_in_the_persistent_instance_the_ui_uses(two_syncs) -> None:
    config, _, outputs = two_syncs
    printed = {run_id_printed(out) for out, _ in outputs}
    with dg.DagsterInstance.from_config(str(var_dir(config) / "dagster")) as instance:
        runs = instance.get_runs()
    assert {r.run_id for r in runs} == printed and len(printed) == 2
    assert all(r.job_name == "sightline_sync" and r.status == dg.DagsterRunStatus.SUCCESS for r in runs)


@slow_pipeline
def test_clean_sync_exits_0_with_per_source_summary(two_syncs) -> None:
    _, _, outputs = two_syncs
    out = outputs[0][0]
    # source, kind, status, loaded (tasks + dependency links), quarantined, dq errors, dq warnings
    assert source_row(out, "trackers") == ["trackers", "spreadsheet", "ok", str(STARTER_TASKS + STARTER_LINKS),
                                           "0", "0", "0"]
    assert "Data quality (marts.data_quality): 0 error(s), 0 warning(s)" in out


@slow_pipeline
def test_config_defaults_to_portfolio_yaml_in_the_current_folder(
    two_syncs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _, _ = two_syncs
    monkeypatch.chdir(config.parent)
    assert main(["query", "--format", "csv", "SELECT count(*) AS n FROM core.work_items"]) == 0
    assert capsys.readouterr().out.split() == ["n", str(STARTER_TASKS)]
    monkeypatch.chdir(config.parent.parent)  # no portfolio.yaml here: a config error naming the file
    assert main(["query", "SELECT 1"]) == 2
    assert "portfolio.yaml: (file): not found" in capsys.readouterr().err


@slow_pipeline
def test_sync_refuses_cleanly_after_wait_while_another_writer_holds_the_lock(tmp_path: Path) -> None:
    config = starter(tmp_path / "pmo")
    lock = WriterLock(var_dir(config))
    lock.acquire(command="a Dagster run (simulated)", run_id="run-held-by-test", wait_seconds=0)
    try:
        result = sync(config, "--wait", "1")
    finally:
        lock.release()
    assert result.returncode == 4, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    waiting, refusal = (li for li in result.stderr.splitlines() if "writer lock" in li)
    for line in (waiting, refusal):
        assert f"pid {os.getpid()} " in line and "a Dagster run (simulated), run run-held-by-test" in line
    assert "within 1 s" in refusal and "--wait" in refusal
    # Nothing was written: no build file, no published file.
    assert not (var_dir(config) / "build.duckdb").exists()
    assert not (config.parent / "var" / "sightline.duckdb").exists()


@slow_pipeline
def test_dagster_run_takes_the_writer_lock_waits_then_runs(tmp_path: Path) -> None:
    config = starter(tmp_path / "pmo")
    portfolio = load_portfolio(config)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(var_dir(config))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"

    def materialize(wait: float) -> dg.ExecuteInProcessResult:
        resource = SightlineWarehouse(config_path=str(config), writer_wait_seconds=wait)
        return dg.materialize(build_assets(portfolio), selection=[CONFIG_KEY], resources={"sightline": resource},
                              raise_on_error=False)

    try:
        refused = materialize(wait=1)
        assert not refused.success
        failure = next(e for e in refused.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
        error = failure.event_specific_data.error.to_string()
        assert f"pid {holder.pid} " in error and "holder-process, run run-of-the-holder" in error
        assert not (var_dir(config) / "build.duckdb").exists()  # refused before any step wrote

        threading.Timer(2.0, holder.stdin.close).start()  # the holder finishes while the run waits
        waited = materialize(wait=120)
    finally:
        if not holder.stdin.closed:
            holder.stdin.close()
        holder.wait(timeout=30)
    assert waited.success
    assert (var_dir(config) / "build.duckdb").exists()


@slow_pipeline
def test_data_quality_error_exits_3_unless_told_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = starter(tmp_path / "pmo")
    with (config.parent / "sheets" / "tracker.csv").open("a") as tracker:
        # 8 million hours is no one's estimate: the row is quarantined (an unreadable optional cell would
        # only leave that field empty, a warning).
        tracker.write("T-4,Huge estimate,Not started,02/03/2026,06/03/2026,0%,Your Name,8000000,,,\n")
    result = sync(config)
    assert result.returncode == 3, result.stdout + result.stderr
    # The bad row is quarantined: the three good tasks and two links still load.
    assert source_row(result.stdout, "trackers") == [
        "trackers", "spreadsheet", "ok", str(STARTER_TASKS + STARTER_LINKS), "1", "1", "0"]
    assert "Data quality (marts.data_quality): 1 error(s), 0 warning(s)" in result.stdout
    finding = next(li for li in result.stdout.splitlines() if "quarantined_row" in li)
    assert finding.split()[:3] == ["error", "quarantined_row", "x1"] and "8e+06 is out of range" in finding
    assert "Published:" in result.stdout

    assert main(["sync", "--config", str(config), "--dq-errors-exit", "0"]) == 0  # nightly: alert on failures only
    assert "1 error(s)" in capsys.readouterr().out  # still reported


@slow_pipeline
def test_failed_source_exits_1_publishes_the_rest_and_fails_the_dagster_run(tmp_path: Path) -> None:
    config = starter(tmp_path / "pmo")
    (config.parent / "broken").mkdir()
    (config.parent / "broken" / "plan.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    with config.open("a") as text:
        text.write("  - id: broken-tracker\n    kind: spreadsheet\n    path: broken/*.xlsx\n")
    result = sync(config)
    assert result.returncode == 1, result.stdout + result.stderr
    assert source_row(result.stdout, "broken-tracker")[:4] == ["broken-tracker", "spreadsheet", "FAILED", "-"]
    assert source_row(result.stdout, "trackers")[:4] == ["trackers", "spreadsheet", "ok",
                                                          str(STARTER_TASKS + STARTER_LINKS)]
    assert "Failed check: raw/broken-tracker:fresh_load" in result.stdout
    assert "Failed step" not in result.stdout  # publishing did not fail: the run is failed on purpose after it
    assert "Traceback" not in result.stderr and "Stack Trace" not in result.stderr
    with duckdb.connect(str(config.parent / "var" / "sightline.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM core.work_items").fetchone()[0] == STARTER_TASKS
    with dg.DagsterInstance.from_config(str(var_dir(config) / "dagster")) as instance:
        run = instance.get_run_by_id(run_id_printed(result.stdout))
        published = instance.get_latest_materialization_event(dg.AssetKey(["published", "warehouse"]))
    assert run.status == dg.DagsterRunStatus.FAILURE
    assert published is not None and published.run_id == run.run_id  # published in that same failed run


TRY_LOCK = (
    "import sys; from pipelines.writer_lock import WriterLock, WriterLockTimeout\n"
    "try:\n    WriterLock(sys.argv[1]).acquire(command='probe', wait_seconds=0)\nexcept WriterLockTimeout:\n"
    "    sys.exit(9)\n"
)


def other_process_can_lock(folder: Path) -> bool:
    probe = subprocess.run([sys.executable, "-c", TRY_LOCK, str(folder)], capture_output=True, text=True, timeout=60)
    assert probe.returncode in (0, 9), probe.stderr
    return probe.returncode == 0


def test_killed_holder_releases_the_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(tmp_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    assert not other_process_can_lock(tmp_path)
    holder.kill()  # no chance to release: the kernel drops the flock with the process
    holder.wait(timeout=30)
    assert other_process_can_lock(tmp_path)


def test_lock_is_reentrant_within_a_process_and_held_until_the_outer_release(tmp_path: Path) -> None:
    outer, inner = WriterLock(tmp_path), WriterLock(tmp_path / "sub" / "..")  # same folder, spelt differently
    outer.acquire(command="sync", run_id="r1", wait_seconds=0)
    inner.acquire(command="the run's resource", wait_seconds=0)  # would wait for itself if not re-entrant
    inner.release()
    assert not other_process_can_lock(tmp_path)
    assert '"run_id": "r1"' in (tmp_path / "writer.lock.json").read_text()  # the outer holder stays on record
    outer.release()
    assert other_process_can_lock(tmp_path)


@slow_pipeline
def test_sync_opens_each_run_history_file_once_and_still_records_every_event(tmp_path: Path) -> None:
    """Dagster's SQLite event log opened a connection (and built an engine) per read or write: hundreds
    per file a sync. The sync keeps one per file, and the run's events still reach the instance."""
    import sqlite3
    from collections import Counter

    import sqlalchemy

    from pipelines.run import run_sync

    config = starter(tmp_path / "pmo")
    opened: Counter[str] = Counter()

    def count(dbapi_connection: object, _record: object) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            opened[Path(dbapi_connection.execute("PRAGMA database_list").fetchone()[2]).name] += 1

    sqlalchemy.event.listen(sqlalchemy.engine.Engine, "connect", count)
    try:
        report = run_sync(load_portfolio(config))
    finally:
        sqlalchemy.event.remove(sqlalchemy.engine.Engine, "connect", count)
    assert report.success
    # Before: one per event in the run's file; in index.db one per asset event and per table lookup (>200).
    # What is left in index.db is the instance opening it and migrating, before the run.
    assert opened[f"{report.run_id}.db"] == 1 and opened["index.db"] < 30, opened
    with dg.DagsterInstance.from_config(str(var_dir(config) / "dagster")) as instance:
        assert not {"_connect", "has_table"} & set(vars(instance.event_log_storage))  # a fresh instance: Dagster's own storage
        materialized = {
            e.dagster_event.asset_key
            for e in instance.all_logs(report.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        }
    assert {CONFIG_KEY, dg.AssetKey(["core", "work_items"])} <= materialized
