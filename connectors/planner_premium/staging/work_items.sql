-- Planner premium tasks. A task is a summary when Planner flags it (msdyn_summary) or another task
-- names it as parent. A milestone is a task of zero duration that is not a summary: Planner premium
-- has no milestone flag, a duration of 0 makes one. Status follows progress: 100% is done, any
-- progress is in progress, else not started. The assignee is the first assigned resource (by id);
-- the bucket (Planner's board column, usually a workstream) is the team. Duration: days x the
-- project's hours per day (8 when unset). Baselines: the first-seen dates (baseline: first_seen).
-- source_url opens the task's record in the Dataverse environment.
WITH parents AS (
    SELECT DISTINCT source_id, parent_id AS record_id FROM raw.this__tasks WHERE parent_id IS NOT NULL
),
lead AS (
    SELECT source_id, task_id, min(resource_id) AS resource_id
    FROM raw.this__assignments
    WHERE resource_id IS NOT NULL
    GROUP BY ALL
)
SELECT
    t.source_id,
    t.record_id AS source_key,
    t.project_id AS project_source_key,
    t.parent_id AS parent_source_key,
    t.name,
    CASE WHEN t.is_summary OR c.record_id IS NOT NULL THEN 'summary'
         WHEN t.duration_days = 0 THEN 'milestone' ELSE 'task' END AS item_type,
    t.duration_days = 0 AND NOT (t.is_summary OR c.record_id IS NOT NULL) AS is_milestone,
    t.is_summary OR c.record_id IS NOT NULL AS is_summary,
    CAST(round(t.percent_complete, 1) AS VARCHAR) || '%' AS status_raw,
    CASE
        WHEN t.percent_complete >= 100 THEN 'done'
        WHEN t.percent_complete > 0 THEN 'in_progress'
        ELSE 'not_started'
    END AS status_default,
    l.resource_id AS assignee_key,
    CAST(t.start AS DATE) AS planned_start,
    CAST(t.finish AS DATE) AS planned_finish,
    t.duration_days * coalesce(p.hours_per_day, 8) AS duration_hours,
    CAST(t.baseline_start AS DATE) AS baseline_start,
    CAST(t.baseline_finish AS DATE) AS baseline_finish,
    t.percent_complete,
    t.effort_hours AS work_hours,
    t.effort_completed_hours AS actual_work_hours,
    b.name AS team,
    t.modified_at AS updated_at,
    p.environment_url || '/main.aspx?pagetype=entityrecord&etn=msdyn_projecttask&id=' || t.record_id AS source_url,
    'project ' || coalesce(p.name, t.project_id) || ', task ' || coalesce(t.name, '') || ' (' || t.record_id || ')'
        AS location,
    row_number() OVER (PARTITION BY t.source_id ORDER BY t.project_id, t.display_sequence, t.record_id) AS position
FROM raw.this__tasks AS t
LEFT JOIN parents AS c ON c.source_id = t.source_id AND c.record_id = t.record_id
LEFT JOIN lead AS l ON l.source_id = t.source_id AND l.task_id = t.record_id
LEFT JOIN raw.this__projects AS p ON p.source_id = t.source_id AND p.record_id = t.project_id
LEFT JOIN raw.this__buckets AS b ON b.source_id = t.source_id AND b.record_id = t.bucket_id
