-- Risks with their project. A risk's project reference may be the project's source key, one of
-- its aliases (same source), a configured project id, or a project name. Severity is
-- probability x impact on 1-5 scales (1-25); status words other than closed/done/resolved/
-- cancelled/retired count as open.
WITH candidates AS (
    SELECT
        r.source_id || ':' || r.source_key AS risk_id,
        p.project_id,
        CASE
            WHEN p.source_id = r.source_id AND p.source_key = r.project_ref THEN 0
            WHEN lower(p.project_id) = lower(r.project_ref) THEN 1
            WHEN p.source_id = r.source_id AND list_contains(p.aliases, r.project_ref) THEN 2
            ELSE 3
        END AS match_rank
    FROM staging.risks AS r
    JOIN core.projects AS p
        ON (p.source_id = r.source_id AND (p.source_key = r.project_ref OR list_contains(p.aliases, r.project_ref)))
        OR lower(p.project_id) = lower(r.project_ref)
        OR lower(p.name) = lower(r.project_ref)
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
FROM staging.risks AS r
LEFT JOIN resolved AS x ON x.risk_id = r.source_id || ':' || r.source_key
