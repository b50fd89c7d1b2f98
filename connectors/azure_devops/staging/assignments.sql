-- A work item's assignee carries its estimate, over the item's own dates or its sprint's.
SELECT
    w.source_id,
    w.work_item_id AS work_item_key,
    w.assignee_key AS resource_key,
    1.0 AS units,
    coalesce(w.original_estimate, w.completed_work + w.remaining_work) AS work_hours,
    coalesce(w.start_date, i.start_date) AS start,
    coalesce(w.finish_date, w.target_date, i.finish_date) AS finish
FROM raw.this__work_items AS w
LEFT JOIN raw.this__iterations AS i ON i.source_id = w.source_id AND i.iteration_path = w.iteration_path
WHERE w.assignee_key IS NOT NULL AND NOT w.is_risk
