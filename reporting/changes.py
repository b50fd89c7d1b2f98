"""What changed between the previous snapshot ("last week") and the latest one: shared by the
attention list and the weekly digest, so both say the same thing."""

from __future__ import annotations

from typing import Any

import duckdb

from reporting.warehouse import Snapshots, rows

# unknown ranks 0: a project going from unknown to red is news of another kind (data arrived), not a worsening.
RAG_CHANGES = """
SELECT n.project_id, n.program_id, p.name AS project_name, o.rag AS rag_before, n.rag AS rag_now,
       n.rag_reasons, n.pct_complete - o.pct_complete AS pct_complete_change,
       CASE n.rag WHEN 'red' THEN 3 WHEN 'amber' THEN 2 WHEN 'green' THEN 1 ELSE 0 END
     - CASE o.rag WHEN 'red' THEN 3 WHEN 'amber' THEN 2 WHEN 'green' THEN 1 ELSE 0 END AS rag_steps
FROM history.project_health_snapshots n
JOIN history.project_health_snapshots o ON o.project_id = n.project_id AND o.snapshot_date = ?
LEFT JOIN core.projects p ON p.project_id = n.project_id
WHERE n.snapshot_date = ? AND o.rag IS DISTINCT FROM n.rag
ORDER BY rag_steps DESC, n.project_id
"""

MILESTONE_MOVES = """
SELECT n.work_item_id, n.project_id, p.program_id, p.name AS project_name, w.name AS milestone,
       o.forecast_finish AS forecast_before, n.forecast_finish AS forecast_now,
       date_diff('day', o.forecast_finish, n.forecast_finish) AS moved_days, n.slip_count
FROM marts.milestone_trend n
JOIN marts.milestone_trend o ON o.work_item_id = n.work_item_id AND o.snapshot_date = ?
LEFT JOIN core.work_items w ON w.work_item_id = n.work_item_id
LEFT JOIN core.projects p ON p.project_id = n.project_id
WHERE n.snapshot_date = ? AND o.forecast_finish <> n.forecast_finish
ORDER BY abs(moved_days) DESC, n.work_item_id
"""


def rag_changes(con: duckdb.DuckDBPyConnection, snaps: Snapshots) -> list[dict[str, Any]]:
    """Projects whose computed RAG differs between the two snapshots (rag_steps > 0: worsened)."""
    if snaps.previous is None:
        return []
    return rows(con, RAG_CHANGES, [snaps.previous, snaps.latest])


def milestone_moves(con: duckdb.DuckDBPyConnection, snaps: Snapshots) -> list[dict[str, Any]]:
    """Milestones whose forecast finish moved between the two snapshots, by how many calendar days."""
    if snaps.previous is None:
        return []
    return rows(con, MILESTONE_MOVES, [snaps.previous, snaps.latest])
