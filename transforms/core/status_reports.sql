-- Every status report a project made: the config's (programs[].projects[].reported_status), a
-- status register's rows, a plan's custom field, a source's own project status. The one in force
-- (is_latest) is the latest dated on or before as_of; on the same day the config's wins, then the
-- report id. Undated reports rank after dated ones. Reports dated after as_of are kept, not used.
WITH staged AS (
    SELECT
        source_id || ':' || source_key AS report_id, source_id, source_key, project_ref, reported_status,
        reported_at, reported_by, comment, source_url, 1 AS origin_rank
    FROM staging.status_reports
    WHERE reported_status IS NOT NULL
),
-- A register names its project by source key, configured id, alias or name (same order of preference).
candidates AS (
    SELECT s.report_id, p.project_id,
        CASE WHEN p.source_key = s.project_ref THEN 0 WHEN lower(p.project_id) = lower(s.project_ref) THEN 1
             WHEN list_contains(p.aliases, s.project_ref) THEN 2 ELSE 3 END AS match_rank
    FROM staged AS s
    JOIN core.projects AS p
        ON (p.source_id = s.source_id AND (p.source_key = s.project_ref OR list_contains(p.aliases, s.project_ref)))
        OR lower(p.project_id) = lower(s.project_ref) OR lower(p.name) = lower(s.project_ref)
),
resolved AS (
    SELECT report_id, min(project_id) AS project_id
    FROM (SELECT * FROM candidates QUALIFY match_rank = min(match_rank) OVER (PARTITION BY report_id))
    GROUP BY report_id
),
reports AS (
    SELECT s.*, r.project_id FROM staged AS s LEFT JOIN resolved AS r USING (report_id)
    UNION ALL BY NAME
    SELECT 'config:' || project_id AS report_id, project_id, 'config' AS source_id, project_id AS source_key,
        project_id AS project_ref, reported_status, reported_at, reported_by, comment, NULL AS source_url,
        0 AS origin_rank
    FROM config.projects
    WHERE reported_status IS NOT NULL
    UNION ALL BY NAME
    SELECT project_id || ':project' AS report_id, project_id, source_id, source_key, source_key AS project_ref,
        reported_status, NULL AS reported_at, NULL AS reported_by, NULL AS comment, NULL AS source_url,
        2 AS origin_rank
    FROM core.projects
    WHERE reported_status IS NOT NULL
),
ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY project_id
            ORDER BY (reported_at IS NULL OR reported_at <= as_of()) DESC, reported_at DESC NULLS LAST,
                     origin_rank, report_id
        ) AS position
    FROM reports
)
SELECT
    report_id,
    project_id,
    source_id,
    source_key,
    project_ref,
    reported_status,
    reported_rag(reported_status) AS reported_rag,
    reported_at,
    reported_by,
    comment,
    source_url,
    project_id IS NOT NULL AND position = 1 AND (reported_at IS NULL OR reported_at <= as_of()) AS is_latest
FROM ranked
