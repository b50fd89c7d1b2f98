-- Team projects in scope (the config key is the project name), with dates spanning their work items.
WITH spans AS (
    SELECT
        w.source_id,
        w.project_name,
        min(coalesce(w.start_date, i.start_date)) AS planned_start,
        max(coalesce(w.finish_date, w.target_date, i.finish_date)) AS planned_finish
    FROM raw.this__work_items AS w
    LEFT JOIN raw.this__iterations AS i ON i.source_id = w.source_id AND i.iteration_path = w.iteration_path
    WHERE NOT w.is_risk
    GROUP BY w.source_id, w.project_name
)
SELECT
    p.source_id,
    p.project_name AS source_key,
    list_filter([p.project_id], lambda x: x IS NOT NULL) AS aliases,
    p.project_name AS name,
    NULL AS manager,
    s.planned_start,
    s.planned_finish,
    NULL AS baseline_finish,
    NULL AS budget,
    NULL AS reported_status,
    p.web_url AS source_url
FROM raw.this__projects AS p
LEFT JOIN spans AS s USING (source_id, project_name)
