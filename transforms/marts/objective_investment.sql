-- Where the effort goes, against the strategy: one row per objective plus one for unaligned
-- effort. An item's effort (intermediate.item_effort) is split over its project's objectives by
-- weight; what the weights leave over is unaligned. actual_share = effort / all effort;
-- drift = actual_share - target_share (positive: more than the strategy intends).
WITH weights AS (
    SELECT project_id, objective_id, weight FROM core.project_objectives
),
unaligned AS (
    SELECT p.project_id, 'unaligned' AS objective_id, greatest(1.0 - coalesce(sum(w.weight), 0), 0) AS weight
    FROM core.projects AS p
    LEFT JOIN weights AS w USING (project_id)
    GROUP BY p.project_id
),
shares AS (
    SELECT * FROM weights UNION ALL SELECT * FROM unaligned WHERE weight > 0
),
split AS (
    SELECT s.objective_id, e.effort_hours * s.weight AS hours, e.effort_hours_to_date * s.weight AS hours_to_date,
           e.method
    FROM intermediate.item_effort AS e
    JOIN shares AS s USING (project_id)
    WHERE e.effort_hours IS NOT NULL
),
totals AS (
    SELECT sum(hours) AS hours, sum(hours_to_date) AS hours_to_date FROM split
),
objectives AS (
    SELECT objective_id, target_share FROM core.objectives
    UNION ALL
    SELECT 'unaligned', greatest(1.0 - (SELECT coalesce(sum(target_share), 0) FROM core.objectives), 0)
)
SELECT
    o.objective_id,
    o.target_share,
    coalesce(sum(s.hours), 0) AS effort_hours,
    coalesce(sum(s.hours_to_date), 0) AS effort_hours_to_date,
    coalesce(sum(s.hours), 0) / nullif(any_value(t.hours), 0) AS actual_share,
    coalesce(sum(s.hours_to_date), 0) / nullif(any_value(t.hours_to_date), 0) AS actual_share_to_date,
    coalesce(sum(s.hours), 0) / nullif(any_value(t.hours), 0) - o.target_share AS drift,
    coalesce(string_agg(DISTINCT s.method, '; ' ORDER BY s.method), 'no effort') AS method
FROM objectives AS o
LEFT JOIN split AS s USING (objective_id)
CROSS JOIN totals AS t
GROUP BY o.objective_id, o.target_share
