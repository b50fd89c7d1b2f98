-- Which objectives each project serves, with weights (share of the project's effort, 0-1).
-- Config weights win. For projects without config weights, weights come from the sources: the
-- share of the project's work items (by work hours where they have them, else by count) tagged
-- with an objective, by id or by name.
WITH configured AS (
    SELECT project_id, objective_id, weight, 'config' AS origin
    FROM config.project_objectives
    WHERE weight > 0
),
item_tags AS (
    SELECT project_id, coalesce(work_hours, 0) AS work_hours, unnest(objectives) AS tag
    FROM core.work_items
    WHERE NOT is_summary
),
tagged AS (
    SELECT t.project_id, o.objective_id, t.work_hours
    FROM item_tags AS t
    JOIN core.objectives AS o ON lower(trim(t.tag)) IN (lower(o.objective_id), lower(o.name))
),
project_totals AS (
    SELECT project_id, count(*) AS items, sum(coalesce(work_hours, 0)) AS work_hours
    FROM core.work_items
    WHERE NOT is_summary
    GROUP BY project_id
),
from_sources AS (
    SELECT
        t.project_id,
        t.objective_id,
        CASE WHEN any_value(p.work_hours) > 0 THEN sum(t.work_hours) / any_value(p.work_hours)
             ELSE count(*) / any_value(p.items) END AS weight,
        'source' AS origin
    FROM tagged AS t
    JOIN project_totals AS p USING (project_id)
    WHERE t.project_id NOT IN (SELECT project_id FROM configured)
    GROUP BY t.project_id, t.objective_id
)
SELECT * FROM configured
UNION ALL
SELECT * FROM from_sources WHERE weight > 0
