"""`sightline init DIR`: a starter portfolio that syncs as written, to edit from there."""

from __future__ import annotations

import json
from pathlib import Path

SCHEMA_FILE = "portfolio.schema.json"
# The first line points editors (YAML language server) at the schema written beside the file.
PORTFOLIO = f"# yaml-language-server: $schema={SCHEMA_FILE}\n" + """\
# Sightline portfolio. Every key is described in the README ("The portfolio config").
warehouse: var/sightline.duckdb        # the published file BI tools open (read-only)
timezone: Europe/London                # schedule and "today" for rollups
schedule: "0 2 * * *"                  # nightly sync (cron, in the time zone above)

objectives:                            # the company strategy
  - id: cost-efficiency
    name: Reduce cost to serve
    target_share: 0.5                  # share of effort the strategy intends

programs:
  - id: first-program
    name: My first program
    owner: Your Name
    projects:
      - id: first-project
        name: My first project
        source: trackers
        key: tracker.csv               # spreadsheet: file, sheet, or Project column value
        objectives: {cost-efficiency: 1.0}
        systems: [General Ledger]

sources:
  - id: trackers
    kind: spreadsheet
    path: sheets/*.csv                 # relative to this file; globs allowed; .xlsx too
    day_first: true                    # 03/04/2026 is 3 April
  # Smartsheet: each sheet is a project, its key the sheet id (File > Properties).
  # - id: pmo-smartsheet
  #   kind: smartsheet
  #   auth: {token_env: SMARTSHEET_TOKEN}   # an API access token, in this environment variable
  #   workspaces: ["4583173393803140"]      # optional: every sheet of these workspaces (folders: too)
  # Planner premium / Project for the web (Dataverse): a project's key is its msdyn_projectid.
  # - id: planner
  #   kind: planner_premium
  #   url: https://contoso.crm.dynamics.com
  #   auth: {tenant_id_env: PLANNER_TENANT_ID, client_id_env: PLANNER_CLIENT_ID,
  #          client_secret_env: PLANNER_CLIENT_SECRET}
  #   baseline: first_seen             # keep each task's first observed dates as its baseline
"""

TRACKER = """\
ID,Task,Status,Start,Finish,% Complete,Owner,Estimate (h),Milestone,Systems,Depends on
T-1,Agree scope,Done,05/01/2026,16/01/2026,100%,Your Name,16,,General Ledger,
T-2,Build interface,In progress,19/01/2026,27/02/2026,40%,Your Name,80,,General Ledger,T-1
T-3,Go-live,Not started,02/03/2026,02/03/2026,0%,Your Name,0,yes,General Ledger,T-2
"""


def write_starter(directory: Path) -> list[Path]:
    """Write portfolio.yaml, its JSON Schema (for editor completion) and sheets/tracker.csv under
    ``directory``; never overwrite."""
    from pipelines.config import portfolio_json_schema

    config = directory / "portfolio.yaml"
    schema = directory / SCHEMA_FILE
    tracker = directory / "sheets" / "tracker.csv"
    for path in (config, schema, tracker):
        if path.exists():
            raise FileExistsError(str(path))
    tracker.parent.mkdir(parents=True, exist_ok=True)
    (directory / "var").mkdir(exist_ok=True)
    config.write_text(PORTFOLIO, encoding="utf-8")
    schema.write_text(json.dumps(portfolio_json_schema(), indent=2) + "\n", encoding="utf-8")
    tracker.write_text(TRACKER, encoding="utf-8")
    return [config, schema, tracker]
