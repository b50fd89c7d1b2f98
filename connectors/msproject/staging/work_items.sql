-- Plan tasks (not the UID 0 project summary). A task is a summary when another task names it as
-- parent (the outline, not the Summary flag). Status follows progress: 100% is done, any progress
-- or an actual start is in progress, else not started. The assignee is the resource with the
-- most assigned work. A task whose Active flag is off is cancelled: out of earned value, effort,
-- deployment, forecasts and percent complete. source_url locates the task: <file>#<UID>.
WITH tasks AS (
    SELECT * FROM raw.this__tasks WHERE uid <> 0
),
parents AS (
    SELECT DISTINCT source_id, file, parent_uid AS uid FROM tasks WHERE parent_uid IS NOT NULL
),
lead AS (
    SELECT source_id, file, task_uid, arg_max(resource_uid, coalesce(work_hours, 0)) AS resource_uid
    FROM raw.this__assignments
    GROUP BY source_id, file, task_uid
)
SELECT
    t.source_id,
    t.file || '#' || t.uid AS source_key,
    t.file AS project_source_key,
    CASE WHEN t.parent_uid IS NOT NULL THEN t.file || '#' || t.parent_uid END AS parent_source_key,
    t.name,
    CASE WHEN p.uid IS NOT NULL THEN 'summary' WHEN t.is_milestone THEN 'milestone' ELSE 'task' END AS item_type,
    coalesce(t.is_milestone, false) AS is_milestone,
    p.uid IS NOT NULL AS is_summary,
    CASE WHEN t.is_active = false THEN 'Inactive' ELSE CAST(t.percent_complete AS VARCHAR) || '%' END AS status_raw,
    CASE
        WHEN t.is_active = false THEN 'cancelled'
        WHEN t.percent_complete >= 100 THEN 'done'
        WHEN t.percent_complete > 0 OR t.actual_start IS NOT NULL THEN 'in_progress'
        ELSE 'not_started'
    END AS status_default,
    t.file || '#' || l.resource_uid AS assignee_key,
    CAST(t.start AS DATE) AS planned_start,
    CAST(t.finish AS DATE) AS planned_finish,
    t.duration_hours,
    CAST(t.baseline_start AS DATE) AS baseline_start,
    CAST(t.baseline_finish AS DATE) AS baseline_finish,
    CAST(t.actual_start AS DATE) AS actual_start,
    CAST(t.actual_finish AS DATE) AS actual_finish,
    -- Project's Deadline: the date the task is committed to (a milestone's commitment date).
    CAST(t.deadline AS DATE) AS due_date,
    t.percent_complete,
    t.work_hours,
    NULL AS actual_work_hours,
    NULL AS story_points,
    t.cost,
    t.baseline_cost,
    t.actual_cost,
    t.systems,
    t.objectives,
    NULL AS updated_at,
    t.file || '#' || t.uid AS source_url,
    t.file || ', task UID ' || t.uid || coalesce(' (ID ' || t.id || ')', '') AS location,
    row_number() OVER (PARTITION BY t.source_id ORDER BY t.file, t.id) AS position
FROM tasks AS t
LEFT JOIN parents AS p ON p.source_id = t.source_id AND p.file = t.file AND p.uid = t.uid
LEFT JOIN lead AS l ON l.source_id = t.source_id AND l.file = t.file AND l.task_uid = t.uid
