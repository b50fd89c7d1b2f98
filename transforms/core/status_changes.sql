-- Status transitions of work items. Sources that record them (Jira's changelog) give them as
-- recorded (observed_by = 'source'). For sources that do not (spreadsheets, plan exports), a
-- change is observed when an item's canonical status differs from its previous daily snapshot
-- (observed_by = 'snapshot', changed_at = the snapshot day).
WITH recorded AS (
    SELECT
        s.source_id || ':' || s.work_item_key AS work_item_id,
        s.changed_at,
        s.from_status,
        s.to_status,
        'source' AS observed_by
    FROM staging.status_changes AS s
    JOIN core.work_items AS w ON w.source_id = s.source_id AND w.source_key = s.work_item_key
),
sequenced AS (
    SELECT
        h.work_item_id,
        h.snapshot_date,
        h.status,
        lag(h.status) OVER (PARTITION BY h.work_item_id ORDER BY h.snapshot_date) AS previous_status,
        row_number() OVER (PARTITION BY h.work_item_id ORDER BY h.snapshot_date) AS day_number
    FROM history.work_item_snapshots AS h
    JOIN core.work_items AS w USING (work_item_id)
    WHERE w.source_id NOT IN (SELECT DISTINCT source_id FROM staging.status_changes)
)
SELECT * FROM recorded
UNION ALL
SELECT
    work_item_id,
    snapshot_date::TIMESTAMP AS changed_at,
    previous_status AS from_status,
    status AS to_status,
    'snapshot' AS observed_by
FROM sequenced
WHERE day_number > 1 AND previous_status IS DISTINCT FROM status
