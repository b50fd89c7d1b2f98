-- Each project reference a risk, an issue or a RAID entry makes, resolved to one project. A reference
-- may be the project's source key, one of its aliases (same source), a configured project id, or a
-- project name - tried in that order, as equality joins (cheap at any size).
WITH refs AS (
    SELECT DISTINCT source_id, project_ref, lower(project_ref) AS ref
    FROM (
        SELECT source_id, project_ref FROM staging.risks
        UNION ALL SELECT source_id, project_ref FROM staging.issues
        UNION ALL SELECT source_id, project_ref FROM staging.raid_log
    )
    WHERE project_ref IS NOT NULL
),
project_aliases AS (
    SELECT project_id, source_id, unnest(aliases) AS alias FROM core.projects
),
candidates AS (
    SELECT r.source_id, r.project_ref, p.project_id, 0 AS match_rank
    FROM refs AS r JOIN core.projects AS p ON p.source_id = r.source_id AND p.source_key = r.project_ref
    UNION ALL
    SELECT r.source_id, r.project_ref, p.project_id, 1
    FROM refs AS r JOIN core.projects AS p ON lower(p.project_id) = r.ref
    UNION ALL
    SELECT r.source_id, r.project_ref, a.project_id, 2
    FROM refs AS r JOIN project_aliases AS a ON a.source_id = r.source_id AND a.alias = r.project_ref
    UNION ALL
    SELECT r.source_id, r.project_ref, p.project_id, 3
    FROM refs AS r JOIN core.projects AS p ON lower(p.name) = r.ref
),
best AS (
    SELECT * FROM candidates
    QUALIFY match_rank = min(match_rank) OVER (PARTITION BY source_id, project_ref)
)
SELECT r.source_id, r.project_ref, min(b.project_id) AS project_id
FROM refs AS r
LEFT JOIN best AS b USING (source_id, project_ref)
GROUP BY r.source_id, r.project_ref
