-- Assignees: keyed by account id (Cloud) or user name (Data Center); e-mail when Jira shows it.
SELECT
    source_id,
    assignee_key AS source_key,
    stable_mode(list(assignee_name)) AS name,  -- the most common spelling; ties: the first in order
    max(lower(assignee_email)) AS email,
    NULL AS team,
    NULL AS capacity_hours_per_week
FROM raw.this__issues
WHERE assignee_key IS NOT NULL
GROUP BY source_id, assignee_key
