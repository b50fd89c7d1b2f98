-- Status transitions of work items, as the sources recorded them (Jira changelog; others none).
SELECT
    s.source_id || ':' || s.work_item_key AS work_item_id,
    s.changed_at,
    s.from_status,
    s.to_status
FROM staging.status_changes AS s
JOIN core.work_items AS w ON w.source_id = s.source_id AND w.source_key = s.work_item_key
