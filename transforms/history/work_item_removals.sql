-- Work items that left their source (deleted in Jira, removed from a sheet or plan): present in
-- the latest earlier snapshot, gone from core today. They stay in history.work_item_snapshots up
-- to last_seen; this records the day they disappeared.
WITH previous AS (
    SELECT max(snapshot_date) AS day
    FROM history.work_item_snapshots
    WHERE snapshot_date < as_of()
)
SELECT
    as_of() AS snapshot_date,
    h.work_item_id,
    h.project_id,
    h.snapshot_date AS last_seen
FROM history.work_item_snapshots AS h
JOIN previous ON h.snapshot_date = previous.day
WHERE h.work_item_id NOT IN (SELECT work_item_id FROM core.work_items)
