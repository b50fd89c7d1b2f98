-- Issues (RAID logs' Type = Issue) with their project (intermediate.project_refs, as for risks).
-- An issue is a risk that happened: its severity is 5 x impact (probability certain), on the risks'
-- 1-25 scale, so rules.high_risk_severity says which issues are high. Open unless its status says
-- closed/done/resolved/cancelled/retired/complete. Of copies of one key the latest is kept.
WITH kept AS MATERIALIZED (
    SELECT * EXCLUDE (copy_rank, kept_location, kept_updated_at)
    FROM ranked_copies('staging.issues')
    WHERE copy_rank = 1
)
SELECT
    i.source_id || ':' || i.source_key AS issue_id,
    x.project_id,
    i.source_id,
    i.source_key,
    i.project_ref,
    i.title,
    i.status,
    is_open_entry(i.status) AS is_open,
    i.owner,
    i.priority,
    i.impact,
    5 * i.impact AS severity,
    i.due_date,
    i.resolution
FROM kept AS i
LEFT JOIN intermediate.project_refs AS x USING (source_id, project_ref)
