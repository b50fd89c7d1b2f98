-- An issue's assignee carries its original estimate.
SELECT
    source_id,
    issue_key AS work_item_key,
    assignee_key AS resource_key,
    1.0 AS units,
    original_estimate_hours AS work_hours,
    coalesce(start_date, sprint_start) AS start,
    coalesce(due_date, sprint_end) AS finish
FROM raw.this__issues
WHERE assignee_key IS NOT NULL AND NOT is_risk
