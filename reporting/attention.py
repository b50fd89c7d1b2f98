"""What needs attention this week: one ranked list built from the history snapshots and the marts.

Rank: a worsened RAG first, then high risks past due, failed or stale sources, milestones that moved later
(more days = higher), dependencies whose predecessor pushes the successor, people over-allocated in the
next weeks, and errors in the data that make the numbers doubtful."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from reporting.changes import milestone_moves, rag_changes
from reporting.warehouse import Snapshots, project_href, rows, slug

LOOKAHEAD_WEEKS = 4  # over-allocation from the current ISO week to this many weeks ahead


@dataclass(frozen=True)
class Attention:
    score: float
    kind: str
    subject: str
    text: str
    href: str


def attention_list(con: duckdb.DuckDBPyConnection, snaps: Snapshots) -> list[Attention]:
    found = [
        *_worsened(con, snaps), *_risks_past_due(con, snaps), *_stale_sources(con),
        *_moved_milestones(con, snaps), *_dependencies_at_risk(con), *_overallocated(con, snaps),
        *_data_problems(con),
    ]
    return sorted(found, key=lambda a: (-a.score, a.kind, a.subject))


def _worsened(con: duckdb.DuckDBPyConnection, snaps: Snapshots) -> list[Attention]:
    return [
        Attention(100 + 10 * c["rag_steps"], "RAG worsened", c["project_name"] or c["project_id"],
                  f"{c['rag_before']} → {c['rag_now']} since {snaps.previous}: {c['rag_reasons'] or 'no reason given'}",
                  project_href(c["project_id"]))
        for c in rag_changes(con, snaps) if c["rag_steps"] > 0 and c["rag_before"] != "unknown"
    ]


def _risks_past_due(con: duckdb.DuckDBPyConnection, snaps: Snapshots) -> list[Attention]:
    found = rows(con, "SELECT r.project_id, p.name AS project_name, r.title, r.severity, r.due_date, r.owner "
                 "FROM core.risks r LEFT JOIN core.projects p USING (project_id) "
                 "WHERE r.is_open AND r.severity >= 15 AND r.due_date < ? ORDER BY r.severity DESC, r.due_date",
                 [snaps.as_of])
    return [
        Attention(90 + r["severity"] / 5, "High risk past due", r["project_name"] or r["project_id"] or "(no project)",
                  f"“{r['title']}” severity {r['severity']:g}, response due {r['due_date']} "
                  f"({(snaps.as_of - r['due_date']).days} days ago), owner {r['owner'] or 'not named'}",
                  project_href(r["project_id"], "risks") if r["project_id"] else "quality.html")
        for r in found
    ]


def _stale_sources(con: duckdb.DuckDBPyConnection) -> list[Attention]:
    found = rows(con, "SELECT source_id, kind, last_success_at, last_error FROM meta.source_state "
                 "WHERE last_status <> 'ok' ORDER BY source_id")
    return [
        Attention(85, "Source stale", s["source_id"],
                  f"{s['kind']} source failed its last load ({s['last_error'] or 'no reason recorded'}); "
                  f"its numbers are from {_minutes(s['last_success_at'])}",
                  "quality.html#sources")
        for s in found
    ]


def _moved_milestones(con: duckdb.DuckDBPyConnection, snaps: Snapshots) -> list[Attention]:
    return [
        Attention(70 + min(m["moved_days"], 30) if m["moved_days"] > 0 else 45, "Milestone moved",
                  m["project_name"] or m["project_id"],
                  f"“{m['milestone']}” {'later' if m['moved_days'] > 0 else 'earlier'} by "
                  f"{abs(m['moved_days'])} days: {m['forecast_before']} → {m['forecast_now']}",
                  project_href(m["project_id"], "milestones"))
        for m in milestone_moves(con, snaps)
    ]


def _dependencies_at_risk(con: duckdb.DuckDBPyConnection) -> list[Attention]:
    found = rows(con, "SELECT project_id_a, project_id_b, slip_days, evidence FROM marts.cross_project_linkages "
                 "WHERE linkage_type = 'dependency' AND slip_days > 0 ORDER BY slip_days DESC")
    return [
        Attention(60 + min(d["slip_days"], 20), "Dependency at risk", f"{d['project_id_a']} ↔ {d['project_id_b']}",
                  f"a link pushes its successor {d['slip_days']} working days past plan: {d['evidence']}",
                  "network.html")
        for d in found
    ]


def _overallocated(con: duckdb.DuckDBPyConnection, snaps: Snapshots) -> list[Attention]:
    week = snaps.as_of - dt.timedelta(days=snaps.as_of.weekday())
    found = rows(con, """
        SELECT resource_id, any_value(resource_name) AS name, max(utilisation) FILTER (WHERE week_start >= ?) AS peak,
               arg_max(week_start, utilisation) FILTER (WHERE week_start >= ?) AS peak_week,
               bool_or(week_start = ?::DATE - 7 AND is_overallocated) AS was_over
        FROM marts.resource_deployment
        WHERE week_start BETWEEN ?::DATE - 7 AND ?::DATE + ? * 7
        GROUP BY resource_id HAVING bool_or(is_overallocated AND week_start >= ?)
        ORDER BY peak DESC, resource_id""", [week, week, week, week, week, LOOKAHEAD_WEEKS, week])
    return [
        Attention(50 + min(p["peak"], 5), "Over-allocated", p["name"] or p["resource_id"],
                  f"{'still' if p['was_over'] else 'newly'} over capacity in the next {LOOKAHEAD_WEEKS} weeks, "
                  f"at most {p['peak']:.0%} (week of {p['peak_week']})",
                  f"resources.html#{slug(p['resource_id'])}")
        for p in found
    ]


def _data_problems(con: duckdb.DuckDBPyConnection) -> list[Attention]:
    found = rows(con, "SELECT check_name, count(*) AS n, min(detail) AS example FROM marts.data_quality "
                 "WHERE severity = 'error' GROUP BY check_name ORDER BY n DESC, check_name")
    return [
        Attention(40 + min(d["n"], 9), "Data problem", d["check_name"],
                  f"{d['n']} finding(s), e.g. {d['example']}", f"quality.html#{d['check_name']}")
        for d in found
    ]


def _minutes(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "no successful load"
