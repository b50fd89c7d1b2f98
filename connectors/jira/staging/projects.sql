-- Jira projects in scope, with dates spanning their issues.
WITH spans AS (
    SELECT
        source_id,
        project_key,
        min(coalesce(start_date, sprint_start)) AS planned_start,
        max(coalesce(due_date, sprint_end)) AS planned_finish
    FROM raw.this__issues
    GROUP BY source_id, project_key
)
SELECT
    p.source_id,
    p.project_key AS source_key,
    list_filter([p.name], lambda x: x IS NOT NULL) AS aliases,
    p.name,
    p.lead_name AS manager,
    s.planned_start,
    s.planned_finish,
    NULL AS baseline_finish,
    NULL AS budget,
    NULL AS reported_status,
    p.site_url || '/browse/' || p.project_key AS source_url
FROM raw.this__projects AS p
LEFT JOIN spans AS s USING (source_id, project_key)
