-- Effort of every countable work item in hours, the common unit of strategy and deployment marts.
-- Work hours when the item has them; else story points x the project's hours per point, calibrated
-- from its items that carry both (at least 3 of them), else rules.story_point_hours (8). method says which.
WITH items AS (
    SELECT * FROM core.work_items WHERE NOT is_summary AND in_scope(status)
),
calibration AS (
    SELECT project_id, sum(work_hours) / sum(story_points) AS hours_per_point
    FROM items
    WHERE work_hours > 0 AND story_points > 0
    GROUP BY project_id
    HAVING count(*) >= 3
)
SELECT
    i.work_item_id,
    i.project_id,
    CASE
        WHEN i.work_hours IS NOT NULL THEN i.work_hours
        WHEN i.story_points IS NOT NULL
            THEN i.story_points * coalesce(c.hours_per_point, (SELECT story_point_hours FROM config.rules))
    END AS effort_hours,
    CASE
        WHEN i.work_hours IS NOT NULL THEN i.work_hours
        WHEN i.story_points IS NOT NULL
            THEN i.story_points * coalesce(c.hours_per_point, (SELECT story_point_hours FROM config.rules))
    END * coalesce(i.percent_complete, 0) / 100.0 AS effort_hours_to_date,
    CASE
        WHEN i.work_hours IS NOT NULL THEN 'work hours'
        WHEN i.story_points IS NOT NULL AND c.hours_per_point IS NOT NULL
            THEN 'story points x calibrated ' || round(c.hours_per_point, 1) || ' h/pt'
        WHEN i.story_points IS NOT NULL
            THEN 'story points x default ' || (SELECT story_point_hours FROM config.rules) || ' h/pt'
        ELSE 'no estimate'
    END AS method
FROM items AS i
LEFT JOIN calibration AS c USING (project_id)
