-- Risks with their project. A risk's project reference may be the project's source key, one of
-- its aliases (same source), a configured project id, or a project name. Severity is
-- probability x impact on 1-5 scales (1-25); status words other than closed/done/resolved/
-- cancelled/retired count as open. Of several copies of one risk key the most recently updated,
-- then the latest in the load, is kept (the others are in core.quarantine).
WITH kept AS MATERIALIZED (
    SELECT * EXCLUDE (copy_rank, kept_location, kept_updated_at)
    FROM ranked_copies('staging.risks')
    WHERE copy_rank = 1
),
risks AS (
    SELECT *, source_id || ':' || source_key AS risk_id, lower(project_ref) AS ref FROM kept
),
project_aliases AS (
    SELECT project_id, source_id, unnest(aliases) AS alias FROM core.projects
),
-- Each way a reference can name a project, as an equality join (cheap at any size), ranked.
candidates AS (
    SELECT r.risk_id, p.project_id, 0 AS match_rank
    FROM risks AS r JOIN core.projects AS p ON p.source_id = r.source_id AND p.source_key = r.project_ref
    UNION ALL
    SELECT r.risk_id, p.project_id, 1
    FROM risks AS r JOIN core.projects AS p ON lower(p.project_id) = r.ref
    UNION ALL
    SELECT r.risk_id, a.project_id, 2
    FROM risks AS r JOIN project_aliases AS a ON a.source_id = r.source_id AND a.alias = r.project_ref
    UNION ALL
    SELECT r.risk_id, p.project_id, 3
    FROM risks AS r JOIN core.projects AS p ON lower(p.name) = r.ref
),
best_candidates AS (
    SELECT * FROM candidates
    QUALIFY match_rank = min(match_rank) OVER (PARTITION BY risk_id)
),
resolved AS (
    SELECT risk_id, min(project_id) AS project_id
    FROM best_candidates
    GROUP BY risk_id
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
    lower(trim(coalesce(r.status, 'open'))) NOT IN ('closed', 'done', 'resolved', 'cancelled', 'canceled', 'retired')
        AS is_open,
    r.owner,
    r.due_date,
    r.mitigation
FROM kept AS r
LEFT JOIN resolved AS x ON x.risk_id = r.source_id || ':' || r.source_key
