-- People work items are assigned to: keyed by unique name (lower case); on Cloud it is the e-mail,
-- so the same person resolves across sources; Server's DOMAIN\user has no e-mail.
SELECT
    source_id,
    assignee_key AS source_key,
    stable_mode(list(assignee_name)) AS name,  -- the most common spelling; ties: the first in order
    max(assignee_email) AS email,
    NULL AS team,
    NULL AS capacity_hours_per_week
FROM raw.this__work_items
WHERE assignee_key IS NOT NULL
GROUP BY source_id, assignee_key
