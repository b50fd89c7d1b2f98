-- Resource assignments: the task's effort shared equally by the people assigned to it, over the
-- task's dates.
WITH assigned AS (
    SELECT *, count(*) OVER (PARTITION BY source_id, task_id) AS people
    FROM raw.this__assignments
    WHERE resource_id IS NOT NULL
)
SELECT
    a.source_id,
    a.task_id AS work_item_key,
    a.resource_id AS resource_key,
    1.0 AS units,
    t.effort_hours / a.people AS work_hours,
    CAST(t.start AS DATE) AS start,
    CAST(t.finish AS DATE) AS finish
FROM assigned AS a
JOIN raw.this__tasks AS t ON t.source_id = a.source_id AND t.record_id = a.task_id
