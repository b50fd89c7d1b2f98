-- Effort of every countable work item in hours, the common unit of strategy and deployment marts.
-- Work hours when the item has them; else story points x hours per point, calibrated (sum of work /
-- sum of points over items carrying both) for the item's team across the whole portfolio when the
-- team has at least 3 such items - teams estimate alike whatever the project - else for its project
-- (at least 3), else rules.story_point_hours (8). Teams match ignoring case and spaces at the ends.
-- calibration and method say which.
WITH items AS (
    SELECT *, nullif(lower(trim(team)), '') AS team_key
    FROM core.work_items
    WHERE NOT is_summary AND in_scope(status)
),
calibrating AS (
    SELECT * FROM items WHERE work_hours > 0 AND story_points > 0
),
by_team AS (
    SELECT team_key, exact_sum(work_hours) / exact_sum(story_points) AS hours_per_point
    FROM calibrating
    WHERE team_key IS NOT NULL
    GROUP BY team_key
    HAVING count(*) >= 3
),
by_project AS (
    SELECT project_id, exact_sum(work_hours) / exact_sum(story_points) AS hours_per_point
    FROM calibrating
    GROUP BY project_id
    HAVING count(*) >= 3
),
rated AS (
    SELECT
        i.*,
        CASE
            WHEN i.work_hours IS NOT NULL THEN 'work'
            WHEN i.story_points IS NULL THEN NULL
            WHEN t.hours_per_point IS NOT NULL THEN 'team'
            WHEN p.hours_per_point IS NOT NULL THEN 'project'
            ELSE 'default'
        END AS calibration,
        coalesce(t.hours_per_point, p.hours_per_point, (SELECT story_point_hours FROM config.rules)) AS rate
    FROM items AS i
    LEFT JOIN by_team AS t USING (team_key)
    LEFT JOIN by_project AS p USING (project_id)
)
SELECT
    work_item_id,
    project_id,
    team,
    CASE WHEN calibration = 'work' THEN work_hours ELSE story_points * rate END AS effort_hours,
    CASE WHEN calibration = 'work' THEN work_hours ELSE story_points * rate END
        * coalesce(percent_complete, 0) / 100.0 AS effort_hours_to_date,
    CASE WHEN calibration IN ('team', 'project', 'default') THEN rate END AS hours_per_point,
    coalesce(calibration, 'none') AS calibration,
    CASE calibration
        WHEN 'work' THEN 'work hours'
        WHEN 'team' THEN 'story points x team-calibrated ' || round(rate, 1) || ' h/pt'
        WHEN 'project' THEN 'story points x calibrated ' || round(rate, 1) || ' h/pt'
        WHEN 'default' THEN 'story points x default ' || rate || ' h/pt'
        ELSE 'no estimate'
    END AS method
FROM rated
ORDER BY work_item_id
