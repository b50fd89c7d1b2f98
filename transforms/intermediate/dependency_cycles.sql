-- Work items that depend on themselves: reachable from themselves through core.dependencies,
-- searched up to 50 links deep (a walk stops where it closes). marts.data_quality reports each;
-- intermediate.item_schedule_push does not follow their links.
WITH RECURSIVE walk(start_id, current_id, steps) AS (
    SELECT predecessor_id, successor_id, 1 FROM core.dependencies
    UNION
    SELECT w.start_id, d.successor_id, w.steps + 1
    FROM walk AS w
    JOIN core.dependencies AS d ON d.predecessor_id = w.current_id
    WHERE w.steps < 50 AND w.current_id <> w.start_id
)
SELECT start_id AS work_item_id, min(steps) AS steps
FROM walk
WHERE current_id = start_id
GROUP BY start_id
