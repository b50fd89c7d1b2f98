"""Shared fixtures: a private copy of the sample portfolio, and the sample synced once per session.

Syncing the sample is the expensive step of the suite, so it happens once (`synced_sample_dir`).
Tests that only read its result take `sample_published`; a test that changes one thing takes
`synced_copy`, a private copy *including* the `.sightline` build state, and re-syncs from there.
Tests that use either are marked `pipeline` automatically (they depend on a Dagster run).
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
sys.path.insert(0, str(EXAMPLES))  # the sample generator, for independent expectations
sys.path.insert(0, str(REPO / "tests" / "support"))  # test doubles: the Jira emulator

SYNCED_FIXTURES = {"synced_sample_dir", "sample_published", "synced_copy", "two_week_sample"}


def copy_sample(target: Path) -> Path:
    """examples/ inputs (portfolio.yaml and its generated sheets, exports, plans) copied to ``target``."""
    target.mkdir(parents=True)
    shutil.copy(EXAMPLES / "portfolio.yaml", target / "portfolio.yaml")
    for sub in ("sheets", "exports", "plans"):
        shutil.copytree(EXAMPLES / sub, target / sub)
    return target


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    """examples/ copied into a temporary folder: portfolio.yaml and its generated sheets."""
    return copy_sample(tmp_path / "portfolio")


@pytest.fixture(scope="session")
def synced_sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample portfolio after one successful sync (in-process, the job `sightline sync` runs):
    its inputs, `var/sightline.duckdb` and `var/.sightline`. Shared by the whole session: never
    change it; take `synced_copy` instead."""
    from pipelines.config import load_portfolio  # imported here: the unit layer never pays for Dagster
    from pipelines.run import run_sync

    folder = copy_sample(tmp_path_factory.mktemp("synced") / "portfolio")
    report = run_sync(load_portfolio(folder / "portfolio.yaml"))
    assert report.success, report
    report.published.chmod(0o444)  # a test that writes to the shared result fails loudly
    return folder


@pytest.fixture(scope="session")
def sample_published(synced_sample_dir: Path) -> Path:
    """The published warehouse of the synced sample, to open read-only."""
    return synced_sample_dir / "var" / "sightline.duckdb"


@pytest.fixture
def synced_copy(synced_sample_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the synced sample folder, build state included, so a test that edits one
    sheet or breaks one source re-syncs from a warm state instead of from scratch."""
    target = tmp_path / "portfolio"
    # copyfile, not copy2: the copy is writable and its files are older than any later run.
    shutil.copytree(synced_sample_dir, target, copy_function=shutil.copyfile)
    return target


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that uses the synced sample depends on a pipeline run: mark it so."""
    for item in items:
        if SYNCED_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.pipeline)


def write_csv(path: Path, header: list[str], rows) -> Path:
    """A tracker CSV as people save it: a header row, then the rows; short rows are padded to the header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(list(row) + [""] * (len(header) - len(row)) for row in rows)
    return path


def write_yaml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def build_directly(config: Path, failing: tuple[str, ...] = ()) -> Path:
    """The direct build of ``config`` (extract, models, publish: benchmarks/run.py `direct_sync`), for
    tests about the models' SQL numbers rather than Dagster; asserts every source loaded but the
    ``failing`` ones, as a sync's report would. Returns the portfolio's var folder (build.duckdb)."""
    import duckdb

    from benchmarks.run import direct_sync
    from pipelines.config import load_portfolio

    direct_sync(config)
    portfolio = load_portfolio(config)
    with duckdb.connect(str(portfolio.var_dir / "build.duckdb"), read_only=True) as con:
        states = dict(con.execute("SELECT source_id, last_status FROM meta.source_state").fetchall())
    assert states == {s.id: "failed" if s.id in failing else "ok" for s in portfolio.sources}, states
    return portfolio.var_dir


@pytest.fixture(scope="session")
def two_week_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample synced twice, a week apart, with week-over-week changes planted between the two
    (tests/support/report_history.py): the published warehouse, for the report and the digest."""
    from report_history import sync_two_weeks

    folder = copy_sample(tmp_path_factory.mktemp("two_weeks") / "portfolio")
    sync_two_weeks(folder)
    return folder / "var" / "sightline.duckdb"
