-- Which objectives each project serves, with weights (share of the project's effort, 0-1).
-- Config weights win. For projects without config weights, weights come from the sources: the
-- share of the project's work items (by work hours where they have them, else by count) tagged
-- with an objective, by id or by name; an item with several objectives splits equally over them.
WITH configured AS (
    SELECT project_id, objective_id, weight, 'config' AS origin
    FROM config.project_objectives
    WHERE weight > 0
),
item_tags AS (
    SELECT work_item_id, project_id, coalesce(work_hours, 0) AS work_hours, unnest(objectives) AS tag
    FROM core.work_items
    WHERE NOT is_summary
),
-- An item tagged with several objectives counts once, split equally over them, so that a
-- project's weights never add up to more than 1.
matched AS (
    SELECT DISTINCT t.work_item_id, t.project_id, t.work_hours, o.objective_id
    FROM item_tags AS t
    JOIN core.objectives AS o ON lower(trim(t.tag)) IN (lower(o.objective_id), lower(o.name))
),
tagged AS (
    SELECT project_id, objective_id,
           work_hours / count(*) OVER (PARTITION BY work_item_id) AS work_hours,
           1.0 / count(*) OVER (PARTITION BY work_item_id) AS items
    FROM matched
),
project_totals AS (
    SELECT project_id, count(*) AS items, exact_sum(coalesce(work_hours, 0)) AS work_hours
    FROM core.work_items
    WHERE NOT is_summary
    GROUP BY project_id
),
from_sources AS (
    SELECT
        t.project_id,
        t.objective_id,
        CASE WHEN any_value(p.work_hours) > 0 THEN exact_sum(t.work_hours) / any_value(p.work_hours)
             ELSE sum(t.items) / any_value(p.items) END AS weight,
        'source' AS origin
    FROM tagged AS t
    JOIN project_totals AS p USING (project_id)
    WHERE t.project_id NOT IN (SELECT project_id FROM configured)
    GROUP BY t.project_id, t.objective_id
)
SELECT * FROM configured
UNION ALL
SELECT * FROM from_sources WHERE weight > 0
