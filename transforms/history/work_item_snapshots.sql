-- Daily snapshot of every work item's status, progress and dates (one per day; a rerun replaces it).
SELECT
    as_of() AS snapshot_date,
    work_item_id,
    project_id,
    status,
    percent_complete,
    is_milestone,
    planned_start,
    planned_finish,
    baseline_finish,
    due_date,
    actual_finish,
    work_hours,
    story_points
FROM core.work_items
