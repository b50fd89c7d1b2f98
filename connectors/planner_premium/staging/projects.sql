-- Planner premium projects (key: msdyn_projectid). The baseline finish is the latest first-seen
-- finish of the project's tasks (source option baseline: first_seen; NULL without it). source_url
-- opens the project's record in the Dataverse environment.
WITH baselines AS (
    SELECT source_id, project_id, max(baseline_finish) AS baseline_finish
    FROM raw.this__tasks
    GROUP BY ALL
)
SELECT
    p.source_id,
    p.record_id AS source_key,
    -- The id as Dataverse shows it in places (upper case) is the same key.
    list_filter([p.name, upper(p.record_id)], lambda x: x IS NOT NULL) AS aliases,
    p.name,
    p.manager,
    CAST(p.start AS DATE) AS planned_start,
    CAST(p.finish AS DATE) AS planned_finish,
    CAST(b.baseline_finish AS DATE) AS baseline_finish,
    NULL AS budget,
    NULL AS reported_status,  -- the project's own status is a dated report: status_reports.sql
    p.environment_url || '/main.aspx?pagetype=entityrecord&etn=msdyn_project&id=' || p.record_id AS source_url
FROM raw.this__projects AS p
LEFT JOIN baselines AS b ON b.source_id = p.source_id AND b.project_id = p.record_id
