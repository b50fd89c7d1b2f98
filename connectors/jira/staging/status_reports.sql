-- Issues of the configured status-report issue type (default "Status report") that carry the field
-- mapped as fields: {reported_status: <Jira field name>}, one report each, dated by their creation;
-- and each project's own status, from the project property named by project_status_property (dated
-- by its date, when it has one).
SELECT
    i.source_id,
    i.issue_key AS source_key,
    i.project_key AS project_ref,
    i.reported_status,
    CAST(i.created_at AS DATE) AS reported_at,
    i.assignee_name AS reported_by,
    i.summary AS comment,
    p.site_url || '/browse/' || i.issue_key AS source_url
FROM raw.this__issues AS i
LEFT JOIN (SELECT source_id, project_key, any_value(site_url) AS site_url FROM raw.this__projects GROUP BY ALL) AS p
    USING (source_id, project_key)
WHERE i.is_status_report AND i.reported_status IS NOT NULL
UNION ALL
SELECT
    source_id,
    project_key || '#project-status' AS source_key,
    project_key AS project_ref,
    reported_status,
    TRY_CAST(left(reported_at, 10) AS DATE) AS reported_at,
    reported_by,
    reported_comment AS comment,
    site_url || '/browse/' || project_key AS source_url
FROM raw.this__projects
WHERE reported_status IS NOT NULL
