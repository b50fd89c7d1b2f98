-- Issues of the configured status-report issue type (default "Status report") that carry the field
-- mapped as fields: {reported_status: <Jira field name>}, one report each, dated by their creation.
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
