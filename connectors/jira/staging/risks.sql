-- Issues of the configured risk issue type (default "Risk"), with probability and impact from the
-- fields mapped under the source's fields: (1-5 scale).
SELECT
    source_id,
    issue_key AS source_key,
    project_key AS project_ref,
    summary AS title,
    probability,
    impact,
    status_name AS status,
    assignee_name AS owner,
    due_date,
    NULL AS mitigation,
    updated_at,
    'issue ' || issue_key AS location
FROM raw.this__issues
WHERE is_risk
