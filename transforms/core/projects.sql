-- Every project: the ones sources hold (configured or not) and configured ones no source holds yet.
-- A configured project is matched to a source project by the config `key`: the source's own key
-- first, else one of the source project's aliases when exactly one project carries it.
-- project_id is the configured id, or `<source id>:<source key>` for projects no program lists.
WITH staged AS (
    SELECT * FROM staging.projects
),
matches AS (
    SELECT
        c.project_id,
        s.source_id,
        s.source_key,
        CASE WHEN s.source_key = c.key THEN 0 ELSE 1 END AS match_rank
    FROM config.projects AS c
    JOIN staged AS s
        ON s.source_id = c.source_id
        AND (s.source_key = c.key OR list_contains(s.aliases, c.key))
),
best AS (
    SELECT project_id, source_id, source_key
    FROM matches
    QUALIFY match_rank = min(match_rank) OVER (PARTITION BY project_id)
        AND count(*) OVER (PARTITION BY project_id, match_rank) = 1
),
freshness AS (
    SELECT source_id, last_success_at, coalesce(last_status <> 'ok', true) AS is_stale
    FROM meta.source_state
)
SELECT
    coalesce(b.project_id, s.source_id || ':' || s.source_key) AS project_id,
    coalesce(c.program_id, 'unassigned') AS program_id,
    coalesce(c.name, s.name) AS name,
    s.source_id,
    src.kind AS source_kind,
    s.source_key,
    coalesce(c.manager, s.manager) AS manager,
    s.planned_start,
    s.planned_finish,
    s.baseline_finish,
    s.budget,
    s.reported_status,
    s.aliases,
    s.source_url,
    c.project_id IS NOT NULL AS is_configured,
    true AS is_found_in_source,
    f.last_success_at AS source_refreshed_at,
    coalesce(f.is_stale, true) AS is_stale
FROM staged AS s
LEFT JOIN best AS b USING (source_id, source_key)
LEFT JOIN config.projects AS c ON c.project_id = b.project_id
LEFT JOIN config.sources AS src ON src.source_id = s.source_id
LEFT JOIN freshness AS f ON f.source_id = s.source_id
UNION ALL
SELECT
    c.project_id,
    c.program_id,
    c.name,
    c.source_id,
    src.kind,
    c.key,
    c.manager,
    NULL, NULL, NULL, NULL, NULL,
    []::VARCHAR[],
    NULL,
    true,
    false,
    f.last_success_at,
    coalesce(f.is_stale, true)
FROM config.projects AS c
LEFT JOIN config.sources AS src ON src.source_id = c.source_id
LEFT JOIN freshness AS f ON f.source_id = c.source_id
WHERE c.project_id NOT IN (SELECT project_id FROM best)
