"""The weekly digest, from the two-week sample (tests/support/report_history.py): its lines for Digital
channels, where CRM migration went green -> red and the mobile go-live moved a week, match the snapshots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from reporting.digest import write_digest


def section(markdown: str, heading: str) -> list[str]:
    """The bullet lines under ``## heading`` of the first program in ``markdown``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"## {heading}"))
    found = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.startswith("- "):
            found.append(line[2:])
    return found


def test_what_changed_matches_the_snapshots(two_week_sample: Path) -> None:
    digest = write_digest(two_week_sample, "digital-channels")
    assert digest.startswith("# Digital channels - weekly status, 2026-11-16\n")
    with duckdb.connect(str(two_week_sample), read_only=True) as con:
        changed = con.execute(
            "SELECT p.name, o.rag, n.rag FROM history.project_health_snapshots n "
            "JOIN history.project_health_snapshots o ON o.project_id = n.project_id AND o.snapshot_date = DATE '2026-11-09' "
            "JOIN core.projects p ON p.project_id = n.project_id "
            "WHERE n.snapshot_date = DATE '2026-11-16' AND n.program_id = 'digital-channels' AND o.rag <> n.rag "
            "ORDER BY n.project_id").fetchall()
    # planted: CRM migration finished last week (green), the sample has it red; the Jira export broke (unknown)
    assert changed == [("CRM migration", "green", "red"), ("Customer API platform", "green", "unknown")]
    lines = section(digest, "What changed since last week (2026-11-09 to 2026-11-16)")
    assert lines == [f"{name}: RAG {before} -> {now}" for name, before, now in changed] + [
        "Mobile app go-live (Mobile app relaunch): forecast 2026-11-16 -> 2026-11-23 (+7 days)"]


def test_rag_due_milestones_risks_and_decisions(two_week_sample: Path) -> None:
    digest = write_digest(two_week_sample, "digital-channels")
    with duckdb.connect(str(two_week_sample), read_only=True) as con:
        rag, pct = con.execute("SELECT rag, pct_complete FROM marts.program_rollup "
                               "WHERE program_id = 'digital-channels'").fetchone()
        reasons = con.execute("SELECT p.name, h.rag, h.rag_reasons FROM marts.project_health h JOIN core.projects p "
                              "USING (project_id) WHERE h.program_id = 'digital-channels' AND h.rag <> 'green' "
                              "ORDER BY h.project_id").fetchall()
    assert f"**RAG: {rag.upper()}** - {pct:.1f}% complete (work), owner Marcus Lee" in digest
    reason_lines = [line[2:] for line in digest.split("## What changed")[0].splitlines() if line.startswith("- ")]
    assert reason_lines == [f"{name}: {r} - {why}" for name, r, why in reasons]
    # the mobile go-live (23/11/2026 in mobile_app.csv) is the one milestone due within two weeks of 2026-11-16
    assert section(digest, "Milestones due by 2026-11-30") == [
        "2026-11-23: Mobile app go-live (Mobile app relaunch) - not_started"]
    assert section(digest, "Top risks") == [
        "[6] App store review delays release (Mobile app relaunch), response due 2026-12-10, owner Diego Alvarez"]
    # CRM migration reports Green (its status register) while the rules rate it red
    assert section(digest, "Decisions needed") == ["Confirm the status: CRM migration reports Green while the rules rate it red"]


def test_hr_decisions_name_the_overdue_risk_and_milestones(two_week_sample: Path) -> None:
    digest = write_digest(two_week_sample, "hr-transformation")
    decisions = section(digest, "Decisions needed")
    # R-01 of the sample's risk log: severity 4 x 5, response due 2026-11-02, still open
    assert decisions[0] == ('Escalate or re-plan: high risk "Parallel run shows pay differences" (New payroll system, '
                            'severity 20) is open past its response date 2026-11-02')
    assert any(d.startswith('Re-baseline or recover: milestone "Payroll: design sign-off"') for d in decisions)
    assert section(digest, "What changed since last week") == ["no RAG change and no milestone moved"]


def test_html_digest_escapes_and_holds_every_program(two_week_sample: Path) -> None:
    page = write_digest(two_week_sample, fmt="html")
    assert page.startswith("<!doctype html>")
    for program in ("digital-channels", "hr-transformation", "unassigned"):
        assert f'<section id="{program}">' in page
    assert "CRM migration: RAG green -&gt; red" in page
    assert "http" not in page


def test_digest_command_and_an_unknown_program(sample_published: Path, synced_sample_dir: Path) -> None:
    config = str(synced_sample_dir / "portfolio.yaml")
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "digest", "--config", config, "--program",
                           "hr-transformation"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# HR systems transformation - weekly status")
    wrong = subprocess.run([sys.executable, "-m", "pipelines.cli", "digest", "--config", config, "--program", "nope"],
                           capture_output=True, text=True, check=False)
    assert wrong.returncode == 1
    assert wrong.stderr.strip() == ("sightline digest: --program nope: no such program in marts.program_rollup; "
                                    "expected one of digital-channels, hr-transformation, unassigned")


def test_first_week_says_there_is_nothing_to_compare(tmp_path: Path) -> None:
    from reporting.warehouse import snapshots

    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA meta; CREATE SCHEMA history; CREATE TABLE meta.run AS SELECT DATE '2026-11-16' AS as_of")
        con.execute("CREATE TABLE history.project_health_snapshots AS SELECT DATE '2026-11-16' AS snapshot_date")
        snaps = snapshots(con)
    assert (snaps.latest, snaps.previous) == (snaps.as_of, None)


@pytest.mark.parametrize(("days", "expected"), [((0, 1, 8), 8), ((0, 3, 5), 3), ((0, 9, 14), 9)])
def test_last_week_is_the_newest_snapshot_at_least_seven_days_older(tmp_path: Path, days: tuple, expected: int) -> None:
    """Latest 2026-11-16; snapshots `days` days before it: last week is the newest at least 7 days older,
    else the newest older one."""
    import datetime as dt

    from reporting.warehouse import snapshots

    latest = dt.date(2026, 11, 16)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("CREATE SCHEMA meta; CREATE SCHEMA history; CREATE TABLE meta.run AS SELECT DATE '2026-11-16' AS as_of")
        con.execute("CREATE TABLE history.project_health_snapshots (snapshot_date DATE)")
        con.executemany("INSERT INTO history.project_health_snapshots VALUES (?)",
                        [[latest - dt.timedelta(days=d)] for d in days])
        assert snapshots(con).previous == latest - dt.timedelta(days=expected)
