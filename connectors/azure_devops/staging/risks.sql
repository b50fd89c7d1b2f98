-- Work items of the configured risk type (CMMI: Risk). Probability (1-99) in fifths on the 1-5 scale;
-- impact from Severity (1 - Critical = 5, 2 - High = 4, 3 - Medium = 3, 4 - Low = 2).
SELECT
    source_id,
    work_item_id AS source_key,
    project_name AS project_ref,
    title AS title,
    CASE WHEN probability > 0 THEN least(5, greatest(1, ceil(probability / 20))) END AS probability,
    CASE left(trim(severity), 1) WHEN '1' THEN 5 WHEN '2' THEN 4 WHEN '3' THEN 3 WHEN '4' THEN 2 END AS impact,
    state AS status,
    assignee_name AS owner,
    coalesce(due_date, target_date) AS due_date,
    NULL AS mitigation,
    changed_at AS updated_at,
    'work item ' || work_item_id AS location
FROM raw.this__work_items
WHERE is_risk
