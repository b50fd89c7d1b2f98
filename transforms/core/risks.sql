-- Risks with their project (resolved in intermediate.project_refs: the project's source key, a
-- configured project id, an alias of the same source, or a project name). Severity is
-- probability x impact on 1-5 scales (1-25); status words other than closed/done/resolved/
-- cancelled/retired count as open. Of several copies of one risk key the most recently updated,
-- then the latest in the load, is kept (the others are in core.quarantine).
WITH kept AS MATERIALIZED (
    SELECT * EXCLUDE (copy_rank, kept_location, kept_updated_at)
    FROM ranked_copies('staging.risks')
    WHERE copy_rank = 1
)
SELECT
    r.source_id || ':' || r.source_key AS risk_id,
    x.project_id,
    r.source_id,
    r.source_key,
    r.project_ref,
    r.title,
    r.probability,
    r.impact,
    r.probability * r.impact AS severity,
    r.status,
    is_open_entry(r.status) AS is_open,
    r.owner,
    r.due_date,
    r.mitigation,
    r.probability_original,
    r.impact_original,
    r.probability_scale,
    r.impact_scale
FROM kept AS r
LEFT JOIN intermediate.project_refs AS x USING (source_id, project_ref)
