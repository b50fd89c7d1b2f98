"""The weekly status digest: per program, the one page a program manager sends upward, in Markdown or HTML.

Decisions needed, as defined here: an open high risk past its response date (escalate or re-plan the
response), an open milestone past its commitment date (re-baseline or fund a recovery), and a project the
rules rate red while its manager reports otherwise (confirm the status)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined

from reporting.changes import milestone_moves, rag_changes
from reporting.warehouse import ReportError, Snapshots, open_warehouse, rows, snapshots

DUE_WINDOW_DAYS = 14
TOP_RISKS = 5

MILESTONES_DUE_SQL = """
SELECT p.program_id, p.name AS project_name, w.name AS milestone, coalesce(w.due_date, w.planned_finish) AS due,
       w.status, w.source_url
FROM core.work_items w JOIN core.projects p USING (project_id)
WHERE w.is_milestone AND coalesce(w.status, '') NOT IN ('done', 'cancelled')
  AND coalesce(w.due_date, w.planned_finish) BETWEEN ? AND ?::DATE + ?
ORDER BY due, project_name, milestone
"""
RISKS_SQL = """
SELECT * FROM (
    SELECT p.program_id, p.name AS project_name, r.title, r.severity, r.due_date, r.owner, r.mitigation,
           row_number() OVER (PARTITION BY p.program_id ORDER BY r.severity DESC, r.due_date NULLS LAST, r.risk_id) AS n
    FROM core.risks r JOIN core.projects p USING (project_id) WHERE r.is_open)
WHERE n <= ? ORDER BY program_id, n
"""
OVERDUE_MILESTONES_SQL = """
SELECT p.program_id, p.name AS project_name, w.name AS milestone,
       coalesce(w.due_date, w.baseline_finish, w.planned_finish) AS committed
FROM core.work_items w JOIN core.projects p USING (project_id)
WHERE w.is_milestone AND coalesce(w.status, '') NOT IN ('done', 'cancelled')
  AND coalesce(w.due_date, w.baseline_finish, w.planned_finish) < ?
ORDER BY committed, project_name
"""
HIGH_RISKS_PAST_DUE_SQL = """
SELECT p.program_id, p.name AS project_name, r.title, r.severity, r.due_date
FROM core.risks r JOIN core.projects p USING (project_id)
WHERE r.is_open AND r.severity >= 15 AND r.due_date < ? ORDER BY r.severity DESC, r.due_date
"""


def digest_data(con: duckdb.DuckDBPyConnection, program: str | None = None) -> dict[str, Any]:
    """Everything the digest says, per program, as plain values (the templates only lay it out)."""
    snaps = snapshots(con)
    programs = rows(con, "SELECT program_id, program_name, owner, rag, pct_complete, pct_complete_basis "
                    "FROM marts.program_rollup WHERE ? IS NULL OR program_id = ? ORDER BY program_id", [program, program])
    if program and not programs:
        known = [r[0] for r in con.execute("SELECT program_id FROM marts.program_rollup ORDER BY 1").fetchall()]
        raise ReportError(f"--program {program}: no such program in marts.program_rollup; expected one of {', '.join(known)}")
    parts = _parts(con, snaps)
    for g in programs:
        for name, found in parts.items():
            g[name] = [r for r in found if r["program_id"] == g["program_id"]]
    return {"snaps": snaps, "programs": programs, "due_until": snaps.as_of + dt.timedelta(days=DUE_WINDOW_DAYS)}


def _parts(con: duckdb.DuckDBPyConnection, snaps: Snapshots) -> dict[str, list[dict[str, Any]]]:
    risks = rows(con, RISKS_SQL, [TOP_RISKS])
    for r in risks:  # a risk log may leave probability or impact empty: no severity to print
        r["severity_text"] = "unrated" if r["severity"] is None else f"{r['severity']:g}"
    projects = rows(con, "SELECT h.program_id, p.name AS project_name, h.project_id, h.rag, h.rag_reasons, "
                    "h.reported_status, h.status_mismatch FROM marts.project_health h "
                    "LEFT JOIN core.projects p USING (project_id) ORDER BY h.project_id")
    return {
        "reasons": [p for p in projects if p["rag"] != "green"],
        "rag_changes": rag_changes(con, snaps),
        "moves": milestone_moves(con, snaps),
        "due": rows(con, MILESTONES_DUE_SQL, [snaps.as_of, snaps.as_of, DUE_WINDOW_DAYS]),
        "risks": risks,
        "risks_past_due": rows(con, HIGH_RISKS_PAST_DUE_SQL, [snaps.as_of]),
        "overdue": rows(con, OVERDUE_MILESTONES_SQL, [snaps.as_of]),
        "status_calls": [p for p in projects if p["rag"] == "red" and p["status_mismatch"]],
    }


def write_digest(warehouse: Path, program: str | None = None, fmt: str = "md") -> str:
    """The digest of the published ``warehouse`` as Markdown (``md``) or an HTML page (``html``)."""
    with open_warehouse(warehouse) as con:
        data = digest_data(con, program)
    env = Environment(loader=PackageLoader("reporting", "templates"), undefined=StrictUndefined,
                      autoescape=fmt == "html", trim_blocks=True, lstrip_blocks=True)
    return env.get_template(f"digest.{fmt}.j2").render(**data)
