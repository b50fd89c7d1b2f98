-- Per project: the status report in force (core.status_reports.is_latest), whether it is stale
-- (older than rules.stale_report_days on as_of), where to open the project, and the previous
-- snapshot's computed RAG and reasons, which marts.project_health compares for the watermelon flag.
WITH latest AS (
    SELECT * FROM core.status_reports WHERE is_latest
),
previous AS (
    SELECT project_id, rag AS previous_rag, rag_reasons AS previous_rag_reasons,
        reported_status AS previous_reported_status
    FROM history.project_health_snapshots
    WHERE snapshot_date < as_of()
    QUALIFY snapshot_date = max(snapshot_date) OVER (PARTITION BY project_id)
)
SELECT
    p.project_id,
    r.reported_status,
    r.reported_rag,
    r.reported_at,
    r.reported_by,
    r.comment AS report_comment,
    r.reported_at < as_of() - CAST((SELECT stale_report_days FROM config.rules) AS INTEGER) AS is_report_stale,
    p.source_url AS detail_url,
    v.previous_rag,
    v.previous_rag_reasons,
    reported_rag(v.previous_reported_status) AS previous_reported_rag
FROM core.projects AS p
LEFT JOIN latest AS r USING (project_id)
LEFT JOIN previous AS v USING (project_id)
