-- Where the effort goes, against the strategy: one row per objective plus one for unaligned
-- effort. Each item's effort (intermediate.item_effort) is split over objectives: in a project with
-- configured weights, by those weights (at most 1 in all, validated in the config); elsewhere equally
-- over the objectives the item is tagged with (by id or name). Unaligned is the portfolio's total
-- effort less the objectives' hours, so the rows add up to the total exactly.
-- actual_share = effort / all effort; drift = actual_share - target_share (positive: more than intended).
WITH effort AS (
    SELECT e.*, w.objectives AS tags
    FROM intermediate.item_effort AS e
    JOIN core.work_items AS w USING (work_item_id)
    WHERE e.effort_hours IS NOT NULL
),
configured AS (
    SELECT project_id, objective_id, weight FROM config.project_objectives WHERE weight > 0
),
item_tags AS (
    SELECT DISTINCT e.work_item_id, o.objective_id
    FROM effort AS e, unnest(e.tags) AS t(tag)
    JOIN core.objectives AS o ON lower(trim(t.tag)) IN (lower(o.objective_id), lower(o.name))
    WHERE e.project_id NOT IN (SELECT project_id FROM configured)
),
shares AS (
    SELECT e.work_item_id, c.objective_id, c.weight
    FROM effort AS e
    JOIN configured AS c USING (project_id)
    UNION ALL
    SELECT work_item_id, objective_id, 1.0 / count(*) OVER (PARTITION BY work_item_id) AS weight
    FROM item_tags
),
split AS (
    SELECT s.objective_id, e.effort_hours * s.weight AS hours, e.effort_hours_to_date * s.weight AS hours_to_date,
           e.method
    FROM effort AS e
    JOIN shares AS s USING (work_item_id)
),
-- Items whose shares leave part of their effort to no objective: the methods behind 'unaligned'.
unaligned_methods AS (
    SELECT 'unaligned' AS objective_id, string_agg(DISTINCT e.method, '; ' ORDER BY e.method) AS method
    FROM effort AS e
    LEFT JOIN (SELECT work_item_id, exact_sum(weight) AS weight FROM shares GROUP BY work_item_id) AS s USING (work_item_id)
    WHERE coalesce(s.weight, 0) < 1 - 1e-9
),
aligned AS (
    SELECT objective_id, exact_sum(hours) AS hours, exact_sum(hours_to_date) AS hours_to_date,
           string_agg(DISTINCT method, '; ' ORDER BY method) AS method
    FROM split
    GROUP BY objective_id
),
totals AS (
    SELECT coalesce(exact_sum(effort_hours), 0) AS hours, coalesce(exact_sum(effort_hours_to_date), 0) AS hours_to_date
    FROM effort
),
invested AS (
    SELECT * FROM aligned
    UNION ALL
    SELECT 'unaligned', t.hours - coalesce(a.hours, 0), t.hours_to_date - coalesce(a.hours_to_date, 0), m.method
    FROM totals AS t
    CROSS JOIN (SELECT exact_sum(hours) AS hours, exact_sum(hours_to_date) AS hours_to_date FROM aligned) AS a
    CROSS JOIN unaligned_methods AS m
),
objectives AS (
    SELECT objective_id, target_share FROM core.objectives
    UNION ALL
    SELECT 'unaligned', greatest(1.0 - (SELECT coalesce(exact_sum(target_share), 0) FROM core.objectives), 0)
)
SELECT
    o.objective_id,
    o.target_share,
    coalesce(i.hours, 0) AS effort_hours,
    coalesce(i.hours_to_date, 0) AS effort_hours_to_date,
    coalesce(i.hours, 0) / nullif(t.hours, 0) AS actual_share,
    coalesce(i.hours_to_date, 0) / nullif(t.hours_to_date, 0) AS actual_share_to_date,
    coalesce(i.hours, 0) / nullif(t.hours, 0) - o.target_share AS drift,
    coalesce(i.method, 'no effort') AS method,
    coalesce((SELECT c.name FROM core.objectives AS c WHERE c.objective_id = o.objective_id),
             CASE WHEN o.objective_id = 'unaligned' THEN 'Unaligned' END) AS objective_name
FROM objectives AS o
LEFT JOIN invested AS i USING (objective_id)
CROSS JOIN totals AS t
ORDER BY o.objective_id
