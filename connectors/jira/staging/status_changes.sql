-- Status transitions from Jira's changelog, as Jira recorded them (status names, UTC times).
SELECT
    c.source_id,
    i.issue_key AS work_item_key,
    c.changed_at,
    c.from_status,
    c.to_status
FROM raw.this__changelog AS c
JOIN raw.this__issues AS i ON i.source_id = c.source_id AND i.issue_id = c.issue_id
