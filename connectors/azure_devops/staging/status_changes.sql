-- State transitions from the work items' revisions (or updates), as Azure DevOps recorded them (UTC).
SELECT
    source_id,
    work_item_id AS work_item_key,
    changed_at,
    from_state AS from_status,
    to_state AS to_status
FROM raw.this__changelog
