"""Two weekly snapshots of the sample, with the cases the attention list and the digest must show planted
between them: last week (as_of - 7 days) CRM migration was finished (green) and the mobile app's go-live
milestone was planned a week earlier; this week is the sample as generated, except that the Jira export
cannot be read (a failed source: its last good data stays, marked stale)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

LAST_WEEK_DAYS = 7
GO_LIVE = "MOB-17"  # Mobile app go-live: 23/11/2026 this week
GO_LIVE_LAST_WEEK = "16/11/2026"


def _edit_csv(path: Path, edit) -> None:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(edit(dict(row)) for row in rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _crm_finished(row: dict) -> dict:
    return {**row, "State": "Done", "Progress": "100%"}


def _go_live_earlier(row: dict) -> dict:
    if row["ID"] == GO_LIVE:
        return {**row, "Start Date": GO_LIVE_LAST_WEEK, "End Date": GO_LIVE_LAST_WEEK}
    return row


def sync_two_weeks(folder: Path) -> dt.date:
    """Sync ``folder`` (a copy of the sample) as of last week with the planted edits, then as of the sample's
    day with the Jira export broken; returns last week's day."""
    from pipelines.cli import config_as_of
    from pipelines.config import load_portfolio
    from pipelines.run import run_sync

    digital = folder / "sheets" / "digital"
    originals = {name: (digital / name).read_bytes() for name in ("crm_migration.csv", "mobile_app.csv")}
    _edit_csv(digital / "crm_migration.csv", _crm_finished)
    _edit_csv(digital / "mobile_app.csv", _go_live_earlier)
    portfolio = load_portfolio(folder / "portfolio.yaml")
    last_week = portfolio.today() - dt.timedelta(days=LAST_WEEK_DAYS)
    with config_as_of(portfolio, last_week) as config:
        first = run_sync(load_portfolio(config))
    assert first.success, first
    for name, content in originals.items():
        (digital / name).write_bytes(content)
    for export in (folder / "exports").glob("*.csv"):
        export.write_bytes(b"\xff\xfe not a Jira export \x00\x81")
    second = run_sync(portfolio)
    assert set(second.failed_sources) == {"jira-export"} and second.published_this_run, second
    return last_week
